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
