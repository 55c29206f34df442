//! The behavioural claims of docs/ASYNCIO.md, each checked on the runtimes it names, with
//! each runtime's own API. A claim in that file names the test here that checks it.

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed test, with its line"
)]

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::executor::LocalPool;
use futures::future::{join_all, try_join_all};
use futures::task::LocalSpawnExt;

/// Sets a flag when dropped: tells whether a cancelled future's state was dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// A tokio runtime for local tasks, as runtime-tokio builds it.
fn tokio_runtime() -> tokio::runtime::LocalRuntime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build_local(tokio::runtime::LocalOptions::default())
        .unwrap()
}

/// A compio runtime, as runtime-compio builds it.
fn compio_runtime() -> compio::runtime::Runtime {
    runtime_compio::build_runtime().unwrap()
}

#[test]
fn a_future_that_is_never_polled_does_nothing() {
    // Unlike a coroutine passed to asyncio.create_task, an async block only runs when polled.
    let ran = Rc::new(Cell::new(false));
    let flag = ran.clone();
    let future = async move { flag.set(true) };
    std::thread::sleep(Duration::from_millis(20));
    assert!(!ran.get());
    drop(future);
    assert!(!ran.get());
}

#[test]
fn a_spawned_task_runs_without_being_awaited_on_every_runtime() {
    // Like asyncio.create_task: the task runs at the next await of its spawner, although
    // nobody awaits its handle.
    let ran = Rc::new(Cell::new(0));
    let (a, b, c, d, e) = (
        ran.clone(),
        ran.clone(),
        ran.clone(),
        ran.clone(),
        ran.clone(),
    );
    tokio_runtime().block_on(async move {
        let _handle = tokio::task::spawn_local(async move { a.set(a.get() + 1) });
        tokio::task::yield_now().await;
    });
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(async {
        executor.spawn(async move { b.set(b.get() + 1) }).detach();
        smol::future::yield_now().await;
    }));
    async_std::task::block_on(async move {
        let _handle = async_std::task::spawn_local(async move { c.set(c.get() + 1) });
        async_std::task::yield_now().await;
    });
    let mut pool = LocalPool::new();
    pool.spawner()
        .spawn_local(async move { d.set(d.get() + 1) })
        .unwrap();
    pool.run_until(futures_lite::future::yield_now());
    compio_runtime().block_on(async move {
        let _handle = compio::runtime::spawn(async move { e.set(e.get() + 1) });
        futures_lite::future::yield_now().await;
    });
    assert_eq!(ran.get(), 5);
}

#[test]
fn dropping_a_join_handle_detaches_on_tokio_and_async_std_and_cancels_on_smol_futures_and_compio() {
    // After dropping the handle, the spawner sleeps long enough for the task to finish,
    // if it still exists.
    let finished = |name: &str| Rc::new(Cell::new(format!("{name}: cancelled")));
    let tokio_done = finished("tokio");
    let done = tokio_done.clone();
    tokio_runtime().block_on(async move {
        drop(tokio::task::spawn_local(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            done.set("tokio: finished".into());
        }));
        tokio::time::sleep(Duration::from_millis(100)).await;
    });
    let std_done = finished("async-std");
    let done = std_done.clone();
    async_std::task::block_on(async move {
        drop(async_std::task::spawn_local(async move {
            async_std::task::sleep(Duration::from_millis(10)).await;
            done.set("async-std: finished".into());
        }));
        async_std::task::sleep(Duration::from_millis(100)).await;
    });
    let smol_done = finished("smol");
    let done = smol_done.clone();
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(async {
        drop(executor.spawn(async move {
            smol::Timer::after(Duration::from_millis(10)).await;
            done.set("smol: finished".into());
        }));
        smol::Timer::after(Duration::from_millis(100)).await;
    }));
    let futures_done = finished("futures");
    let done = futures_done.clone();
    let mut pool = LocalPool::new();
    let handle = pool.spawner().spawn_local_with_handle(async move {
        async_io::Timer::after(Duration::from_millis(10)).await;
        done.set("futures: finished".into());
    });
    drop(handle.unwrap());
    pool.run_until(async_io::Timer::after(Duration::from_millis(100)));
    let compio_done = finished("compio");
    let done = compio_done.clone();
    compio_runtime().block_on(async move {
        drop(compio::runtime::spawn(async move {
            compio::time::sleep(Duration::from_millis(10)).await;
            done.set("compio: finished".into());
        }));
        compio::time::sleep(Duration::from_millis(100)).await;
    });
    let outcomes: Vec<String> = [tokio_done, std_done, smol_done, futures_done, compio_done]
        .iter()
        .map(|cell| cell.take())
        .collect();
    assert_eq!(
        outcomes,
        [
            "tokio: finished",
            "async-std: finished",
            "smol: cancelled",
            "futures: cancelled",
            "compio: cancelled"
        ]
    );
}

#[test]
fn a_timeout_cancels_by_dropping_the_future_at_its_await() {
    // No CancelledError is raised inside the task: the future is dropped where it waits,
    // its locals are dropped, and the code after that await never runs.
    let dropped = Rc::new(Cell::new(false));
    let after_await = Rc::new(Cell::new(false));
    let (flag, after) = (DropFlag(dropped.clone()), after_await.clone());
    let work = async move {
        let _guard = flag;
        tokio::time::sleep(Duration::from_secs(10)).await;
        after.set(true);
    };
    let outcome = tokio_runtime()
        .block_on(async { tokio::time::timeout(Duration::from_millis(10), work).await });
    assert!(outcome.is_err());
    assert!(dropped.get() && !after_await.get());
}

#[test]
fn join_all_keeps_every_result_and_try_join_all_stops_at_the_first_error() {
    // asyncio.gather(..., return_exceptions=True) is join_all over Results; the default
    // gather, which raises the first exception, is try_join_all, which also drops (cancels)
    // the other futures, where asyncio lets them run on.
    let finished_late = Rc::new(Cell::new(false));
    let work = |n: u64, late: Rc<Cell<bool>>| async move {
        async_io::Timer::after(Duration::from_millis(n * 10)).await;
        if n == 1 {
            return Err(format!("failure {n}"));
        }
        late.set(true);
        Ok(n)
    };
    let all =
        futures::executor::block_on(join_all([0, 1, 5].map(|n| work(n, finished_late.clone()))));
    assert_eq!(all, [Ok(0), Err("failure 1".into()), Ok(5)]);
    finished_late.set(false);
    let first =
        futures::executor::block_on(try_join_all([5, 1].map(|n| work(n, finished_late.clone()))));
    assert_eq!(first, Err("failure 1".into()));
    assert!(
        !finished_late.get(),
        "the 50 ms future was dropped, not finished"
    );
}

#[test]
fn one_thread_switches_only_at_await() {
    // Two tasks do read-then-write on a shared counter with no await in between, 10,000
    // times each: no update is lost, as on asyncio's one thread.
    let counter = Rc::new(Cell::new(0));
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(async {
        let tasks = (0..2).map(|_| {
            let counter = counter.clone();
            executor.spawn(async move {
                for _ in 0..10_000 {
                    let read = counter.get();
                    counter.set(read + 1);
                    smol::future::yield_now().await;
                }
            })
        });
        join_all(tasks).await;
    }));
    assert_eq!(counter.get(), 20_000);
}

#[test]
fn tokios_timer_has_a_millisecond_granularity_and_async_ios_and_compios_do_not() {
    // The median lateness of 40 sleeps of 1.5 ms: tokio rounds its deadlines up to its
    // 1 ms ticks, async-io (smol, async-std, futures) and compio wake at the deadline. Wide
    // margins.
    let lateness = |sleeps: Vec<Duration>| -> Duration {
        let mut late: Vec<Duration> = sleeps
            .into_iter()
            .map(|took| took.saturating_sub(Duration::from_micros(1500)))
            .collect();
        late.sort();
        late[late.len() / 2]
    };
    let tokio_sleeps = tokio_runtime().block_on(async {
        let mut took = Vec::new();
        for _ in 0..40 {
            let start = Instant::now();
            tokio::time::sleep(Duration::from_micros(1500)).await;
            took.push(start.elapsed());
        }
        took
    });
    let async_io_sleeps = async_io::block_on(async {
        let mut took = Vec::new();
        for _ in 0..40 {
            let start = Instant::now();
            async_io::Timer::after(Duration::from_micros(1500)).await;
            took.push(start.elapsed());
        }
        took
    });
    let compio_sleeps = compio_runtime().block_on(async {
        let mut took = Vec::new();
        for _ in 0..40 {
            let start = Instant::now();
            compio::time::sleep(Duration::from_micros(1500)).await;
            took.push(start.elapsed());
        }
        took
    });
    let (tokio_late, async_io_late) = (lateness(tokio_sleeps), lateness(async_io_sleeps));
    let compio_late = lateness(compio_sleeps);
    eprintln!(
        "1.5 ms sleeps, median lateness: tokio {tokio_late:?}, async-io {async_io_late:?}, compio {compio_late:?}"
    );
    assert!(
        tokio_late >= Duration::from_micros(300),
        "tokio: {tokio_late:?} late"
    );
    assert!(
        async_io_late < tokio_late,
        "async-io {async_io_late:?}, tokio {tokio_late:?}"
    );
    assert!(
        compio_late < tokio_late,
        "compio {compio_late:?}, tokio {tokio_late:?}"
    );
}

#[test]
fn select_all_hands_back_the_unfinished_and_tokio_select_drops_them() {
    // asyncio.wait(…, return_when=FIRST_COMPLETED) returns the pending tasks, still running.
    // futures' `select_all` hands back the unfinished futures too, to poll on; tokio's
    // `select!` drops (cancels) every branch that did not finish first.
    let dropped = Rc::new(Cell::new(false));
    let flag = DropFlag(dropped.clone());
    tokio_runtime().block_on(async move {
        let slow = async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            drop(flag);
            "slow"
        };
        let fast = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            "fast"
        };
        let both: [futures::future::LocalBoxFuture<'_, &str>; 2] = [Box::pin(fast), Box::pin(slow)];
        let (first, _, rest) = futures::future::select_all(both).await;
        assert_eq!(first, "fast");
        assert_eq!(rest.len(), 1);
        assert_eq!(join_all(rest).await, ["slow"], "the rest ran to the end");
    });
    assert!(dropped.get());
    let dropped = Rc::new(Cell::new(false));
    let flag = DropFlag(dropped.clone());
    tokio_runtime().block_on(async move {
        let slow = async move {
            let _flag = flag;
            tokio::time::sleep(Duration::from_secs(5)).await;
        };
        tokio::select! {
            () = slow => unreachable!("the slow branch cannot finish first"),
            () = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
        assert!(
            dropped.get(),
            "select! dropped the slow branch when the other finished"
        );
    });
}

#[test]
fn a_timeout_around_a_gather_drops_every_unfinished_future_at_once() {
    // asyncio.timeout around a gather cancels the gather's tasks. A timeout around
    // `join_all` drops the whole gather: every future not yet finished is dropped at its
    // await, and the result of the one that did finish goes with it.
    let finished = Rc::new(Cell::new(0));
    let dropped = [Rc::new(Cell::new(false)), Rc::new(Cell::new(false))];
    let sleeps = |(ms, flag): (u64, Option<DropFlag>)| {
        let finished = finished.clone();
        async move {
            let _flag = flag;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            finished.set(finished.get() + 1);
        }
    };
    let gather = join_all(
        [
            (10, None),
            (1_000, Some(DropFlag(dropped[0].clone()))),
            (2_000, Some(DropFlag(dropped[1].clone()))),
        ]
        .map(sleeps),
    );
    let outcome = tokio_runtime()
        .block_on(async { tokio::time::timeout(Duration::from_millis(100), gather).await });
    assert!(outcome.is_err(), "the timeout ran out");
    assert_eq!(
        finished.get(),
        1,
        "the short sleep finished before the timeout"
    );
    assert!(
        dropped.iter().all(|flag| flag.get()),
        "both long sleeps were dropped"
    );
}

#[test]
fn a_panic_in_a_joined_future_unwinds_the_gather_and_a_tasks_comes_back_at_its_handle() {
    // An exception in one of gather's coroutines is raised by the gather, and the other
    // tasks run on. In Rust, a panic in a future that `join_all` polls unwinds through the
    // gather itself: the whole gather is gone.
    let unwound = std::panic::catch_unwind(|| {
        futures::executor::block_on(join_all([
            Box::pin(async {
                if true {
                    panic!("a failed future");
                }
            }) as futures::future::BoxFuture<'_, ()>,
            Box::pin(async {}),
        ]))
    });
    assert!(unwound.is_err());
    // A panic in a spawned task stays in the task: tokio hands it back at the handle, as
    // an error that says it panicked, and the other tasks run on.
    tokio_runtime().block_on(async {
        let failing = tokio::task::spawn_local(async { panic!("a failed task") });
        let other = tokio::task::spawn_local(async { 42 });
        let error = failing.await.unwrap_err();
        assert!(error.is_panic());
        assert_eq!(other.await.unwrap(), 42);
    });
    // smol raises it again where the task is awaited.
    let executor = smol::LocalExecutor::new();
    let raised = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        smol::block_on(executor.run(async {
            let failing = executor.spawn(async { panic!("a failed task") });
            failing.await
        }))
    }));
    assert!(raised.is_err());
}

#[test]
fn an_rc_is_held_across_an_await_in_a_local_task_on_every_runtime() {
    // A local task stays on its thread, so an `Rc` may live across its awaits, on every
    // runtime of the study (tokio::spawn refuses it: study-tests/src/walls.rs).
    let count = Rc::new(Cell::new(0));
    let bump = |count: Rc<Cell<u32>>| async move {
        futures_lite::future::yield_now().await;
        count.set(count.get() + 1);
    };
    let runtime = tokio_runtime();
    runtime
        .block_on(runtime.spawn_local(bump(count.clone())))
        .unwrap();
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(executor.spawn(bump(count.clone()))));
    async_std::task::block_on(async_std::task::spawn_local(bump(count.clone())));
    let mut pool = LocalPool::new();
    let handle = pool
        .spawner()
        .spawn_local_with_handle(bump(count.clone()))
        .unwrap();
    pool.run_until(handle);
    let runtime = compio_runtime();
    runtime
        .block_on(runtime.spawn(bump(count.clone())))
        .unwrap();
    assert_eq!(count.get(), 5);
}
