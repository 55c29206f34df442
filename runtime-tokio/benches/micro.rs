//! Micro-benchmarks of tokio's `LocalRuntime`: spawning and joining an empty local task
//! (and the same in a `LocalSet`), a yield round-trip (likewise), a loopback fetch of a small document, and (printed first) how
//! late a 1 ms timer fires. Benchmarks, not tests: numbers, no verdicts.
//!
//! Run with: `cargo bench -p runtime-tokio`

use divan::Bencher;
use divan::counter::ItemsCount;

use fetch_clients::HyperClient;
use fetch_core::Fetch;
use runtime_tokio::Tokio;
use study_tests::micro::{LoopbackDocument, print_lateness, sleep_lateness};

/// How many operations one timed iteration runs, so that `block_on` itself weighs little.
const BATCH: usize = 100;

fn main() {
    timer_lateness();
    divan::main();
}

/// A `LocalRuntime`, as `runtime_tokio::run` builds it, built once per benchmark.
fn executor() -> tokio::runtime::LocalRuntime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build_local(tokio::runtime::LocalOptions::default())
        .expect("a tokio runtime")
}

/// The way tokio ran local tasks before `LocalRuntime`: a current-thread runtime and a
/// `LocalSet` around the tasks, for the `_local_set` benchmarks that compare the two.
fn executor_with_local_set() -> (tokio::runtime::Runtime, tokio::task::LocalSet) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    (runtime, tokio::task::LocalSet::new())
}

/// Spawns an empty local task and awaits it.
#[divan::bench]
fn spawn_join(bencher: Bencher) {
    let runtime = executor();
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        runtime.block_on(async {
            for _ in 0..BATCH {
                let _ = tokio::task::spawn_local(async {}).await;
            }
        });
    });
}

/// The same, in a `LocalSet`.
#[divan::bench]
fn spawn_join_local_set(bencher: Bencher) {
    let (runtime, local) = executor_with_local_set();
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        local.block_on(&runtime, async {
            for _ in 0..BATCH {
                let _ = tokio::task::spawn_local(async {}).await;
            }
        });
    });
}

/// Yields to the executor and comes back.
#[divan::bench]
fn yield_round_trip(bencher: Bencher) {
    let runtime = executor();
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        runtime.block_on(async {
            for _ in 0..BATCH {
                tokio::task::yield_now().await;
            }
        });
    });
}

/// The same, in a `LocalSet`.
#[divan::bench]
fn yield_round_trip_local_set(bencher: Bencher) {
    let (runtime, local) = executor_with_local_set();
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        local.block_on(&runtime, async {
            for _ in 0..BATCH {
                tokio::task::yield_now().await;
            }
        });
    });
}

/// Fetches a 1 KiB document from a fixture server on loopback, with no latency.
#[divan::bench]
fn loopback_fetch(bencher: Bencher) {
    let runtime = executor();
    let document = LoopbackDocument::start();
    let client = HyperClient::new(Tokio, &document.options).expect("a client");
    bencher.bench_local(|| {
        runtime.block_on(async {
            client.fetch(&document.url).await.expect("a fetch");
        });
    });
}

/// The same fetches, but `BATCH` of them, one after the other, in one `block_on`: the
/// runtime's cost per fetch without the cost of entering and leaving `block_on`.
#[divan::bench]
fn loopback_fetch_batch(bencher: Bencher) {
    let runtime = executor();
    let document = LoopbackDocument::start();
    let client = HyperClient::new(Tokio, &document.options).expect("a client");
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        runtime.block_on(async {
            for _ in 0..BATCH {
                client.fetch(&document.url).await.expect("a fetch");
            }
        });
    });
}

/// Prints how late a 1 ms sleep wakes up: the mean and the 99th percentile.
fn timer_lateness() {
    let runtime = executor();
    let late = runtime.block_on(sleep_lateness(tokio::time::sleep));
    print_lateness("tokio", late);
}
