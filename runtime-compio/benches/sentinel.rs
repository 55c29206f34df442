//! The sentinel: CPU per fetch and per sleep at a fixed N, on this runtime, in-process,
//! compared with the previous run so that a regression of 20 % or more shows. The
//! measurement is written once, in study-tests.
//!
//! Run with: `cargo bench -p runtime-compio --bench sentinel`

fn main() {
    study_tests::sentinel::sentinel("compio", runtime_compio::run);
}
