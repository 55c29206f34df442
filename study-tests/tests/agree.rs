//! The three runtimes agree: the same report, timings and thread ids aside, for the
//! lesson's default run and for a run full of errors.
//!
//! It calls each runtime crate's `run`, which is all that its binary's `main` calls before
//! printing the report as JSON.

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed test, with its line"
)]

use std::time::Duration;

use clap::Parser;
use serde_json::Value;

use fetch_core::{Cli, Report};
use fixture_server::Fixture;

/// Runs the lesson with `args` on each runtime, in turn, in this process.
fn reports(args: &[&str]) -> [(&'static str, Value); 3] {
    let cli = Cli::parse_from(std::iter::once("study").chain(args.iter().copied()));
    let to_json = |report: anyhow::Result<Report>| {
        study_tests::comparable(&serde_json::to_value(report.unwrap()).unwrap())
    };
    [
        ("tokio", to_json(runtime_tokio::run(&cli))),
        ("async-std", to_json(runtime_asyncstd::run(&cli))),
        ("smol", to_json(runtime_smol::run(&cli))),
    ]
}

/// Asserts that the three reports are equal, naming the first runtime that differs.
fn assert_agree(reports: &[(&str, Value); 3]) {
    let (first, expected) = &reports[0];
    for (name, report) in &reports[1..] {
        assert_eq!(
            report,
            expected,
            "{name} disagrees with {first}:\n{name}: {}\n{first}: {}",
            serde_json::to_string_pretty(report).unwrap(),
            serde_json::to_string_pretty(expected).unwrap()
        );
    }
}

#[test]
fn the_default_run_agrees() {
    let reports = reports(&["--json", "--latency-ms", "50"]);
    assert_eq!(
        reports[0].1["concurrent"]["fetches"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_agree(&reports);
}

#[test]
fn errors_agree() {
    let fixture = Fixture::start(0, Duration::from_millis(10)).unwrap();
    let missing = fixture.url("/missing.pdf");
    let truncated = fixture.url("/fault/truncated");
    let stall = fixture.url("/fault/stall");
    let reports = reports(&[
        "--json",
        "--timeout",
        "0.5",
        "not a url",
        "http://127.0.0.1:1/",
        &missing,
        &truncated,
        &stall,
    ]);
    let errors = reports[0].1["concurrent"]["fetches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["error"].is_null())
        .count();
    assert_eq!(errors, 5);
    assert_agree(&reports);
}

#[test]
fn the_sleep_demo_agrees_and_so_does_the_minimal_executor() {
    let args = ["--json", "sleep"];
    let reports = reports(&args);
    assert_eq!(reports[0].1["sleep"]["events"].as_array().unwrap().len(), 6);
    assert_agree(&reports);
    let cli = Cli::parse_from(std::iter::once("study").chain(args));
    let minimal = runtime_minimal::run(&cli).unwrap();
    let minimal = study_tests::comparable(&serde_json::to_value(minimal).unwrap());
    assert_eq!(minimal, reports[0].1, "the minimal executor disagrees");
}

#[test]
fn the_reactive_demo_agrees() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, b"a small local file\n").unwrap();
    let path = file.path().to_str().unwrap();
    let mut reports = reports(&["--json", "reactive", "--file", path, "--latency-ms", "400"]);
    assert_eq!(reports[0].1["events"].as_array().unwrap().len(), 8);
    // Starts and ends compared apart: a task that is done at its first poll (a tiny file,
    // read on another thread while this one starts it) ends before the next one starts.
    for (_, report) in &mut reports {
        let order = |kind: &str| -> Vec<Value> {
            let events = report["events"].as_array().unwrap();
            let of_kind = events.iter().filter(|e| e["event"] == kind);
            of_kind.map(|e| e["task"].clone()).collect()
        };
        let (starts, ends) = (order("start"), order("end"));
        report["events"] = serde_json::json!({"starts": starts, "ends": ends});
    }
    assert_agree(&reports);
}
