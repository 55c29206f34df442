//! The checks that load the machine, on this runtime, in a test binary of their own: cargo
//! runs one test binary at a time, so nothing else runs beside them.
//!
//! Run with: `cargo test -p runtime-compio --test busy_machine`

study_tests::busy_machine_tests!(env!("CARGO_BIN_EXE_runtime-compio"));
