//! Putting a run together: the one place that turns the command line into a demo on a
//! runtime, the same for every runtime crate.
//!
//! [`Play::prepare`] starts the fixture server when the demo fetches and no server was
//! named; [`Play::demo`] chooses the demo, builds the client `--client` names, checks the
//! open-files limit before a scale run, and plays it. A runtime crate's `run` says only
//! what is the runtime's own: it builds the executor, spawns [`Play::demo`] as a local
//! task, and blocks on that task. The lesson's route is then runtime crate → this crate →
//! `fetch_core::lesson` → `fetch_core::session` → the client.

use std::future::Future;
use std::io;
use std::time::Duration;

use url::Url;

use fetch_clients::{BuildError, Connect, HyperClient};
use fetch_core::report::Live;
use fetch_core::trace::{self, traced};
use fetch_core::{Cli, Command, FetchArgs, Reactive, RunReport};
use fetch_core::{lesson, load, open_files, reactive, scale, sleep, starve};
use fixture_server::Fixture;

mod client;

pub use client::Client;

/// Why a run could not start. Nothing was fetched.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The fixture server could not start.
    #[error("cannot start the fixture server: {0}")]
    Fixture(io::Error),
    /// The client could not be built.
    #[error(transparent)]
    Client(#[from] BuildError),
    /// The run needs more open files than the process may have.
    #[error("{0}")]
    TooFewFiles(String),
    /// The trace file cannot be written.
    // The cause comes after, in the error's chain (`{:#}`), once.
    #[error("cannot write --trace {}", path.display())]
    Trace {
        /// The file given.
        path: std::path::PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The demo has no server to load: no URL, and no fixture server started.
    #[error("load needs a URL, or no URL and the fixture server it then starts")]
    NoServer,
}

/// A run of the study, put together from the command line, with the fixture server it
/// needs already serving. Dropping it stops that server.
#[derive(Debug)]
pub struct Play {
    cli: Cli,
    fixture: Option<Fixture>,
}

impl Play {
    /// Starts the fixture server on its own thread when the demo fetches and no server was
    /// named: it serves until the `Play` is dropped.
    pub fn prepare(cli: &Cli) -> Result<Play, SetupError> {
        if cli.debug() {
            trace::warn_of_polls_over(trace::SLOW_CALLBACK);
        }
        if let Some(path) = cli.trace() {
            // Made now, so that a path that cannot be written stops the run before it starts.
            std::fs::File::create(path).map_err(|source| SetupError::Trace {
                path: path.to_owned(),
                source,
            })?;
            trace::start();
        }
        let fixture = fixture_needed(cli)
            .map(|(latency, keep_alive)| match keep_alive {
                FixtureConnections::KeptAlive => Fixture::start_keep_alive(0, latency),
                FixtureConnections::ClosedAfterEachAnswer => Fixture::start(0, latency),
            })
            .transpose()
            .map_err(SetupError::Fixture)?;
        Ok(Play {
            cli: cli.clone(),
            fixture,
        })
    }

    /// Plays the demo the command line asks for on `runtime`, with the client chosen by
    /// `--client` where it fetches, and returns the demo's report.
    ///
    /// Spawn it as a local task of its own and block on that task, not on this future:
    /// every future in the demo is then polled with a task's waker, which stays the same
    /// from poll to poll. (A clone of tokio's `block_on` waker does not `will_wake` the
    /// original in release builds, and async-io, under surf's sockets, then wakes on every
    /// poll: a busy loop. docs/BENCHMARKS.md has the details.)
    ///
    /// A client is built only for the demos that fetch: isahc's starts a thread.
    pub fn demo<R: Connect + Reactive>(
        &self,
        runtime: R,
    ) -> impl Future<Output = Result<RunReport, SetupError>> + 'static {
        let cli = self.cli.clone();
        let fixture_url = self.fixture.as_ref().map(Fixture::base_url);
        async move {
            let report = traced(
                || "the demo".to_owned(),
                play(runtime, &cli, fixture_url.as_ref()),
            );
            let report = report.await?;
            if let Some(path) = cli.trace() {
                let live = Live { quiet: cli.json() };
                trace::finish(path, live).map_err(|source| SetupError::Trace {
                    path: path.to_owned(),
                    source,
                })?;
            }
            Ok(report)
        }
    }
}

/// What the fixture server does with a connection after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FixtureConnections {
    /// Keeps it for the next request: for the load demo, whose connections carry request
    /// after request.
    KeptAlive,
    /// Closes it, as the lesson's fetches expect.
    ClosedAfterEachAnswer,
}

/// The fixture server a run needs (its latency, and whether it keeps connections alive),
/// or `None` when it fetches nothing or fetches only from servers that were named.
fn fixture_needed(cli: &Cli) -> Option<(Duration, FixtureConnections)> {
    let latency = |ms: Option<u64>| ms.map_or(fetch_core::LESSON_LATENCY, Duration::from_millis);
    match &cli.subcommand {
        None if cli.lesson.urls.is_empty() => Some((
            latency(cli.lesson.latency_ms),
            FixtureConnections::ClosedAfterEachAnswer,
        )),
        Some(Command::Reactive(args)) if args.url.is_none() => Some((
            latency(args.latency_ms),
            FixtureConnections::ClosedAfterEachAnswer,
        )),
        Some(Command::Scale(args)) if args.base.is_none() && args.count > 0 => Some((
            latency(args.latency_ms),
            FixtureConnections::ClosedAfterEachAnswer,
        )),
        // Under load, the server answers at once unless told otherwise.
        Some(Command::Load(args)) if args.url.is_none() => {
            let latency = Duration::from_millis(args.latency_ms.unwrap_or(0));
            Some((latency, FixtureConnections::KeptAlive))
        }
        _ => None,
    }
}

/// Plays the demo `cli` names on `runtime`; `fixture_url` is the base URL of the fixture
/// server [`Play::prepare`] started, if it did: the demo then fetches from it.
async fn play<R: Connect + Reactive>(
    runtime: R,
    cli: &Cli,
    fixture_url: Option<&Url>,
) -> Result<RunReport, SetupError> {
    let live = Live { quiet: cli.json() };
    let client =
        |fetch: &FetchArgs| Client::choose(fetch.client, runtime.clone(), &fetch.client_options());
    Ok(match &cli.subcommand {
        None => {
            let args = &cli.lesson;
            let urls = fixture_url.map_or_else(|| args.urls.clone(), fetch_core::seed_urls);
            let client = client(&args.fetch)?;
            let timeout = args.fetch.limits.timeout;
            let report = lesson::demo(runtime, client, &urls, args.gather, timeout, live);
            RunReport::Lesson(report.await)
        }
        Some(Command::Sleep(_)) => RunReport::Sleep(sleep::demo(&runtime, live).await),
        Some(Command::Starve(_)) => RunReport::Starve(starve::demo(&runtime, live).await),
        Some(Command::Scale(args)) => {
            // Each fetch in flight holds a socket, and one more in the fixture if it runs in
            // this process: refuse now, with the numbers, rather than fail with EMFILE.
            let in_flight = args
                .concurrency
                .map_or(args.count as u64, |k| k.min(args.count as u64));
            let sockets = in_flight * if fixture_url.is_some() { 2 } else { 1 };
            let what = format!("scale --count {}", args.count);
            let advice = "lower --count, bound it with --concurrency, or run the fixture server \
                          in its own process with --base";
            open_files::open_files()
                .check(sockets, &what, advice)
                .map_err(SetupError::TooFewFiles)?;
            let client = client(&args.fetch)?;
            // Neither is there with --count 0: nothing is fetched then.
            let base = fixture_url.or(args.base.as_ref());
            RunReport::Scale(scale::demo(runtime, client, args, base, live).await)
        }
        Some(Command::Load(args)) => {
            // Each connection holds a socket, and one more in the fixture if it runs here.
            let sockets = args.connections * if fixture_url.is_some() { 2 } else { 1 };
            let what = format!("load --connections {}", args.connections);
            let advice = "lower --connections, or run the server in its own process and give \
                          load its URL";
            open_files::open_files()
                .check(sockets, &what, advice)
                .map_err(SetupError::TooFewFiles)?;
            let url = match (fixture_url, &args.url) {
                (Some(base), _) => base.join("/doc/1").unwrap_or_else(|_| base.clone()),
                (None, Some(url)) => url.clone(),
                // The flags make a fixture start whenever no URL is given.
                (None, None) => return Err(SetupError::NoServer),
            };
            let client = HyperClient::new(runtime.clone(), &args.client_options())?;
            RunReport::Load(Box::new(load::demo(runtime, client, args, url, live).await))
        }
        Some(Command::Reactive(args)) => {
            let url = match (fixture_url, &args.url) {
                (Some(base), _) => fetch_core::seed_urls(base)
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| base.to_string()),
                (None, url) => url.clone().unwrap_or_default(),
            };
            let client = client(&args.fetch)?;
            let timeout = args.fetch.limits.timeout;
            RunReport::Reactive(reactive::demo(runtime, client, args, url, timeout, live).await)
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a test: a failed unwrap is a failed test"
    )]

    use clap::Parser;

    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("study").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn a_fixture_starts_only_for_a_demo_that_fetches_from_no_named_server() {
        let needed = |args: &[&str]| fixture_needed(&parse(args));
        let lesson = Some((
            fetch_core::LESSON_LATENCY,
            FixtureConnections::ClosedAfterEachAnswer,
        ));
        assert_eq!(needed(&[]), lesson);
        let fast = Some((
            Duration::from_millis(20),
            FixtureConnections::ClosedAfterEachAnswer,
        ));
        assert_eq!(needed(&["--latency-ms", "20"]), fast);
        assert_eq!(needed(&["http://127.0.0.1:1/"]), None);
        assert_eq!(needed(&["sleep"]), None);
        assert_eq!(needed(&["starve"]), None);
        assert_eq!(needed(&["scale", "--count", "3"]), lesson);
        assert_eq!(needed(&["scale", "--sleeps", "3"]), None);
        assert_eq!(
            needed(&["scale", "--count", "3", "--base", "http://127.0.0.1:1"]),
            None
        );
        assert_eq!(needed(&["reactive"]), lesson);
        assert_eq!(needed(&["reactive", "http://127.0.0.1:1/"]), None);
        assert_eq!(
            needed(&["load"]),
            Some((Duration::ZERO, FixtureConnections::KeptAlive))
        );
        assert_eq!(needed(&["load", "http://127.0.0.1:1/"]), None);
    }
}
