//! Micro-benchmarks of async-std's `block_on`: spawning and joining an empty local
//! task, a yield round-trip, a loopback fetch of a small document, and (printed first) how
//! late a 1 ms timer fires. Benchmarks, not tests: numbers, no verdicts.
//!
//! Run with: `cargo bench -p runtime-asyncstd`

use divan::Bencher;
use divan::counter::ItemsCount;

use fetch_clients::HyperClient;
use fetch_core::Fetch;
use runtime_asyncstd::AsyncStd;
use study_tests::micro::{LoopbackDocument, print_lateness, sleep_lateness};

/// How many operations one timed iteration runs, so that `block_on` itself weighs little.
const BATCH: usize = 100;

fn main() {
    timer_lateness();
    divan::main();
}

/// Spawns an empty local task and awaits it.
#[divan::bench]
fn spawn_join(bencher: Bencher) {
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        async_std::task::block_on(async {
            for _ in 0..BATCH {
                async_std::task::spawn_local(async {}).await;
            }
        });
    });
}

/// Yields to the executor and comes back.
#[divan::bench]
fn yield_round_trip(bencher: Bencher) {
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        async_std::task::block_on(async {
            for _ in 0..BATCH {
                async_std::task::yield_now().await;
            }
        });
    });
}

/// Fetches a 1 KiB document from a fixture server on loopback, with no latency.
#[divan::bench]
fn loopback_fetch(bencher: Bencher) {
    let document = LoopbackDocument::start();
    let client = HyperClient::new(AsyncStd, &document.options).expect("a client");
    bencher.bench_local(|| {
        async_std::task::block_on(async {
            client.fetch(&document.url).await.expect("a fetch");
        });
    });
}

/// The same fetches, but `BATCH` of them, one after the other, in one `block_on`: the
/// runtime's cost per fetch without the cost of entering and leaving `block_on`.
#[divan::bench]
fn loopback_fetch_batch(bencher: Bencher) {
    let document = LoopbackDocument::start();
    let client = HyperClient::new(AsyncStd, &document.options).expect("a client");
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        async_std::task::block_on(async {
            for _ in 0..BATCH {
                client.fetch(&document.url).await.expect("a fetch");
            }
        });
    });
}

/// Prints how late a 1 ms sleep wakes up: the mean and the 99th percentile.
fn timer_lateness() {
    let late = async_std::task::block_on(sleep_lateness(async_std::task::sleep));
    print_lateness("async-std", late);
}
