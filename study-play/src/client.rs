//! The client `--client` names, as one type, so that each demo is written once.

use url::Url;

use fetch_clients::{BuildError, Connect, HyperClient, IsahcClient, SurfClient};
use fetch_core::{ClientKind, ClientOptions, Fetch, FetchError, Fetched};

/// One of the study's clients, whichever `--client` chose.
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
    ) -> Result<Self, BuildError> {
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
