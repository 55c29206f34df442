//! Micro-benchmarks of futures' `LocalPool`: spawning and joining an empty local task, a
//! yield round-trip, a loopback fetch of a small document, and (printed first) how late a
//! 1 ms timer fires. Benchmarks, not tests: numbers, no verdicts.
//!
//! Run with: `cargo bench -p runtime-futures`

use std::time::{Duration, Instant};

use clap::Parser;
use divan::Bencher;
use divan::counter::ItemsCount;
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;

use fetch_clients::HyperClient;
use fetch_core::{Cli, Fetch};
use fixture_server::Fixture;
use runtime_futures::Futures;

/// How many operations one timed iteration runs, so that `block_on` itself weighs little.
const BATCH: usize = 100;

/// How many 1 ms sleeps the lateness measurement takes.
const SLEEPS: usize = 200;

fn main() {
    timer_lateness();
    divan::main();
}

/// A local pool, built once per benchmark.
fn executor() -> LocalPool {
    LocalPool::new()
}

/// Spawns an empty local task and awaits it.
#[divan::bench]
fn spawn_join(bencher: Bencher) {
    let mut local = executor();
    let spawner = local.spawner();
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        local.run_until(async {
            for _ in 0..BATCH {
                let task = spawner.spawn_local_with_handle(async {});
                task.expect("the pool runs").await;
            }
        });
    });
}

/// Yields to the executor and comes back.
#[divan::bench]
fn yield_round_trip(bencher: Bencher) {
    let mut local = executor();
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        local.run_until(async {
            for _ in 0..BATCH {
                futures_lite::future::yield_now().await;
            }
        });
    });
}

/// Fetches a 1 KiB document from a fixture server on loopback, with no latency.
#[divan::bench]
fn loopback_fetch(bencher: Bencher) {
    let mut local = executor();
    let fixture = Fixture::start(0, Duration::ZERO).expect("a fixture server");
    let url = fetch_core::fetch::parse_url(&fixture.url("/doc/1")).expect("a URL");
    let options = Cli::parse_from(["bench"]).lesson.fetch.client_options();
    let client = HyperClient::new(Futures::new(local.spawner()), &options).expect("a client");
    bencher.bench_local(|| {
        local.run_until(async {
            client.fetch(&url).await.expect("a fetch");
        });
    });
}

/// The same fetches, but `BATCH` of them, one after the other, in one `block_on`: the
/// runtime's cost per fetch without the cost of entering and leaving `block_on`.
#[divan::bench]
fn loopback_fetch_batch(bencher: Bencher) {
    let mut local = executor();
    let fixture = Fixture::start(0, Duration::ZERO).expect("a fixture server");
    let url = fetch_core::fetch::parse_url(&fixture.url("/doc/1")).expect("a URL");
    let options = Cli::parse_from(["bench"]).lesson.fetch.client_options();
    let client = HyperClient::new(Futures::new(local.spawner()), &options).expect("a client");
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        local.run_until(async {
            for _ in 0..BATCH {
                client.fetch(&url).await.expect("a fetch");
            }
        });
    });
}

/// Prints how late a 1 ms sleep wakes up: the mean and the 99th percentile.
fn timer_lateness() {
    let mut local = executor();
    let mut late = local.run_until(async {
        let mut late = Vec::with_capacity(SLEEPS);
        for _ in 0..SLEEPS {
            let start = Instant::now();
            async_io::Timer::after(Duration::from_millis(1)).await;
            late.push(start.elapsed().saturating_sub(Duration::from_millis(1)));
        }
        late
    });
    late.sort();
    let mean = late.iter().sum::<Duration>() / SLEEPS as u32;
    let p99 = late[SLEEPS * 99 / 100];
    println!("timer_lateness_1ms (futures, {SLEEPS} sleeps): mean {mean:?}, p99 {p99:?}");
}
