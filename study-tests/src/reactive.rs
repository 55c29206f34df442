//! The reactive demo's checks: a fetch, a subprocess, a file and a timer on one thread.

use serde_json::Value;

use crate::{Binary, workspace};

/// The reactive demo: a fetch, a subprocess, a file and a timer all complete on one
/// thread, their ends come in the expected order, and the helper threads they need are the
/// README's.
pub fn check_reactive(binary: Binary) -> Value {
    let mut small = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut small, b"a small local file\n").unwrap();
    let file = small.path().to_str().unwrap();
    let (output, report) = binary.run_json(&["reactive", "--file", file, "--latency-ms", "400"]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    for task in report["tasks"].as_array().unwrap() {
        assert_eq!(task["error"], Value::Null, "{task}");
    }
    let ends: Vec<&str> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "end")
        .map(|e| e["task"].as_str().unwrap())
        .collect();
    // A file of 19 bytes, `sleep 0.1`, a 250 ms timer, a 400 ms fetch.
    assert_eq!(ends, ["file", "subprocess", "timer", "fetch"]);
    // The helper threads that the file and the subprocess need on this runtime are the
    // ones the README's reactive census lists.
    let runtime = report["runtime"].as_str().unwrap();
    let helpers = workspace::census_helpers(&report);
    let table = workspace::readme_census(workspace::REACTIVE_CENSUS);
    let (.., listed) = table
        .iter()
        .find(|(r, c, _)| r == runtime && c == "hyper")
        .unwrap_or_else(|| panic!("README's reactive census has no row for {runtime}"));
    assert_eq!(
        &helpers, listed,
        "{runtime}: the census (left) against the README (right)"
    );
    report
}

/// The reactive demo's errors: a missing file and a failing command are reported on their
/// own lines, the other tasks still complete, and the exit code is 1.
pub fn check_reactive_errors(binary: Binary) {
    let (output, report) = binary.run_json(&[
        "reactive",
        "--file",
        "/no/such/file",
        "--command",
        "echo oops >&2; exit 3",
        "--latency-ms",
        "20",
    ]);
    assert_eq!(output.code, Some(1), "{}", output.stderr);
    let error = |task: &str| {
        let tasks = report["tasks"].as_array().unwrap();
        let found = tasks.iter().find(|t| t["task"] == task).unwrap();
        found["error"].as_str().map(str::to_owned)
    };
    let file = error("file").unwrap();
    assert!(file.starts_with("cannot read /no/such/file: "), "{file}");
    assert!(file.contains("No such file or directory"), "{file}");
    let command = error("subprocess").unwrap();
    assert!(
        command.contains("exit status: 3") && command.contains("oops"),
        "{command}"
    );
    assert_eq!(error("fetch"), None);
    assert_eq!(error("timer"), None);
    assert!(
        output.stderr.contains("error: 2 of 4 tasks failed\n"),
        "{}",
        output.stderr
    );
}

/// Each reactive task runs under `--timeout`: a subprocess that outlasts it ends in a clear
/// error at the timeout, and the other tasks still complete.
pub fn check_reactive_timeout(binary: Binary) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), b"a small file\n").unwrap();
    let path = file.path().display().to_string();
    let (output, report) = binary.run_json(&[
        "reactive",
        "--file",
        &path,
        "--command",
        "sleep 5",
        "--timeout",
        "1",
        "--latency-ms",
        "20",
    ]);
    assert_eq!(output.code, Some(1), "{}", output.stderr);
    let tasks = report["tasks"].as_array().unwrap();
    let error = |task: &str| {
        let found = tasks.iter().find(|t| t["task"] == task).unwrap();
        found["error"].as_str().map(str::to_owned)
    };
    assert_eq!(
        error("subprocess").as_deref(),
        Some("timed out after 1 s"),
        "{report}"
    );
    for task in ["fetch", "file", "timer"] {
        assert_eq!(error(task), None, "{task}: {report}");
    }
}
