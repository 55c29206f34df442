//! Micro-benchmarks of compio's runtime: spawning and joining an empty local
//! task, a yield round-trip, a loopback fetch of a small document, and (printed first) how
//! late a 1 ms timer fires. Benchmarks, not tests: numbers, no verdicts.
//!
//! Run with: `cargo bench -p runtime-compio`

use divan::Bencher;
use divan::counter::ItemsCount;

use fetch_clients::HyperClient;
use fetch_core::Fetch;
use runtime_compio::Compio;
use study_tests::micro::{LoopbackDocument, print_lateness, sleep_lateness};

/// How many operations one timed iteration runs, so that `block_on` itself weighs little.
const BATCH: usize = 100;

fn main() {
    timer_lateness();
    divan::main();
}

/// A runtime, built once per benchmark.
fn executor() -> compio::runtime::Runtime {
    runtime_compio::build_runtime().expect("a compio runtime")
}

/// Spawns an empty local task and awaits it.
#[divan::bench]
fn spawn_join(bencher: Bencher) {
    let local = executor();
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        local.block_on(async {
            for _ in 0..BATCH {
                let _ = compio::runtime::spawn(async {}).await;
            }
        });
    });
}

/// Yields to the executor and comes back.
#[divan::bench]
fn yield_round_trip(bencher: Bencher) {
    let local = executor();
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        local.block_on(async {
            for _ in 0..BATCH {
                futures_lite::future::yield_now().await;
            }
        });
    });
}

/// Fetches a 1 KiB document from a fixture server on loopback, with no latency.
#[divan::bench]
fn loopback_fetch(bencher: Bencher) {
    let local = executor();
    let document = LoopbackDocument::start();
    let client =
        HyperClient::new(Compio::new(local.driver_type()), &document.options).expect("a client");
    bencher.bench_local(|| {
        local.block_on(async {
            client.fetch(&document.url).await.expect("a fetch");
        });
    });
}

/// The same fetches, but `BATCH` of them, one after the other, in one `block_on`: the
/// runtime's cost per fetch without the cost of entering and leaving `block_on`.
#[divan::bench]
fn loopback_fetch_batch(bencher: Bencher) {
    let local = executor();
    let document = LoopbackDocument::start();
    let client =
        HyperClient::new(Compio::new(local.driver_type()), &document.options).expect("a client");
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        local.block_on(async {
            for _ in 0..BATCH {
                client.fetch(&document.url).await.expect("a fetch");
            }
        });
    });
}

/// Prints how late a 1 ms sleep wakes up: the mean and the 99th percentile.
fn timer_lateness() {
    let local = executor();
    let late = local.block_on(sleep_lateness(compio::time::sleep));
    print_lateness("compio", late);
}
