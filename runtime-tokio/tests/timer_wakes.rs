//! Thousands of timers armed in one turn of a `join` gather cost no syscall each.
//!
//! tokio wakes its own driver, with an 8-byte write to an eventfd, for every timer armed to
//! be due before the earliest one the driver last saw, and for every timer when it saw none
//! (tokio#5207). The tokio crate's `gather_join` shows the driver a timer first; this
//! counts the eventfd writes of 2,000 gathered sleeps with strace: a handful, where the
//! gather without that timer makes one per sleep.
//!
//! Run with: `cargo test -p runtime-tokio --test timer_wakes`

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed test, with its line"
)]

use study_tests::{Binary, strace_runs};

/// The binary under test.
const BINARY: &str = env!("CARGO_BIN_EXE_runtime-tokio");

/// How many sleeps the gather arms in one turn.
const SLEEPS: usize = 2_000;

#[test]
fn gathered_sleeps_arm_their_timers_without_waking_the_driver() {
    if !strace_runs("it is what counts the writes") {
        return;
    }
    let sleeps = SLEEPS.to_string();
    let traced = [
        "-f",
        "-o",
        "/dev/stderr",
        "-e",
        "trace=write",
        BINARY,
        "scale",
        "--count",
        "0",
        "--sleeps",
        &sleeps,
        "--sleep-ms",
        "200",
        "--gather",
        "join",
    ];
    let (output, report) = Binary("strace").run_json(&traced);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    let sleep_ms = report["sleep_ms"].as_f64().unwrap();
    assert!(
        sleep_ms >= 200.0,
        "{SLEEPS} sleeps of 200 ms took {sleep_ms} ms"
    );
    // An eventfd takes writes of one 8-byte counter; stdout's lines are text.
    let wakes = output
        .stderr
        .lines()
        .filter(|line| line.contains(r#" write("#) && line.contains(r#", "\1\0\0\0\0\0\0\0", 8)"#))
        .count();
    // At least one: the driver is woken for the first timer it sees (2 writes in all,
    // here). None would mean the count no longer finds tokio's writes in strace's lines,
    // and the bound below would pass whatever tokio did.
    assert!(
        (1..=10).contains(&wakes),
        "{wakes} eventfd writes for {SLEEPS} gathered sleeps (one per sleep is tokio#5207; \
         none means strace's lines were not read)"
    );
}
