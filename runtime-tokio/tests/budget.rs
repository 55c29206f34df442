//! tokio's cooperative budget and the spawned gather: waiting for thousands of local tasks
//! polls their handles about once each, not once per turn of the scheduler.
//!
//! Since tokio 1.44, a task that has spent its budget (128 units) has its wake deferred, and
//! each handle it polls after that returns `Pending`. A `join_all` of 20,000 handles in a
//! budgeted task then finishes at most 128 of them per poll of the task, so the task is
//! polled at least 157 times, and each of those polls visits every unfinished handle
//! (100,000 spawned sleeps took 4.3 to 5.3 s so: docs/BENCHMARKS.md, "tokio's gathered
//! sleeps, 1.43 against 1.44 and later"). `gather_spawn` runs the join out of the budget:
//! the gathering task is polled a few times, whatever the count. The assertion is on a
//! count of polls, not on time.
//!
//! Run with: `cargo test -p runtime-tokio --test budget`

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;

use futures::FutureExt;
use futures::future::{LocalBoxFuture, poll_fn};

use fetch_core::Runtime;
use runtime_tokio::Tokio;

/// How many tasks the gather spawns: enough that a budgeted join needs 157 polls.
const TASKS: usize = 20_000;

/// Polls `work` to the end, counting its polls.
async fn count_polls<T>(polls: &Cell<u32>, work: impl Future<Output = T>) -> T {
    let mut work = pin!(work);
    poll_fn(|cx| {
        polls.set(polls.get() + 1);
        work.as_mut().poll(cx)
    })
    .await
}

#[test]
fn the_spawned_gather_polls_its_handles_out_of_the_budget() {
    let executor = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build_local(tokio::runtime::LocalOptions::default())
        .unwrap();
    let polls = Rc::new(Cell::new(0));
    // The gather runs in a local task of its own, as the demos' gathers do, with a budget.
    let gather = executor.spawn_local({
        let polls = polls.clone();
        async move {
            let futures: Vec<LocalBoxFuture<'static, usize>> =
                (0..TASKS).map(|i| async move { i }.boxed_local()).collect();
            count_polls(&polls, Tokio.gather_spawn(futures)).await
        }
    });
    let outputs = executor.block_on(gather).unwrap();
    assert_eq!(
        outputs,
        (0..TASKS).collect::<Vec<_>>(),
        "outputs in input order"
    );
    let polls = polls.get();
    // A budgeted join needs at least TASKS / 128 = 157 polls.
    assert!(
        polls < 20,
        "the spawned gather of {TASKS} tasks was polled {polls} times: the join spends the \
         cooperative budget (157 polls at least when it does)"
    );
}
