//! A timeline of every traced task's polls and wakes, on any executor, written in the
//! Chrome trace event format that <https://ui.perfetto.dev> and `chrome://tracing` open.
//!
//! [`traced`] wraps a future: each poll is recorded (the task, the thread, when, how long,
//! `Ready` or `Pending`), and the waker it passes down is wrapped too, so that each wake is
//! recorded with the thread it came from, and with its source where the study's tags tell
//! it ([`woken_by`], [`SourceTag`]: a socket, a timer, a task or a channel). A poll is linked to the first wake since the
//! task's previous poll (as tokio-metrics counts "scheduled" time); a poll after the first
//! with no wake before it is spurious: the executor polled a task that nobody woke.
//!
//! Off unless [`start`] was called (`--trace FILE`): then [`traced`] costs one branch per
//! poll. The same wrapper is asyncio's debug mode (`--debug`, [`warn_of_polls_over`]): it
//! warns on stderr of each poll longer than [`SLOW_CALLBACK`], naming the task. The log holds at most [`CAPACITY`] events; the trace says how many it dropped.
//!
//! One job a file: `record` (the wrapper, the waker and the log), `source` (the tags that
//! say what woke a task), `summary` (the figures), `chrome` (the trace file, and what a
//! traced run prints about it).

mod chrome;
mod record;
mod source;
mod summary;

pub use chrome::{finish, write};
pub use record::{CAPACITY, SLOW_CALLBACK, Traced, enabled, start, traced, warn_of_polls_over};
pub use source::{SourceTag, WakeSource, WokenBy, woken_by};
pub use summary::{TaskFigures, TraceSummary, task_figures};
