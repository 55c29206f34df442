//! The study's HTTP clients. Each one implements [`fetch_core::Fetch`], so the drivers and
//! reports treat them alike, and none follows redirects: the driver does, for all.
//!
//! - [`HyperClient`]: hyper 1.x over the runtime's own `TcpStream` (and rustls for https),
//!   which the runtime crate opens and adapts through [`Connect`]. All of its socket I/O
//!   goes through the runtime under study.
//! - [`IsahcClient`]: isahc 2.x, curl on isahc's own agent thread. The runtime only awaits
//!   completions; its reactor does none of the socket I/O.
//! - [`SurfClient`]: surf 2.3 over http-client's h1 client, on async-std's sockets, hence
//!   on async-io's reactor, whatever the runtime; it resolves names by blocking.
//!
//! This crate is apart from fetch-core because hyper depends on tokio (its `sync` module,
//! no runtime), and fetch-core must depend on no tokio at all.

use std::path::PathBuf;

use url::Url;

use fetch_core::report::Live;
use fetch_core::{
    Cli, ClientKind, ClientOptions, Demo, Fetch, FetchArgs, FetchError, Fetched, Reactive, Report,
};
use fetch_core::{lesson, limits, reactive, scale, sleep, starve};

mod body;
pub mod hyper;
pub mod isahc;
pub mod surf;
pub mod tls;

pub use hyper::{Connect, HyperClient};
pub use isahc::IsahcClient;
pub use surf::SurfClient;

/// Why a client could not be built. The run stops before fetching anything.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The `--ca-cert` file could not be used.
    #[error("cannot use --ca-cert {}: {reason}", path.display())]
    CaCert {
        /// The file given.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The TLS library refused its configuration.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// The run needs more open files than the process may have.
    #[error("{0}")]
    TooFewFiles(String),
    /// The client library refused its configuration.
    #[error("cannot build the {client} client: {reason}")]
    Client {
        /// The client's name.
        client: &'static str,
        /// What went wrong.
        reason: String,
    },
}

/// The client `--client` names, as one type, so that each demo is written once.
#[derive(Debug, Clone)]
pub enum Client<C> {
    /// hyper over the runtime's own sockets.
    Hyper(HyperClient<C>),
    /// isahc, on curl's agent thread.
    Isahc(IsahcClient),
    /// surf's h1 client, on async-std's sockets.
    Surf(SurfClient),
}

impl<C: Connect> Client<C> {
    /// Builds the client of kind `kind`, as `--client` chose it; hyper opens its
    /// connections with `connector`.
    pub fn choose(
        kind: ClientKind,
        connector: C,
        options: &ClientOptions,
    ) -> Result<Self, SetupError> {
        Ok(match kind {
            ClientKind::Hyper => Client::Hyper(HyperClient::new(connector, options)?),
            ClientKind::Isahc => Client::Isahc(IsahcClient::new(options)?),
            ClientKind::Surf => Client::Surf(SurfClient::new(options)?),
        })
    }
}

impl<C: Connect> Fetch for Client<C> {
    fn name(&self) -> &'static str {
        match self {
            Client::Hyper(client) => client.name(),
            Client::Isahc(client) => client.name(),
            Client::Surf(client) => client.name(),
        }
    }

    async fn fetch(&self, url: &Url) -> Result<Fetched, FetchError> {
        match self {
            Client::Hyper(client) => client.fetch(url).await,
            Client::Isahc(client) => client.fetch(url).await,
            Client::Surf(client) => client.fetch(url).await,
        }
    }
}

/// Plays the demo the command line asks for on `runtime`, with the client chosen by
/// `--client` where it fetches, and returns the demo's report.
///
/// This is the one place that turns the flags into a demo and a client, for every runtime.
/// A client is built only for the demos that fetch: isahc's starts a thread. `fixture` is
/// the base URL of the fixture server the runtime crate started, when
/// [`Cli::fixture_latency`] asked for one: the demo then fetches from it.
pub async fn play_demo<C: Connect + Reactive>(
    runtime: C,
    cli: &Cli,
    fixture: Option<&Url>,
) -> Result<Report, SetupError> {
    let live = Live { quiet: cli.json() };
    let client =
        |fetch: &FetchArgs| Client::choose(fetch.client, runtime.clone(), &fetch.client_options());
    Ok(match &cli.demo {
        None => {
            let args = &cli.lesson;
            let urls = fixture.map_or_else(|| args.urls.clone(), fetch_core::seed_urls);
            let client = client(&args.fetch)?;
            let timeout = args.fetch.timeout;
            let report = lesson::play(runtime, client, &urls, args.gather, timeout, live);
            Report::Lesson(report.await)
        }
        Some(Demo::Sleep(_)) => Report::Sleep(sleep::alone(&runtime, live).await),
        Some(Demo::Starve(_)) => Report::Starve(starve::demo(&runtime, live).await),
        Some(Demo::Scale(args)) => {
            // Each fetch in flight holds a socket, and one more in the fixture if it runs in
            // this process: refuse now, with the numbers, rather than fail with EMFILE.
            let in_flight = args
                .concurrency
                .map_or(args.count as u64, |k| k.min(args.count as u64));
            let sockets = in_flight * if fixture.is_some() { 2 } else { 1 };
            let what = format!("scale --count {}", args.count);
            limits::open_files()
                .check(sockets, &what)
                .map_err(SetupError::TooFewFiles)?;
            let client = client(&args.fetch)?;
            // Neither is there with --count 0: nothing is fetched then.
            let base = fixture.or(args.base.as_ref());
            Report::Scale(scale::demo(runtime, client, args, base, live).await)
        }
        Some(Demo::Reactive(args)) => {
            let url = match (fixture, &args.url) {
                (Some(base), _) => fetch_core::seed_urls(base)
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| base.to_string()),
                (None, url) => url.clone().unwrap_or_default(),
            };
            let client = client(&args.fetch)?;
            let timeout = args.fetch.timeout;
            Report::Reactive(reactive::demo(runtime, client, args, url, timeout, live).await)
        }
    })
}
