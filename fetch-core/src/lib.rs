//! The runtime-agnostic half of the study: everything the three runtime binaries share.
//!
//! The study rebuilds a Python asyncio lesson (`../shared/seed/`) on three single-threaded
//! Rust executors: tokio, async-std and smol. The runtimes differ in how they build an
//! executor, sleep and spawn a local task, and each `runtime-*` crate holds only that. This
//! crate holds the rest, written once:
//!
//! - [`fetch::Fetch`], the trait every HTTP client implements, and [`fetch::FetchError`];
//! - [`runtime::Runtime`], the little a runtime crate must provide (a timer and a local spawn);
//! - [`drive`], the concurrent and sequential drivers that gather fetches;
//! - [`sleep`], the lesson's `mysleep` demo;
//! - [`starve`], the starvation demo: a task that keeps the thread, and the fixes;
//! - [`reactive`], a fetch, a subprocess, a file, a timer and stdin in one gather;
//! - [`scale`], thousands of fetches or sleeps on one thread;
//! - [`census`], the list of the process's OS threads, and who polled what;
//! - [`report`], the report types and their rendering, as text or JSON;
//! - [`cli`], the command-line flags, defined once for the three binaries;
//! - [`run`], which plays the whole lesson on a given runtime and client.
//!
//! Invariant: this crate depends on no async runtime (tokio, async-std, smol, async-io,
//! async-executor, async-global-executor). `tests/no_runtime.rs` checks it.

pub mod census;
pub mod cli;
pub mod drive;
pub mod fetch;
pub mod reactive;
pub mod report;
pub mod runtime;
pub mod scale;
pub mod sleep;
pub mod starve;

mod lesson;

pub use cli::{Cli, ClientKind, ClientOptions, Demo, GatherMode, ReactiveArgs, ScaleArgs};
pub use fetch::{Fetch, FetchError, Fetched, TlsProblem};
pub use lesson::run;
pub use report::{Report, RunReport};
pub use runtime::{Reactive, Runtime};

/// The paths of the four documents the lesson fetches (`http://www.irs.gov/pub/irs-pdf/…`).
///
/// The binaries fetch them from the local fixture server by default, so that a first run
/// works offline and its numbers do not depend on someone else's network.
pub const SEED_PATHS: [&str; 4] = [
    "/pub/irs-pdf/f1040.pdf",
    "/pub/irs-pdf/f1040ez.pdf",
    "/pub/irs-pdf/f1040es.pdf",
    "/pub/irs-pdf/f1040sb.pdf",
];
