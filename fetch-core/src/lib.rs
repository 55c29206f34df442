//! The runtime-agnostic half of the study: everything the runtime binaries share.
//!
//! The study rebuilds a Python asyncio lesson on single-threaded Rust executors. The
//! runtimes differ in how they build an executor, sleep and spawn a local task, and each
//! `runtime-*` crate holds only that. This crate holds the rest, written once, in layers
//! that import downward only:
//!
//! - at the bottom, what every demo shares: [`fetch::Fetch`], the trait every HTTP client
//!   implements, and [`fetch::FetchError`]; [`runtime::Runtime`], the little a runtime crate
//!   must provide; [`census`], the process's OS threads; [`limits`], the open-files limit;
//!   [`report`], the live printer, the
//!   record of one fetch and the exit code; [`cli`], the flags, defined once;
//! - [`drive`], the concurrent and sequential drivers that gather fetches;
//! - the demos, each with its own report type: [`lesson`] (the seed's two cells),
//!   [`sleep`] (`mysleep`), [`starve`] (a task that keeps the thread, and the fixes),
//!   [`reactive`] (a fetch, a subprocess, a file, a timer and stdin in one gather) and
//!   [`scale`] (thousands of fetches or sleeps on one thread);
//! - at the top, [`demos::Report`], whichever of them ran.
//!
//! Invariant: this crate depends on no async runtime (tokio, async-std, smol, async-io,
//! async-executor, async-global-executor). `tests/no_runtime.rs` checks it.

use std::time::Duration;

use url::Url;

pub mod census;
pub mod cli;
pub mod demos;
pub mod drive;
pub mod fetch;
pub mod lesson;
pub mod limits;
pub mod reactive;
pub mod report;
pub mod runtime;
pub mod scale;
pub mod sleep;
pub mod starve;

#[cfg(test)]
mod testing;

pub use cli::{
    Cli, ClientKind, ClientOptions, Demo, FetchArgs, GatherMode, ReactiveArgs, ScaleArgs,
};
pub use demos::Report;
pub use fetch::{Fetch, FetchError, Fetched, TlsProblem, parse_url};
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

/// The fixture's latency for the lesson, unless told otherwise: about one transatlantic
/// fetch, so that four in turn take a second or so.
pub const LESSON_LATENCY: Duration = Duration::from_millis(300);

/// The URLs of the lesson's four documents on the server at `base`.
pub fn seed_urls(base: &Url) -> Vec<String> {
    SEED_PATHS
        .iter()
        .filter_map(|path| base.join(path).ok())
        .map(String::from)
        .collect()
}
