//! Micro-benchmarks of futures' `LocalPool`: spawning and joining an empty local task, a
//! yield round-trip, a loopback fetch of a small document, and (printed first) how late a
//! 1 ms timer fires. Benchmarks, not tests: numbers, no verdicts.
//!
//! Run with: `cargo bench -p runtime-futures`

use divan::Bencher;
use divan::counter::ItemsCount;
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;

use fetch_clients::HyperClient;
use fetch_core::Fetch;
use runtime_futures::Futures;
use study_tests::micro::{LoopbackDocument, print_lateness, sleep_lateness};

/// How many operations one timed iteration runs, so that `block_on` itself weighs little.
const BATCH: usize = 100;

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
    let document = LoopbackDocument::start();
    let client =
        HyperClient::new(Futures::new(local.spawner()), &document.options).expect("a client");
    bencher.bench_local(|| {
        local.run_until(async {
            client.fetch(&document.url).await.expect("a fetch");
        });
    });
}

/// The same fetches, but `BATCH` of them, one after the other, in one `block_on`: the
/// runtime's cost per fetch without the cost of entering and leaving `block_on`.
#[divan::bench]
fn loopback_fetch_batch(bencher: Bencher) {
    let mut local = executor();
    let document = LoopbackDocument::start();
    let client =
        HyperClient::new(Futures::new(local.spawner()), &document.options).expect("a client");
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        local.run_until(async {
            for _ in 0..BATCH {
                client.fetch(&document.url).await.expect("a fetch");
            }
        });
    });
}

/// Prints how late a 1 ms sleep wakes up: the mean and the 99th percentile.
fn timer_lateness() {
    let mut local = executor();
    let late = local.run_until(sleep_lateness(async_io::Timer::after));
    print_lateness("futures", late);
}
