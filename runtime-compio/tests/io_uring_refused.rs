//! Where the kernel refuses io_uring, runtime-compio says so on stderr and plays the lesson
//! on compio's epoll driver, and its report says which driver ran. The refusal is made with
//! strace's fault injection: `io_uring_setup` fails with EPERM, as it does under
//! `kernel.io_uring_disabled=2`.
//!
//! Run with: `cargo test -p runtime-compio --test io_uring_refused`

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed test, with its line"
)]

use study_tests::{Binary, strace_runs};

/// The binary under test.
const BINARY: &str = env!("CARGO_BIN_EXE_runtime-compio");

#[test]
fn a_refused_io_uring_is_said_and_the_lesson_runs_on_epoll() {
    if !strace_runs("it is what refuses io_uring here") {
        return;
    }
    let strace = Binary("strace");
    let refused = [
        "-f",
        "-o",
        "/dev/null",
        "-e",
        "inject=io_uring_setup:error=EPERM",
        BINARY,
        "--latency-ms",
        "50",
    ];
    let (output, report) = strace.run_json(&refused);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert!(
        output.stderr.contains(
            "note: the kernel refused io_uring (Operation not permitted (os error 1); see \
             /proc/sys/kernel/io_uring_disabled, or a seccomp filter): compio runs on its \
             polling driver (epoll) instead\n"
        ),
        "{}",
        output.stderr
    );
    assert_eq!(
        report["driver"],
        "epoll (compio's fallback: io_uring refused)"
    );
    let fetches = report["concurrent"]["fetches"].as_array().unwrap();
    assert_eq!(fetches.len(), 4);
    assert!(
        fetches.iter().all(|fetch| fetch["error"].is_null()),
        "{report}"
    );

    // And where io_uring works, the report says so, and stderr says nothing of it.
    let (output, report) = Binary(BINARY).run_json(&["--latency-ms", "50"]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert_eq!(report["driver"], "io_uring (compio)");
    assert!(!output.stderr.contains("io_uring"), "{}", output.stderr);
}
