//! The runtime-agnostic half of the study: everything the runtime binaries share.
//!
//! The study rebuilds a Python asyncio lesson on single-threaded Rust executors. The
//! runtimes differ in how they build an executor, sleep and spawn a local task, and each
//! `runtime-*` crate holds only that. This crate holds the rest, written once, in layers
//! that import downward only:
//!
//! - at the bottom, what every demo shares: [`fetch::Fetch`], the trait every HTTP client
//!   implements, and [`fetch::FetchError`]; [`runtime::Runtime`], the little a runtime crate
//!   must provide; [`seed`], the seed's documents; [`census`], the process's OS threads;
//!   [`open_files`], the open-files limit; [`report`], the live printer, the record of one fetch
//!   and the exit code; [`cli`], the flags, defined once; [`trace`], the timeline of polls
//!   and wakes (`--trace`); [`polls`], the polls of each fetch, counted always;
//! - [`session`], one fetch under its timeout, and the concurrent and sequential phases
//!   that gather fetches;
//! - the demos, each with its own report type: [`lesson`] (the seed's two cells),
//!   [`sleep`] (`mysleep`), [`starve`] (a task that keeps the thread, and the fixes),
//!   [`reactive`] (a fetch, a subprocess, a file, a timer and stdin in one gather),
//!   [`scale`] (thousands of fetches or sleeps on one thread) and [`load`] (requests on
//!   kept-alive connections, closed loop or at a rate, with latency percentiles);
//! - at the top, [`run_report::RunReport`], whichever of them ran.
//!
//! Invariant: this crate depends on no async runtime (tokio, async-std, smol, async-io,
//! async-executor, async-global-executor, compio). `study-tests/tests/no_runtime.rs` checks it.

pub mod census;
pub mod cli;
pub mod fetch;
pub mod lesson;
pub mod load;
pub mod open_files;
pub mod polls;
pub mod reactive;
pub mod report;
pub mod run_report;
pub mod runtime;
pub mod scale;
pub mod seed;
pub mod session;
pub mod sleep;
pub mod starve;
pub mod sweep;
pub mod timeout;
pub mod trace;

#[cfg(test)]
mod testing;

pub use cli::{
    AdapterArgs, Cli, ClientKind, ClientOptions, Command, FetchArgs, GatherMode, Limits, LoadArgs,
    ReactiveArgs, ScaleArgs,
};
pub use fetch::{
    Connection, Fetch, FetchError, Fetched, IoAdapter, KeptAliveClient, TlsProblem, parse_url,
};
pub use run_report::RunReport;
pub use runtime::{Reactive, Runtime};
pub use seed::{LESSON_LATENCY, SEED_PATHS, seed_urls};
pub use sweep::TimeoutCheck;
