//! What every runtime's micro-benchmarks (`benches/micro.rs`) share, written once: the
//! loopback document they fetch, and how late a 1 ms sleep wakes up, measured and printed
//! the same way whatever makes the sleep.

use std::future::Future;
use std::time::{Duration, Instant};

use clap::Parser;
use url::Url;

use fetch_core::{Cli, ClientOptions};
use fixture_server::Fixture;

/// How many 1 ms sleeps the lateness measurement takes.
pub const SLEEPS: usize = 200;

/// A fixture server on loopback that answers at once, the URL of its 1 KiB document, and
/// the client options of a default run: what the loopback fetch benchmarks fetch.
#[derive(Debug)]
pub struct LoopbackDocument {
    /// The 1 KiB document's URL.
    pub url: Url,
    /// The options a default run gives its client.
    pub options: ClientOptions,
    /// Serving until dropped.
    _fixture: Fixture,
}

impl LoopbackDocument {
    /// Starts the server.
    pub fn start() -> LoopbackDocument {
        let fixture = Fixture::start(0, Duration::ZERO).expect("a fixture server");
        let url = fetch_core::fetch::parse_url(&fixture.url("/doc/1")).expect("a URL");
        let options = Cli::parse_from(["bench"]).lesson.fetch.client_options();
        LoopbackDocument {
            url,
            options,
            _fixture: fixture,
        }
    }
}

/// How late each of [`SLEEPS`] 1 ms sleeps, one after the other, wakes up; `sleep` makes
/// each sleep with the runtime's own timer.
pub async fn sleep_lateness<F: Future>(mut sleep: impl FnMut(Duration) -> F) -> Vec<Duration> {
    let mut late = Vec::with_capacity(SLEEPS);
    for _ in 0..SLEEPS {
        let start = Instant::now();
        sleep(Duration::from_millis(1)).await;
        late.push(start.elapsed().saturating_sub(Duration::from_millis(1)));
    }
    late
}

/// Prints how late the sleeps of `runtime` woke up: the mean and the 99th percentile.
pub fn print_lateness(runtime: &str, mut late: Vec<Duration>) {
    late.sort();
    let mean = late.iter().sum::<Duration>() / late.len().max(1) as u32;
    let p99 = late.get(late.len() * 99 / 100).copied().unwrap_or_default();
    println!(
        "timer_lateness_1ms ({runtime}, {} sleeps): mean {mean:?}, p99 {p99:?}",
        late.len()
    );
}
