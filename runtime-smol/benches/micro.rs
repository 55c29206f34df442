//! Micro-benchmarks of smol's `LocalExecutor`: spawning and joining an empty local
//! task, a yield round-trip, a loopback fetch of a small document, and (printed first) how
//! late a 1 ms timer fires. Benchmarks, not tests: numbers, no verdicts.
//!
//! Run with: `cargo bench -p runtime-smol`

use std::rc::Rc;

use divan::Bencher;
use divan::counter::ItemsCount;

use fetch_clients::HyperClient;
use fetch_core::Fetch;
use runtime_smol::Smol;
use study_tests::micro::{LoopbackDocument, print_lateness, sleep_lateness};

/// How many operations one timed iteration runs, so that `block_on` itself weighs little.
const BATCH: usize = 100;

fn main() {
    timer_lateness();
    divan::main();
}

/// A local executor, built once per benchmark.
fn executor() -> Rc<smol::LocalExecutor<'static>> {
    Rc::new(smol::LocalExecutor::new())
}

/// Spawns an empty local task and awaits it.
#[divan::bench]
fn spawn_join(bencher: Bencher) {
    let local = executor();
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        smol::block_on(local.run(async {
            for _ in 0..BATCH {
                local.spawn(async {}).await;
            }
        }));
    });
}

/// Yields to the executor and comes back.
#[divan::bench]
fn yield_round_trip(bencher: Bencher) {
    let local = executor();
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        smol::block_on(local.run(async {
            for _ in 0..BATCH {
                smol::future::yield_now().await;
            }
        }));
    });
}

/// Fetches a 1 KiB document from a fixture server on loopback, with no latency.
#[divan::bench]
fn loopback_fetch(bencher: Bencher) {
    let local = executor();
    let document = LoopbackDocument::start();
    let client = HyperClient::new(Smol::new(local.clone()), &document.options).expect("a client");
    bencher.bench_local(|| {
        smol::block_on(local.run(async {
            client.fetch(&document.url).await.expect("a fetch");
        }));
    });
}

/// The same fetches, but `BATCH` of them, one after the other, in one `block_on`: the
/// runtime's cost per fetch without the cost of entering and leaving `block_on`.
#[divan::bench]
fn loopback_fetch_batch(bencher: Bencher) {
    let local = executor();
    let document = LoopbackDocument::start();
    let client = HyperClient::new(Smol::new(local.clone()), &document.options).expect("a client");
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        smol::block_on(local.run(async {
            for _ in 0..BATCH {
                client.fetch(&document.url).await.expect("a fetch");
            }
        }));
    });
}

/// Prints how late a 1 ms sleep wakes up: the mean and the 99th percentile.
fn timer_lateness() {
    let local = executor();
    let late = smol::block_on(local.run(sleep_lateness(smol::Timer::after)));
    print_lateness("smol", late);
}
