//! The threads baseline through its real binary: every fetch on a thread of its own, all
//! at once; and a server that refuses, counted as errors with the exit code 1.
//!
//! Run with: `cargo test -p threads-baseline`

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed test"
)]

use std::time::Duration;

use serde_json::Value;

use fixture_server::Fixture;
use study_tests::Binary;

/// Runs the baseline with `args` and `--json`, within study-tests' time limit, and parses
/// its report.
fn run(args: &[&str]) -> (Option<i32>, Value) {
    let (output, report) = Binary(env!("CARGO_BIN_EXE_threads-baseline")).run_json(args);
    (output.code, report)
}

#[test]
fn every_fetch_runs_at_once_on_a_thread_of_its_own() {
    let fixture = Fixture::start(0, Duration::from_millis(200)).unwrap();
    let base = fixture.url("");
    let (code, report) = run(&["--count", "50", "--base", &base]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["runtime"], "threads");
    assert_eq!(report["client"], "ureq");
    assert_eq!(report["succeeded"], 50, "{report}");
    assert_eq!(report["errors"], serde_json::json!({}), "{report}");
    // Fifty fetches of 200 ms each, at once: about 0.2 s, far from the 10 s in turn.
    let fetch_ms = report["fetch_ms"].as_f64().unwrap();
    assert!(fetch_ms < 5_000.0, "50 fetches at once took {fetch_ms} ms");
}

#[test]
fn a_refused_connection_is_counted_and_the_exit_code_says_so() {
    let refusing = fixture_server::RefusingPort::bind().unwrap();
    let base = format!("http://{}", refusing.addr());
    let (code, report) = run(&["--count", "3", "--base", &base]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["succeeded"], 0, "{report}");
    let errors = report["errors"].as_object().unwrap();
    assert_eq!(errors.values().map(|n| n.as_u64().unwrap()).sum::<u64>(), 3);
}
