//! The command line, defined once so that every runtime binary takes exactly the same flags.
//!
//! Each subcommand takes only the flags it honours, and `--help` on it lists just those: a
//! flag given where it would do nothing is an error, not silently ignored. The lesson's flags
//! come before any subcommand and cannot be mixed with one.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use url::Url;

use crate::fetch::{IoAdapter, parse_url};
use crate::sweep::TimeoutCheck;

/// The flags of every runtime binary.
///
/// Each binary plays the lesson: four fetches gathered concurrently, the same four one by
/// one, the `mysleep` demo, and a census of the process's threads. A subcommand plays one
/// of the other demos instead.
#[derive(Debug, Clone, Parser)]
#[command(
    version,
    about = "Plays the asyncio lesson (concurrent vs sequential fetches, the mysleep demo, a thread census) on one current-thread executor.",
    long_about = None,
    args_conflicts_with_subcommands = true,
    after_help = "With no URL, the binary starts a local fixture server that serves the lesson's four \
                  documents after a simulated latency, so the run works offline.\n\
                  Each subcommand takes only the flags it honours: see `SUBCOMMAND --help`.\n\
                  The exit code is 1 when any fetch (or task of a demo) failed, and 2 when the run \
                  could not start."
)]
pub struct Cli {
    /// A demo to play instead of the lesson; `None` plays the lesson.
    #[command(subcommand)]
    pub subcommand: Option<Command>,

    /// The lesson's flags, when no subcommand is given.
    #[command(flatten)]
    pub lesson: LessonArgs,
}

/// The subcommands: the demos besides the lesson, the same in every runtime binary.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Only the sleep demo: gather(mysleep(1), mysleep(0.5), mysleep(1.5)).
    Sleep(OutputArgs),
    /// Starvation: victim tasks tick a 10 ms timer while a hog keeps the thread for 500 ms,
    /// then the fixes (yield points, work moved off the thread).
    Starve(OutputArgs),
    /// Other reactive tasks in one gather, on one thread: a fetch, a subprocess, the reading
    /// of a file, a timer and, with --stdin, a line typed on standard input.
    Reactive(ReactiveArgs),
    /// Scale: N small documents fetched at once (or K at a time), and N sleeps gathered.
    Scale(ScaleArgs),
    /// Steady load: N requests on K connections kept alive, one after the other on each
    /// (closed loop) or at a fixed rate (open loop), with hyper; latency percentiles.
    Load(LoadArgs),
}

/// The lesson's flags.
#[derive(Debug, Clone, Args)]
pub struct LessonArgs {
    /// URLs to fetch instead of the fixture's four documents (http:// or https://).
    #[arg(value_name = "URL", value_parser = parse_lesson_url)]
    pub urls: Vec<String>,

    /// How the concurrent phase gathers the fetches: `join` polls them all inside one task
    /// with futures' `join_all`; `spawn` spawns one local task per fetch with the runtime's
    /// own spawn.
    #[arg(long, value_enum, default_value_t = GatherMode::Join)]
    pub gather: GatherMode,

    /// The fixture server's latency, in milliseconds, before it answers each request. Only
    /// without URLs: given URLs are fetched from their own servers.
    #[arg(long, value_name = "MS", conflicts_with = "urls")]
    pub latency_ms: Option<u64>,

    /// How to fetch.
    #[command(flatten)]
    pub fetch: FetchArgs,

    /// How to report.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The flags of every demo that fetches with a client of the user's choice: the client
/// and its limits.
#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// The HTTP client: `hyper` does its I/O on this runtime's own sockets; `isahc` drives
    /// curl on its own agent thread; `surf` (its h1 client) uses async-std's sockets.
    #[arg(long, value_enum, default_value_t = ClientKind::Hyper)]
    pub client: ClientKind,

    /// The client's limits.
    #[command(flatten)]
    pub limits: Limits,

    /// hyper's socket adapter.
    #[command(flatten)]
    pub adapter: AdapterArgs,
}

/// The flag that chooses hyper's I/O adapter.
#[derive(Debug, Clone, Args)]
pub struct AdapterArgs {
    /// hyper's I/O adapter over the runtime's plain TCP sockets: `published`, what a user
    /// gets from crates.io (smol-hyper's `FuturesIo`, tokio's `TokioIo`, compio's
    /// `AsyncStream`); `study`, the study's own (`AsyncIoStream` on async-io's runtimes;
    /// `CompioStream` and a ring that defers its task work on compio; on tokio, `TokioIo`
    /// itself). hyper only; https keeps the published one.
    #[arg(long, value_enum, default_value_t = IoAdapter::Published)]
    pub io_adapter: IoAdapter,
}

/// The flags of every demo that fetches: how long a request and a connect may take, how
/// large a body may be, and what to trust.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Give up on a fetch after this many seconds, redirects included.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds, allow_negative_numbers = true)]
    pub timeout: Duration,

    /// Give up on connecting (TCP, and TLS for hyper) after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds, allow_negative_numbers = true)]
    pub connect_timeout: Duration,

    /// Stop reading a body larger than this many bytes, and report an error.
    #[arg(long, value_name = "BYTES", default_value_t = 100 * 1024 * 1024)]
    pub max_body: u64,

    /// Also trust the root certificate(s) in this PEM file, besides the usual web roots.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
}

/// The flags of every demo: how the report is printed, and where the timeline goes.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Print the whole run as one JSON document instead of the demo's text.
    #[arg(long)]
    pub json: bool,

    /// Record every poll and wake of the demo's tasks, and write them to FILE in the
    /// Chrome trace event format (open it in https://ui.perfetto.dev or chrome://tracing).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,

    /// asyncio's debug mode: warn on stderr of each poll of a demo's task that keeps the
    /// thread longer than 100 ms (asyncio's slow_callback_duration), naming the task.
    #[arg(long)]
    pub debug: bool,
}

/// The flags of the scale mode.
#[derive(Debug, Clone, Args)]
pub struct ScaleArgs {
    /// Fetch N small documents, `/doc/0` to `/doc/{N-1}`.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub count: usize,

    /// Gather N sleeps of --sleep-ms each, after the fetches.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub sleeps: usize,

    /// How long each of the --sleeps lasts.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub sleep_ms: u64,

    /// Keep at most K fetches in flight (with `join`, `buffer_unordered`; with `spawn`, K
    /// local tasks that take the next document in turn); all at once without it.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    pub concurrency: Option<u64>,

    /// How the fetches and the sleeps are gathered: `join` polls them all inside one task
    /// with futures' `join_all`; `spawn` makes each one a local task of the runtime.
    #[arg(long, value_enum, default_value_t = GatherMode::Join)]
    pub gather: GatherMode,

    /// The server to fetch the documents from, such as `http://127.0.0.1:8080`
    /// [default: a fixture server started in this process].
    #[arg(long, value_name = "URL", value_parser = parse_base)]
    pub base: Option<Url>,

    /// The in-process fixture server's latency, in milliseconds. Only without --base.
    #[arg(long, value_name = "MS", conflicts_with = "base")]
    pub latency_ms: Option<u64>,

    /// How to fetch.
    #[command(flatten)]
    pub fetch: FetchArgs,

    /// How to report.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The flags of the load demo.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// The URL to request again and again [default: a 1 KiB document of a fixture server
    /// started in this process, which keeps connections alive].
    #[arg(value_name = "URL", value_parser = parse_base)]
    pub url: Option<Url>,

    /// How many connections, each kept alive for the whole run.
    #[arg(long, value_name = "K", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub connections: u64,

    /// How many requests in all, shared among the connections.
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub requests: u64,

    /// Send requests at this rate, on a fixed schedule spread over the connections (open
    /// loop), and count each latency from when the request was due; without it, each
    /// connection sends its next request when the last answer is read (closed loop).
    #[arg(long, value_name = "PER_SECOND", value_parser = parse_rate, allow_negative_numbers = true)]
    pub rate: Option<f64>,

    /// The in-process fixture server's latency, in milliseconds [default: 0]. Only
    /// without a URL.
    #[arg(long, value_name = "MS", conflicts_with = "url")]
    pub latency_ms: Option<u64>,

    /// The client's limits: `--timeout` bounds each request, connecting included.
    #[command(flatten)]
    pub limits: Limits,

    /// How each request's --timeout is kept: `sweep`, as wrk keeps it, arms no timer per
    /// request (one task looks at every connection's deadline ten times per timeout, so a
    /// request ends between one timeout and 1.1); `timer`, a timer per request on the
    /// runtime, as many real clients set one.
    #[arg(long, value_enum, default_value_t = TimeoutCheck::Sweep)]
    pub timeout_check: TimeoutCheck,

    /// hyper's socket adapter.
    #[command(flatten)]
    pub adapter: AdapterArgs,

    /// How to report.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The flags of the reactive-tasks demo.
#[derive(Debug, Clone, Args)]
pub struct ReactiveArgs {
    /// The URL the fetch task fetches [default: the first of the fixture's documents].
    #[arg(value_name = "URL")]
    pub url: Option<String>,

    /// Also wait for one line typed on standard input.
    #[arg(long)]
    pub stdin: bool,

    /// The file to read [default: this program's own executable].
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// The shell command to run as a subprocess (with `sh -c`).
    #[arg(
        long,
        value_name = "COMMAND",
        default_value = "sleep 0.1; echo hello from a subprocess"
    )]
    pub command: String,

    /// The fixture server's latency, in milliseconds. Only without a URL.
    #[arg(long, value_name = "MS", conflicts_with = "url")]
    pub latency_ms: Option<u64>,

    /// How to fetch.
    #[command(flatten)]
    pub fetch: FetchArgs,

    /// How to report.
    #[command(flatten)]
    pub output: OutputArgs,
}

impl Cli {
    /// How the run reports: JSON or text, and the trace file, if any.
    pub fn output(&self) -> &OutputArgs {
        match &self.subcommand {
            None => &self.lesson.output,
            Some(Command::Sleep(output) | Command::Starve(output)) => output,
            Some(Command::Reactive(args)) => &args.output,
            Some(Command::Scale(args)) => &args.output,
            Some(Command::Load(args)) => &args.output,
        }
    }

    /// Whether the run prints JSON instead of text.
    pub fn json(&self) -> bool {
        self.output().json
    }

    /// Whether asyncio's debug mode is on (`--debug`).
    pub fn debug(&self) -> bool {
        self.output().debug
    }

    /// Where the run writes its trace of polls and wakes, if it does (`--trace`).
    pub fn trace(&self) -> Option<&std::path::Path> {
        self.output().trace.as_deref()
    }

    /// hyper's I/O adapter (`--io-adapter`); `published` where the demo fetches nothing.
    pub fn io_adapter(&self) -> IoAdapter {
        match &self.subcommand {
            None => self.lesson.fetch.adapter.io_adapter,
            Some(
                Command::Reactive(ReactiveArgs { fetch, .. })
                | Command::Scale(ScaleArgs { fetch, .. }),
            ) => fetch.adapter.io_adapter,
            Some(Command::Load(args)) => args.adapter.io_adapter,
            Some(Command::Sleep(_) | Command::Starve(_)) => IoAdapter::Published,
        }
    }
}

impl FetchArgs {
    /// What a client needs to know of the flags.
    pub fn client_options(&self) -> ClientOptions {
        self.limits.client_options(self.adapter.io_adapter)
    }
}

impl LoadArgs {
    /// What the load demo's hyper client needs to know of the flags.
    pub fn client_options(&self) -> ClientOptions {
        self.limits.client_options(self.adapter.io_adapter)
    }
}

impl Limits {
    /// What a client needs to know of the flags, with hyper's adapter `io_adapter`.
    fn client_options(&self, io_adapter: IoAdapter) -> ClientOptions {
        ClientOptions {
            connect_timeout: self.connect_timeout,
            max_body: self.max_body,
            ca_cert: self.ca_cert.clone(),
            io_adapter,
        }
    }
}

/// The settings every HTTP client is built with, whatever its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// The largest body the client reads.
    pub max_body: u64,
    /// A PEM file of extra root certificates to trust.
    pub ca_cert: Option<PathBuf>,
    /// hyper's I/O adapter over plain TCP (the other clients refuse `study`).
    pub io_adapter: IoAdapter,
}

impl Default for ClientOptions {
    /// The command line's defaults: connect within 10 s, bodies up to 100 MiB, the usual
    /// web roots only. (A test checks that they agree with the flags'.)
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            max_body: 100 * 1024 * 1024,
            ca_cert: None,
            io_adapter: IoAdapter::Published,
        }
    }
}

/// Which HTTP client fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientKind {
    /// hyper 1.x over the runtime's own `TcpStream` (rustls for https).
    Hyper,
    /// isahc 2.x: curl, driven on isahc's own agent thread.
    Isahc,
    /// surf 2.3 with http-client's h1 client, on async-std's sockets.
    Surf,
}

impl ClientKind {
    /// Every client, in the order the tables list them: the study's one list of clients.
    pub const ALL: [ClientKind; 3] = [ClientKind::Hyper, ClientKind::Isahc, ClientKind::Surf];

    /// Their names, in the same order.
    pub const ALL_NAMES: [&str; 3] = [
        ClientKind::ALL[0].name(),
        ClientKind::ALL[1].name(),
        ClientKind::ALL[2].name(),
    ];

    /// The client's name, as `--client` and the reports spell it.
    pub const fn name(self) -> &'static str {
        match self {
            ClientKind::Hyper => "hyper",
            ClientKind::Isahc => "isahc",
            ClientKind::Surf => "surf",
        }
    }
}

/// How a demo gathers its futures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GatherMode {
    /// `futures::future::join_all` inside the calling task: one task, many futures.
    Join,
    /// One local task per future, spawned with the runtime's own local spawn.
    Spawn,
}

impl GatherMode {
    /// The mode's name, as the flag and the report spell it.
    pub fn name(self) -> &'static str {
        match self {
            GatherMode::Join => "join",
            GatherMode::Spawn => "spawn",
        }
    }
}

/// Parses a positive, finite number of seconds, such as `30` or `0.5`.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0) {
        return Err(format!(
            "{text} is out of range: give a number of seconds above 0 and at most 86400"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Parses a rate of requests per second: positive, finite, at most ten million.
fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of requests per second"))?;
    if !(rate.is_finite() && rate > 0.0 && rate <= 10_000_000.0) {
        return Err(format!(
            "{text} is out of range: give a rate above 0 and at most 10000000 per second"
        ));
    }
    Ok(rate)
}

/// Takes a URL of the lesson as it is (each fetch checks its own, so that a bad one is
/// reported on its line), but refuses a subcommand's name: after a lesson flag it would
/// otherwise be taken for a URL.
fn parse_lesson_url(text: &str) -> Result<String, String> {
    if Command::has_subcommand(text) {
        return Err(format!(
            "`{text}` is a subcommand: give it first, before any flag (see `{text} --help`)"
        ));
    }
    Ok(text.to_owned())
}

/// Parses the base URL of the scale mode, checked like any URL the study fetches.
fn parse_base(text: &str) -> Result<Url, String> {
    parse_url(text).map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("study").chain(args.iter().copied()))
    }

    #[test]
    fn seconds_accept_fractions_and_reject_nonsense() {
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_seconds("30"), Ok(Duration::from_secs(30)));
        for bad in ["", "abc", "0", "-1", "NaN", "inf", "1e9"] {
            assert!(parse_seconds(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn every_client_is_listed_once_under_its_flags_name() {
        let listed: Vec<&str> = ClientKind::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(listed, ClientKind::ALL_NAMES);
        let flags: Vec<String> = ClientKind::value_variants()
            .iter()
            .filter_map(|c| Some(c.to_possible_value()?.get_name().to_owned()))
            .collect();
        assert_eq!(listed, flags);
    }

    #[test]
    fn client_options_default_to_the_flags_defaults() {
        let cli = parse(&[]).unwrap();
        assert_eq!(cli.lesson.fetch.client_options(), ClientOptions::default());
    }

    #[test]
    fn a_flag_that_a_subcommand_cannot_honour_is_refused() {
        for args in [
            &["sleep", "--client", "isahc"][..],
            &["starve", "--timeout", "3"],
            &["--json", "sleep"],
            &["--client", "surf", "scale"],
            &["scale", "--base", "http://127.0.0.1:1", "--latency-ms", "5"],
            &["http://127.0.0.1:1/", "--latency-ms", "5"],
            &["reactive", "http://127.0.0.1:1/", "--latency-ms", "5"],
            &["scale", "--base", "ftp://127.0.0.1/"],
            &["load", "--client", "isahc"],
            &["load", "--rate", "0"],
            &["load", "--connections", "0"],
            &["load", "http://127.0.0.1:1/", "--latency-ms", "5"],
        ] {
            assert!(parse(args).is_err(), "{args:?} should be refused");
        }
    }

    #[test]
    fn each_demo_finds_its_own_flags() {
        let cli = parse(&["scale", "--count", "3", "--gather", "spawn", "--json"]).unwrap();
        assert!(cli.json());
        let Some(Command::Scale(args)) = &cli.subcommand else {
            panic!("not scale: {cli:?}");
        };
        assert_eq!(args.gather, GatherMode::Spawn);

        let cli = parse(&["http://127.0.0.1:1/"]).unwrap();
        assert!(!cli.json());
        assert_eq!(cli.lesson.urls, ["http://127.0.0.1:1/"]);
    }

    /// Any words at all, as a user might type them: flags of every demo, subcommands, and
    /// arbitrary text in any place (URLs, flag values, negative numbers, garbage).
    fn words() -> impl proptest::strategy::Strategy<Value = Vec<String>> {
        use proptest::prelude::*;
        let word = prop_oneof![
            Just("--timeout".to_owned()),
            Just("--connect-timeout".to_owned()),
            Just("--max-body".to_owned()),
            Just("--latency-ms".to_owned()),
            Just("--client".to_owned()),
            Just("--gather".to_owned()),
            Just("--count".to_owned()),
            Just("--concurrency".to_owned()),
            Just("--base".to_owned()),
            Just("--json".to_owned()),
            Just("--connections".to_owned()),
            Just("--requests".to_owned()),
            Just("--rate".to_owned()),
            Just("load".to_owned()),
            Just("scale".to_owned()),
            Just("sleep".to_owned()),
            Just("reactive".to_owned()),
            Just("-1".to_owned()),
            "-?[0-9]{0,25}(\\.[0-9]{0,5})?",
            "(http|https|ftp|file)://[a-z0-9.:\\[\\]@%/?#-]{0,30}",
            any::<String>(),
        ];
        proptest::collection::vec(word, 0..7)
    }

    proptest::proptest! {
        /// Whatever is typed, parsing never panics: it is accepted, or refused with clap's
        /// usage error (exit code 2; `--help` and `--version` exit with 0). Each accepted URL
        /// is checked without a panic too, and one that passes is http or https with a host:
        /// a fetch of it can only succeed or fail on its own line (exit code 1).
        #[test]
        fn no_command_line_panics(words in words()) {
            match parse(&words.iter().map(String::as_str).collect::<Vec<_>>()) {
                Err(err) => {
                    let code = err.exit_code();
                    proptest::prop_assert!(code == 2 || (code == 0 && !err.use_stderr()), "{err}");
                }
                Ok(cli) => {
                    for url in &cli.lesson.urls {
                        if let Ok(url) = parse_url(url) {
                            proptest::prop_assert!(matches!(url.scheme(), "http" | "https"));
                            proptest::prop_assert!(url.host().is_some());
                        }
                    }
                }
            }
        }
    }
}
