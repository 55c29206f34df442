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
    Cli, ClientKind, ClientOptions, Demo, Fetch, FetchError, Fetched, Reactive, Report,
};
use fetch_core::{reactive, scale};

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
    /// Builds the client of kind `kind`; hyper opens its connections with `connector`.
    pub fn new(
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
/// `--client` where it fetches.
///
/// This is the one place that turns the flags into a demo and a client, for the three
/// runtimes. A client is built only for the demos that fetch: isahc's starts a thread.
pub async fn run<C: Connect + Reactive>(
    runtime: C,
    cli: &Cli,
    urls: &[String],
) -> Result<Report, SetupError> {
    let live = Live { quiet: cli.json };
    let options = cli.client_options();
    let timeout = cli.timeout;
    Ok(match &cli.demo {
        None => {
            let client = Client::new(cli.client, runtime.clone(), &options)?;
            Report::Lesson(fetch_core::run(runtime, client, cli, urls).await)
        }
        Some(Demo::Sleep) => fetch_core::sleep::alone(&runtime, live).await,
        Some(Demo::Starve) => Report::Starve(fetch_core::starve::demo(&runtime, live).await),
        Some(Demo::Scale(args)) => {
            let base = args
                .base
                .clone()
                .or_else(|| base_of(urls))
                .unwrap_or_default();
            let client = Client::new(cli.client, runtime.clone(), &options)?;
            Report::Scale(scale::demo(runtime, client, args, &base, timeout, live).await)
        }
        Some(Demo::Reactive(args)) => {
            let url = urls.first().cloned().unwrap_or_default();
            let client = Client::new(cli.client, runtime.clone(), &options)?;
            Report::Reactive(reactive::demo(runtime, client, args, url, timeout, live).await)
        }
    })
}

/// The base (`http://host:port`) of the first URL, which is the fixture's when it was
/// started for this run.
fn base_of(urls: &[String]) -> Option<String> {
    let url = url::Url::parse(urls.first()?).ok()?;
    Some(url[..url::Position::BeforePath].to_owned())
}
