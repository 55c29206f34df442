//! The lesson and the other demos on this runtime, checked through the real binary: every
//! check of study-tests, the same for every runtime crate.
//!
//! Run with: `cargo test -p runtime-compio`

study_tests::runtime_tests!(env!("CARGO_BIN_EXE_runtime-compio"));
