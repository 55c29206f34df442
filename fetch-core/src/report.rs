//! What a run found, and how it is shown: the lesson's lines as they happen, or one JSON
//! document at the end.
//!
//! Invariant: every field that holds a timing ends in `_ms`, apart from `speedup`, so that a
//! test (or `jq`) can drop the timings and diff two runs, or two runtimes.

use std::fmt::Display;
use std::process::ExitCode;

use serde::Serialize;

use crate::census::Census;

/// The whole run, as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The runtime under study: `tokio`, `async-std` or `smol`.
    pub runtime: &'static str,
    /// The HTTP client: `hyper`, `isahc` or `surf`.
    pub client: &'static str,
    /// The fetches gathered concurrently.
    pub concurrent: PhaseReport,
    /// The same fetches, one after the other.
    pub sequential: PhaseReport,
    /// How many times faster the concurrent phase was: sequential time ÷ concurrent time.
    pub speedup: f64,
    /// The `mysleep` demo.
    pub sleep: SleepReport,
    /// The process's threads, taken while the concurrent phase was in flight.
    pub census: Census,
}

/// One phase of fetches.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    /// `join` or `spawn` for the concurrent phase, `sequential` for the other.
    pub mode: &'static str,
    /// The phase's wall time.
    pub total_ms: f64,
    /// One report per URL, in input order.
    pub fetches: Vec<FetchReport>,
}

/// One fetch: what came back, when, and on which thread it was polled.
#[derive(Debug, Clone, Serialize)]
pub struct FetchReport {
    /// The URL as given.
    pub url: String,
    /// The last URL requested, after redirects (`None` if the URL was not valid).
    pub final_url: Option<String>,
    /// How many redirects were followed.
    pub redirects: u32,
    /// The HTTP status, when a response came back.
    pub status: Option<u16>,
    /// The body bytes received, when a response came back.
    pub bytes: Option<u64>,
    /// When the fetch started, from the start of the run.
    pub start_ms: f64,
    /// When the fetch ended, from the start of the run.
    pub end_ms: f64,
    /// Why the fetch failed, if it did.
    pub error: Option<String>,
    /// The kernel ids of the threads that polled this fetch's future (one, if the study's
    /// claim holds).
    pub polled_on: Vec<u32>,
}

/// The `mysleep` demo: the order things happened in, and the results.
#[derive(Debug, Clone, Serialize)]
pub struct SleepReport {
    /// Entries and exits, in the order they happened.
    pub events: Vec<SleepEvent>,
    /// What each `mysleep` returned, in input order.
    pub results: Vec<f64>,
    /// The demo's wall time.
    pub total_ms: f64,
}

/// One entry into, or exit from, `mysleep`.
#[derive(Debug, Clone, Serialize)]
pub struct SleepEvent {
    /// `enter` or `exit`.
    pub event: &'static str,
    /// The `duration` argument of that `mysleep`, in seconds.
    pub duration: f64,
    /// When it happened, from the start of the demo.
    pub at_ms: f64,
}

impl RunReport {
    /// Every fetch of both phases.
    pub fn fetches(&self) -> impl Iterator<Item = &FetchReport> {
        self.concurrent
            .fetches
            .iter()
            .chain(&self.sequential.fetches)
    }
}

/// What any demo found: the lesson's report, or another demo's.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Report {
    /// The lesson: fetches, sleep demo, census.
    Lesson(RunReport),
    /// The sleep demo alone.
    Sleep(SleepDemoReport),
    /// The starvation demo.
    Starve(crate::starve::StarveReport),
    /// The reactive-tasks demo.
    Reactive(crate::reactive::ReactiveReport),
    /// The scale mode.
    Scale(crate::scale::ScaleReport),
}

/// The sleep demo alone, as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct SleepDemoReport {
    /// The runtime under study.
    pub runtime: &'static str,
    /// The demo.
    pub sleep: SleepReport,
}

impl Report {
    /// What failed: (what, why) lines, how many things failed, out of how many, and what
    /// the things are called.
    fn failures(&self) -> (Vec<(String, &str)>, usize, usize, &'static str) {
        match self {
            Report::Lesson(run) => {
                let lines: Vec<_> = run
                    .fetches()
                    .filter_map(|f| Some((f.url.clone(), f.error.as_deref()?)))
                    .collect();
                let failed = lines.len();
                (lines, failed, run.fetches().count(), "fetches")
            }
            Report::Reactive(demo) => {
                let lines: Vec<_> = demo
                    .tasks
                    .iter()
                    .filter_map(|t| Some((t.task.to_owned(), t.error.as_deref()?)))
                    .collect();
                let failed = lines.len();
                (lines, failed, demo.tasks.len(), "tasks")
            }
            Report::Scale(scale) => {
                let lines = scale
                    .errors
                    .iter()
                    .map(|(error, times)| (format!("{times} fetches"), error.as_str()))
                    .collect();
                let failed = scale.count - scale.succeeded;
                (lines, failed, scale.count, "fetches")
            }
            Report::Sleep(_) | Report::Starve(_) => (Vec::new(), 0, 0, "tasks"),
        }
    }

    /// Prints the end of the run and says how the process should exit.
    ///
    /// With `json`, the whole report goes to stdout as JSON; the text lines were already
    /// printed as they happened otherwise. Failures are repeated on stderr either way, so
    /// that they are seen even when stdout goes to a file. Exit code 1 means something
    /// failed.
    pub fn finish(&self, json: bool) -> ExitCode {
        if json {
            match serde_json::to_string_pretty(self) {
                Ok(text) => println!("{text}"),
                Err(err) => {
                    eprintln!("error: cannot write the report as JSON: {err}");
                    return ExitCode::from(2);
                }
            }
        }
        let (lines, failed, total, noun) = self.failures();
        for (what, why) in &lines {
            eprintln!("error: {what}: {why}");
        }
        if failed == 0 {
            ExitCode::SUCCESS
        } else {
            eprintln!("error: {failed} of {total} {noun} failed");
            ExitCode::from(1)
        }
    }
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

    /// Prints a phase's total time.
    pub fn phase_total(self, phase: &PhaseReport) {
        self.line(format_args!(
            "total time ({}): {:.3} s",
            phase.mode,
            phase.total_ms / 1000.0
        ));
    }

    /// Prints how the two phases compare.
    pub fn speedup(self, concurrent: &PhaseReport, sequential: &PhaseReport, speedup: f64) {
        self.line(format_args!(
            "\nconcurrent {:.3} s vs sequential {:.3} s: concurrent is {speedup:.1}x faster",
            concurrent.total_ms / 1000.0,
            sequential.total_ms / 1000.0,
        ));
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
