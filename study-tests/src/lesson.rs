//! The lesson's checks: the four documents at once and in turn, the lesson's text lines,
//! one thread polling every fetch, and the census of helper threads for each client.

use serde_json::Value;

use fetch_core::ClientKind;
use fetch_core::census::UNKNOWN_HELPER;
use fixture_server::DOCUMENTS;

use crate::sleep::check_sleep_demo;
use crate::{Binary, binary, workspace};

/// The default run: the four documents from the built-in fixture, concurrently and in
/// sequence, with the right byte counts; concurrent well under sequential; the sleep demo;
/// every fetch polled on the executor's thread.
pub fn check_default_run(binary: Binary) {
    let (output, report) = binary.run_json(&["--latency-ms", "200"]);
    assert_eq!(output.code, Some(0), "stderr:\n{}", output.stderr);

    for phase in ["concurrent", "sequential"] {
        let fetches = report[phase]["fetches"].as_array().unwrap();
        assert_eq!(fetches.len(), DOCUMENTS.len());
        for (fetch, (path, size)) in fetches.iter().zip(DOCUMENTS) {
            assert!(fetch["url"].as_str().unwrap().ends_with(path), "{fetch}");
            assert_eq!(fetch["status"], 200, "{fetch}");
            assert_eq!(fetch["bytes"], size, "{fetch}");
            assert_eq!(fetch["error"], Value::Null, "{fetch}");
        }
    }
    assert_eq!(report["concurrent"]["mode"], "join");

    // Four fetches of 200 ms each: about 0.2 s at once, about 0.8 s in turn.
    let concurrent = report["concurrent"]["total_ms"].as_f64().unwrap();
    let sequential = report["sequential"]["total_ms"].as_f64().unwrap();
    assert!(
        concurrent < 0.6 * sequential,
        "concurrent {concurrent} ms is not well under sequential {sequential} ms"
    );

    check_sleep_demo(&report);
    check_one_thread(&report);
}

/// The study's claim: one thread, the executor's, polled every fetch future, and the census
/// marked it.
pub fn check_one_thread(report: &Value) {
    let threads = report["census"]["threads"].as_array().unwrap();
    let executors: Vec<&Value> = threads.iter().filter(|t| t["executor"] == true).collect();
    assert_eq!(executors.len(), 1, "census: {threads:?}");
    let executor = &executors[0]["tid"];
    assert!(
        threads.iter().any(|t| t["name"] == "fixture-server"),
        "the census labels the fixture server: {threads:?}"
    );
    for phase in ["concurrent", "sequential"] {
        for fetch in report[phase]["fetches"].as_array().unwrap() {
            assert_eq!(
                fetch["polled_on"],
                serde_json::json!([executor]),
                "{phase} fetch polled off the executor's thread: {fetch}"
            );
        }
    }
}

/// `--gather spawn`, with every client: one local task per fetch, same results, still one
/// thread.
pub fn check_spawn_gather(binary: Binary) {
    binary::each_at_once(&ClientKind::ALL_NAMES, |&client| {
        let args = [
            "--client",
            client,
            "--latency-ms",
            "100",
            "--gather",
            "spawn",
        ];
        let (output, report) = binary.run_json(&args);
        assert_eq!(output.code, Some(0), "{client}: {}", output.stderr);
        assert_eq!(report["concurrent"]["mode"], "spawn");
        let fetches = report["concurrent"]["fetches"].as_array().unwrap();
        let bytes: Vec<&Value> = fetches.iter().map(|f| &f["bytes"]).collect();
        let sizes: Vec<Value> = DOCUMENTS
            .iter()
            .map(|(_, size)| Value::from(*size))
            .collect();
        assert_eq!(bytes, sizes.iter().collect::<Vec<_>>(), "{client}");
        check_one_thread(&report);
    });
}

/// The lesson's own lines, as text, as they happen.
pub fn check_text_output(binary: Binary) {
    let output = binary.run(&["--latency-ms", "50"]);
    assert_eq!(output.code, Some(0), "stderr:\n{}", output.stderr);
    let text = &output.stdout;
    for (path, size) in DOCUMENTS {
        let url = text
            .lines()
            .find_map(|line| line.strip_prefix("fetching ").filter(|u| u.ends_with(path)))
            .unwrap_or_else(|| panic!("no `fetching` line for {path}:\n{text}"));
        assert!(
            text.contains(&format!("{url} returned status 200\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("{url} returned {size} bytes\n")),
            "{text}"
        );
    }
    check_sleep_lines(text);
    assert!(text.contains("concurrent is "), "{text}");
    let executor_lines = text.lines().filter(|l| l.starts_with("* ")).count();
    assert_eq!(
        executor_lines, 1,
        "the census marks one executor thread:\n{text}"
    );
}

/// The census matches the README's table for every client: the helper threads that this
/// runtime and client need, by kernel name, are the ones the table lists, and the census
/// can say what each one is for. Whatever the client, the runtime polls every fetch future
/// on its one thread.
pub fn check_census_matches_the_readme(binary: Binary) {
    let table = workspace::readme_census(workspace::LESSON_CENSUS);
    binary::each_at_once(&ClientKind::ALL_NAMES, |&client| {
        let (output, report) = binary.run_json(&["--client", client, "--latency-ms", "100"]);
        assert_eq!(output.code, Some(0), "{client}: {}", output.stderr);
        assert_eq!(report["client"], client);
        let runtime = report["runtime"].as_str().unwrap();
        let threads = report["census"]["threads"].as_array().unwrap();
        let helpers = workspace::census_helpers(&report);
        let (.., listed) = table
            .iter()
            .find(|(r, c, _)| r == runtime && c == client)
            .unwrap_or_else(|| panic!("README's census table has no row for {runtime}, {client}"));
        assert_eq!(
            &helpers, listed,
            "{runtime} with {client}: the census (left) disagrees with README's table (right)"
        );
        for thread in threads {
            assert_ne!(
                thread["role"], UNKNOWN_HELPER,
                "{runtime} with {client}: the census cannot name {thread}"
            );
        }
        check_one_thread(&report);
    });
}

/// No busy loop: while the concurrent fetches wait for the server, the executor's thread
/// sleeps. For every client and gather mode, it uses under a quarter of the phase's wall
/// time (a few milliseconds here; a task woken on every poll would use nearly all of it).
pub fn check_no_busy_loop(binary: Binary) {
    let runs: Vec<(&str, &str)> = ClientKind::ALL_NAMES
        .iter()
        .flat_map(|client| ["join", "spawn"].map(|gather| (*client, gather)))
        .collect();
    // CPU time, not wall time, is what this asserts on: the runs can go at once.
    binary::each_at_once(&runs, |&(client, gather)| {
        let args = [
            "--client",
            client,
            "--gather",
            gather,
            "--latency-ms",
            "300",
        ];
        let (output, report) = binary.run_json(&args);
        assert_eq!(output.code, Some(0), "{client} {gather}: {}", output.stderr);
        let phase = &report["concurrent"];
        let cpu = phase["cpu_ms"].as_f64().unwrap();
        let wall = phase["total_ms"].as_f64().unwrap();
        assert!(
            cpu < 0.25 * wall,
            "{client} {gather}: the executor used {cpu:.0} ms of CPU in {wall:.0} ms"
        );
    });
}

/// The runtime crate's `examples/gather.rs`, the file a learner reads first: it runs
/// offline and prints the seed's lines; with `cancel`, what a dropped handle and a timeout
/// do on this runtime. `cargo test` builds the examples next to the
/// binary, as `examples/gather-RUNTIME`.
pub fn check_gather_example(binary: Binary) {
    let binary_path = std::path::Path::new(binary.0);
    let name = binary_path.file_name().unwrap().to_str().unwrap();
    let runtime = name.strip_prefix("runtime-").unwrap();
    let example = binary_path
        .parent()
        .unwrap()
        .join("examples")
        .join(format!("gather-{runtime}"));
    assert!(
        example.exists(),
        "{} is missing: `cargo test -p {name}` builds it (a test target alone does not)",
        example.display()
    );
    // A `Binary` names a path for the whole test run: this one is made here, once.
    let example: &'static str = Box::leak(example.to_str().unwrap().into());
    let output = Binary(example).run(&[]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    let text = &output.stdout;
    for (path, size) in DOCUMENTS {
        let fetched: Vec<&str> = text
            .lines()
            .filter(|line| line.ends_with(&format!("{path} returned {size} bytes")))
            .collect();
        assert_eq!(
            fetched.len(),
            2,
            "{path}, once at once and once in turn:\n{text}"
        );
        let fetching = text
            .lines()
            .filter(|l| l.starts_with("fetching ") && l.ends_with(path));
        assert_eq!(fetching.count(), 2, "{text}");
        let status = text
            .lines()
            .filter(|l| l.ends_with(&format!("{path} returned status 200")));
        assert_eq!(status.count(), 2, "the seed's status lines:\n{text}");
    }
    check_sleep_lines(text);
    let speedup: f64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("concurrent is ")?
                .strip_suffix("x faster")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no speedup line:\n{text}"));
    assert!(
        speedup > 2.0,
        "four fetches at once only {speedup}x faster:\n{text}"
    );

    // `cancel`: a dropped handle detaches its task on tokio and async-std, and cancels it
    // on smol, futures and compio; a timeout cancels a fetch.
    let output = Binary(example).run(&["cancel"]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    let text = &output.stdout;
    let detached = text.contains("the task whose handle was dropped ran to its end (detached)");
    assert_eq!(
        detached,
        matches!(runtime, "tokio" | "asyncstd"),
        "{runtime}: a dropped handle\n{text}"
    );
    assert!(
        text.contains("the timeout dropped the fetch after 0.1 s, which cancelled it"),
        "{text}"
    );
    assert!(
        !text.contains("returned status"),
        "the fetch was cancelled:\n{text}"
    );
}

/// The sleep demo's lines, as the seed prints them: entries in input order, exits by
/// duration, and the results in input order.
fn check_sleep_lines(text: &str) {
    let sleeps: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("entering") || l.starts_with("leaving"))
        .collect();
    assert_eq!(
        sleeps,
        [
            "entering mysleep(1)",
            "entering mysleep(0.5)",
            "entering mysleep(1.5)",
            "leaving mysleep(0.5)",
            "leaving mysleep(1)",
            "leaving mysleep(1.5)",
        ],
        "{text}"
    );
    assert!(
        text.contains("results, in input order: [1.0, 0.25, 2.25]\n"),
        "{text}"
    );
}
