//! The report pieces every demo shares, at the bottom of the crate: the live printer, the
//! record of one fetch, and how a finished report becomes an exit code.
//!
//! Each demo owns its report type and how it prints (`lesson`, `sleep`, `starve`,
//! `reactive`, `scale`, `load`); this module imports none of them. A demo's report implements
//! [`DemoReport`], and [`finish`] does the rest the same way for all.
//!
//! Invariant: every field that holds a timing or a rate ends in `_ms`, `_us` or
//! `_per_second` (apart from `speedup`), or sits in an object whose name does
//! (`latency_us`), so that a test (or `jq`) can drop them and diff two runs, or two
//! runtimes.

use std::cell::Cell;
use std::fmt::Display;
use std::future::Future;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use serde::{Deserialize, Serialize};

use crate::census::Census;

/// One fetch: what came back, when, and on which thread it was polled.
///
/// Every `Option` field is required when a report is read back (`deserialize_with`): a
/// renamed or missing `error` must be an error, not a fetch that silently succeeded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FetchReport {
    /// The URL as given.
    pub url: String,
    /// The last URL requested, after redirects (`None` if the URL was not valid).
    #[serde(deserialize_with = "Option::deserialize")]
    pub final_url: Option<String>,
    /// How many redirects were followed.
    pub redirects: u32,
    /// The HTTP status, when a response came back.
    #[serde(deserialize_with = "Option::deserialize")]
    pub status: Option<u16>,
    /// The body bytes received, when a response came back.
    #[serde(deserialize_with = "Option::deserialize")]
    pub bytes: Option<u64>,
    /// When the fetch started, from the start of the run.
    pub start_ms: f64,
    /// When the fetch ended, from the start of the run.
    pub end_ms: f64,
    /// Why the fetch failed, if it did.
    #[serde(deserialize_with = "Option::deserialize")]
    pub error: Option<String>,
    /// The kernel ids of the threads that polled this fetch's future (one, if the study's
    /// claim holds).
    pub polled_on: Vec<u32>,
}

/// What failed in a run, as [`finish`] reports it.
#[derive(Debug, Default)]
pub struct Failures {
    /// One (what, why) pair per failure line, for example (URL, error).
    pub lines: Vec<(String, String)>,
    /// How many things failed.
    pub failed: usize,
    /// How many things there were.
    pub total: usize,
    /// What the things are called: `fetches` or `tasks`.
    pub noun: &'static str,
}

/// A demo's report: it serialises as the demo's `--json` output and says what failed.
pub trait DemoReport: Serialize {
    /// What failed; [`Failures::default`] when nothing can fail.
    fn failures(&self) -> Failures;
}

/// Prints the end of the run and says how the process should exit.
///
/// With `json`, the whole report goes to stdout as JSON; the text lines were already
/// printed as they happened otherwise. Failures are repeated on stderr either way, so that
/// they are seen even when stdout goes to a file. Exit code 1 means something failed.
pub fn finish(report: &impl DemoReport, json: bool) -> ExitCode {
    if json {
        match serde_json::to_string_pretty(report) {
            Ok(text) => println!("{text}"),
            Err(err) => {
                eprintln!("error: cannot write the report as JSON: {err}");
                return ExitCode::from(2);
            }
        }
    }
    let failures = report.failures();
    for (what, why) in &failures.lines {
        eprintln!("error: {what}: {why}");
    }
    if failures.failed == 0 {
        ExitCode::SUCCESS
    } else {
        let Failures {
            failed,
            total,
            noun,
            ..
        } = failures;
        eprintln!("error: {failed} of {total} {noun} failed");
        ExitCode::from(1)
    }
}

/// Milliseconds since `start`, as a float, for the reports.
pub fn millis_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// Prints the lesson's lines as things happen, unless the run prints JSON instead.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    /// Whether to print nothing (the run ends with JSON).
    pub quiet: bool,
}

impl Live {
    /// Prints one line, unless quiet.
    pub fn line(self, text: impl Display) {
        if !self.quiet {
            println!("{text}");
        }
    }

    /// Prints a section title.
    pub fn section(self, title: impl Display) {
        self.line(format_args!("\n== {title} =="));
    }

    /// Prints the line the lesson prints when a fetch starts.
    pub fn fetching(self, url: &str) {
        self.line(format_args!("fetching {url}"));
    }

    /// Prints the lesson's lines for a finished fetch, or its error on one line.
    pub fn fetched(self, fetch: &FetchReport) {
        match (&fetch.error, fetch.status, fetch.bytes) {
            (None, Some(status), Some(bytes)) => {
                if let (Some(to), 1..) = (&fetch.final_url, fetch.redirects) {
                    let hops = fetch.redirects;
                    self.line(format_args!(
                        "{} redirected to {to} ({hops} hops)",
                        fetch.url
                    ));
                }
                self.line(format_args!("{} returned status {status}", fetch.url));
                self.line(format_args!("{} returned {bytes} bytes", fetch.url));
            }
            (error, ..) => self.line(format_args!(
                "{} failed: {}",
                fetch.url,
                error.as_deref().unwrap_or("no response")
            )),
        }
    }

    /// Prints the census, one thread a line, the executor's thread marked; `when` says
    /// when it was taken.
    pub fn census(self, census: &Census, when: &str) {
        self.section(format_args!("thread census, taken {when}"));
        if let Some(error) = &census.error {
            self.line(format_args!("census unavailable: {error}"));
            return;
        }
        self.line(format_args!("{} OS threads", census.threads.len()));
        for thread in &census.threads {
            let mark = if thread.executor { "*" } else { " " };
            self.line(format_args!(
                "{mark} {:>7}  {:<16} {}",
                thread.tid, thread.name, thread.role
            ));
        }
    }
}

/// How long a run goes before its progress bar shows.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// A progress bar that stays hidden unless stdout is a terminal, the run prints text, and
/// the run has gone on for [`QUIET_FOR`].
///
/// A step costs a counter's increment: the bar (a lock and a clock read) is touched only
/// when it may show, and then once per hundredth of the run. 100,000 sleeps would
/// otherwise spend a few percent of their CPU on a bar nobody sees.
pub struct Progress {
    bar: ProgressBar,
    shown: bool,
    start: Instant,
    done: Cell<u64>,
    /// How many steps between two updates of the bar.
    every: u64,
}

impl Progress {
    /// A hidden bar for `total` steps.
    pub fn new(total: usize, live: Live) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed}") {
            bar.set_style(style);
        }
        Progress {
            bar,
            shown: !live.quiet && std::io::stdout().is_terminal(),
            start: Instant::now(),
            done: Cell::new(0),
            every: (total as u64 / 100).max(1),
        }
    }

    /// `work`, counted as one step when it ends. A combinator, not an `async fn`, so that
    /// `work` is stored once, not as an argument and again as the future awaited.
    pub fn counted<T>(self: Rc<Self>, work: impl Future<Output = T>) -> impl Future<Output = T> {
        work.map(move |output| {
            self.step();
            output
        })
    }

    /// Counts one step.
    pub fn step(&self) {
        let done = self.done.get() + 1;
        self.done.set(done);
        if self.shown && done.is_multiple_of(self.every) {
            if self.bar.is_hidden() && self.start.elapsed() > QUIET_FOR {
                self.bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            self.bar.set_position(done);
        }
    }

    /// Clears the bar, if it showed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
