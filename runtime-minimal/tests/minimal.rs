//! The minimal executor, checked through its real binary: the sleep demo's events and
//! results, starvation as on the real runtimes, and a clear refusal to fetch.
//!
//! Run with: `cargo test -p runtime-minimal`

use study_tests::Binary;

/// The binary under test.
const BINARY: Binary = Binary(env!("CARGO_BIN_EXE_runtime-minimal"));

#[test]
fn the_sleep_demo_runs_as_on_the_real_runtimes() {
    study_tests::sleep::check_sleep_subcommand(BINARY);
}

#[test]
fn a_hog_starves_the_other_tasks_and_the_fixes_work() {
    let report = study_tests::starve::check_starvation(BINARY);
    // futures' channel has no cooperative budget: the ready loop starves the victims.
    let ready_loop = &report["scenarios"][5];
    assert!(
        ready_loop["worst_late_ms"].as_f64().unwrap() > 350.0,
        "{ready_loop}"
    );
}

#[test]
fn it_refuses_to_fetch_with_a_clear_error() {
    let output = BINARY.run(&[]);
    assert_eq!(output.code, Some(2));
    assert!(
        output
            .stderr
            .contains("runtime-minimal has no I/O reactor, so it cannot fetch"),
        "{}",
        output.stderr
    );
}
