//! With the study's adapter, compio wakes a fetch once per read of up to 64 KiB, not once
//! per 2 KiB: no fetch of the lesson is polled more than 40 times, where the published
//! adapter polls the largest one hundreds of times.
//!
//! Run with: `cargo test -p runtime-compio --test study_adapter`

/// The binary under test.
const BINARY: &str = env!("CARGO_BIN_EXE_runtime-compio");

#[test]
fn the_study_adapter_polls_a_fetch_at_most_40_times() {
    study_tests::adapter::check_study_adapter_polls_a_fetch_at_most_40_times(study_tests::Binary(
        BINARY,
    ));
}
