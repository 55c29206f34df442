//! The tracer checked from outside: on each executor, the polls it records for a task, and
//! their time, agree with tokio-metrics' `TaskMonitor`, which wraps the same future on its
//! own (it works on any executor without its `rt` feature). The poll counts are equal; the
//! monitor's poll time, which holds the tracer's own work, is within 1 ms plus half of the
//! tracer's.
//!
//! Run with: `cargo test -p study-tests --test trace`

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed test, with its line"
)]

use std::future::Future;
use std::time::Duration;

use fetch_core::trace::{self, traced};
use tokio_metrics::TaskMonitor;

/// How many sleeps the traced task takes: two polls each, about.
const SLEEPS: u32 = 20;

/// Runs `sleeps` (a task of `SLEEPS` 1 ms sleeps on some runtime) under both the tracer and
/// a `TaskMonitor`, with `block_on`, and compares their figures for it.
fn check_agreement<F: Future<Output = ()>>(
    name: &str,
    sleeps: F,
    block_on: impl FnOnce(std::pin::Pin<Box<dyn Future<Output = ()> + '_>>),
) {
    trace::start();
    let monitor = TaskMonitor::new();
    block_on(Box::pin(
        monitor.instrument(traced(|| name.to_owned(), sleeps)),
    ));
    let figures = trace::task_figures();
    let ours = figures.iter().find(|f| f.name == name).unwrap();
    let theirs = monitor.cumulative();
    assert_eq!(ours.polls, theirs.total_poll_count, "{name}: polls");
    assert!(
        ours.polls > u64::from(SLEEPS),
        "{name}: {} polls",
        ours.polls
    );
    let (ours_time, theirs_time) = (ours.poll_time, theirs.total_poll_duration);
    assert!(
        theirs_time >= ours_time && theirs_time <= ours_time * 3 / 2 + Duration::from_millis(1),
        "{name}: poll time {ours_time:?} traced, {theirs_time:?} monitored"
    );
}

#[test]
fn the_tracer_agrees_with_task_monitor_on_tokio() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let sleeps = async {
        for _ in 0..SLEEPS {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    check_agreement("sleeps on tokio", sleeps, |task| runtime.block_on(task));
}

#[test]
fn the_tracer_agrees_with_task_monitor_on_smol() {
    let sleeps = async {
        for _ in 0..SLEEPS {
            smol::Timer::after(Duration::from_millis(1)).await;
        }
    };
    check_agreement("sleeps on smol", sleeps, |task| smol::block_on(task));
}

#[test]
fn the_tracer_agrees_with_task_monitor_on_async_std() {
    let sleeps = async {
        for _ in 0..SLEEPS {
            async_std::task::sleep(Duration::from_millis(1)).await;
        }
    };
    check_agreement("sleeps on async-std", sleeps, |task| {
        async_std::task::block_on(task)
    });
}

#[test]
fn the_tracer_agrees_with_task_monitor_on_futures() {
    let sleeps = async {
        for _ in 0..SLEEPS {
            async_io::Timer::after(Duration::from_millis(1)).await;
        }
    };
    check_agreement("sleeps on futures", sleeps, |task| {
        futures::executor::block_on(task)
    });
}

#[test]
fn the_tracer_agrees_with_task_monitor_on_compio() {
    let runtime = compio::runtime::Runtime::new().unwrap();
    let sleeps = async {
        for _ in 0..SLEEPS {
            compio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    check_agreement("sleeps on compio", sleeps, |task| runtime.block_on(task));
}
