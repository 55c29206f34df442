//! The command line, defined once so that the three binaries take exactly the same flags.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    after_help = "With no URL, the binary starts a local fixture server that serves the lesson's four \
                  documents after a simulated latency, so the run works offline.\n\
                  The exit code is 1 when any fetch (or task of a demo) failed, and 2 when the run \
                  could not start."
)]
pub struct Cli {
    /// A demo to play instead of the lesson.
    #[command(subcommand)]
    pub demo: Option<Demo>,

    /// URLs to fetch instead of the fixture's four documents (http:// or https://).
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,

    /// The HTTP client: `hyper` does its I/O on this runtime's own sockets; `isahc` drives
    /// curl on its own agent thread; `surf` (its h1 client) uses async-std's sockets.
    #[arg(long, global = true, value_enum, default_value_t = ClientKind::Hyper)]
    pub client: ClientKind,

    /// How the concurrent phase gathers the fetches: `join` polls them all inside one task
    /// with futures' `join_all`; `spawn` spawns one local task per fetch with the runtime's
    /// own spawn.
    #[arg(long, global = true, value_enum, default_value_t = GatherMode::Join)]
    pub gather: GatherMode,

    /// Give up on a fetch after this many seconds, redirects included.
    #[arg(long, global = true, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub timeout: Duration,

    /// Give up on connecting (TCP, and TLS for hyper) after this many seconds.
    #[arg(long, global = true, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
    pub connect_timeout: Duration,

    /// Stop reading a body larger than this many bytes, and report an error.
    #[arg(long, global = true, value_name = "BYTES", default_value_t = 100 * 1024 * 1024)]
    pub max_body: u64,

    /// Also trust the root certificate(s) in this PEM file, besides the usual web roots.
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// The fixture server's latency, in milliseconds, before it answers each request.
    /// Ignored when URLs are given.
    #[arg(long, global = true, value_name = "MS", default_value_t = 300)]
    pub latency_ms: u64,

    /// Print the whole run as one JSON document instead of the lesson's text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The demos besides the lesson, the same in every runtime binary.
#[derive(Debug, Clone, Subcommand)]
pub enum Demo {
    /// Only the sleep demo: gather(mysleep(1), mysleep(0.5), mysleep(1.5)).
    Sleep,
    /// Starvation: victim tasks tick a 10 ms timer while a hog keeps the thread for 500 ms,
    /// then the fixes (yield points, work moved off the thread).
    Starve,
    /// Other reactive tasks in one gather, on one thread: a fetch, a subprocess, the reading
    /// of a file, a timer and, with --stdin, a line typed on standard input.
    Reactive(ReactiveArgs),
    /// Scale: N small documents fetched at once (or K at a time), and N sleeps gathered.
    Scale(ScaleArgs),
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

    /// Keep at most K fetches in flight (`buffer_unordered`); all at once without it.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    pub concurrency: Option<u64>,

    /// The server to fetch the documents from, such as `http://127.0.0.1:8080`
    /// [default: a fixture server started in this process].
    #[arg(long, value_name = "URL")]
    pub base: Option<String>,
}

/// The flags of the reactive-tasks demo.
#[derive(Debug, Clone, Args)]
pub struct ReactiveArgs {
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
}

impl Cli {
    /// What a client needs to know of the flags.
    pub fn client_options(&self) -> ClientOptions {
        ClientOptions {
            connect_timeout: self.connect_timeout,
            max_body: self.max_body,
            ca_cert: self.ca_cert.clone(),
        }
    }
}

/// The settings every HTTP client is built with, whatever its kind.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// The largest body the client reads.
    pub max_body: u64,
    /// A PEM file of extra root certificates to trust.
    pub ca_cert: Option<PathBuf>,
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

/// How the concurrent phase gathers its fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GatherMode {
    /// `futures::future::join_all` inside the calling task: one task, many futures.
    Join,
    /// One local task per fetch, spawned with the runtime's own local spawn.
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
