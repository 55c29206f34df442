//! What a panic in one gathered task does, on each runtime, in both gather modes, with the
//! exit code it leaves: docs/ASYNCIO.md's panic rows, checked.
//!
//! Each case runs in a process of its own, so that the panic reaches `main` as it would in
//! the study's binaries: this test is its own `main` (`harness = false`), and runs itself
//! again as the child of each case (`panics CHILD RUNTIME MODE`). The child gathers three
//! tasks through the runtime crate's own `Runtime` handle, as the binaries' `--gather`
//! does, in this order: a slow one that finishes at 2 s (or says so if it is dropped
//! first), a quick one that finishes at 10 ms, and one that panics at 20 ms. (2 s, because
//! the panic's message and backtrace take the thread for up to 0.4 s in a debug build with
//! `RUST_BACKTRACE` set, and a task due meanwhile may then run before the gather sees the
//! panic.) It runs all its cases whatever filter it is given, and lists none to
//! `--list`.
//!
//! Run with: `cargo test -p study-tests --test panics`

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed test, with its line"
)]

use std::rc::Rc;
use std::time::Duration;

use compio::runtime::ResumeUnwind;
use fetch_core::Runtime;
use futures::future::{LocalBoxFuture, join_all};
use study_tests::Binary;

/// One case: the runtime, the gather mode, and what becomes of the slow task.
struct Case {
    runtime: &'static str,
    mode: &'static str,
    /// Whether the slow task, unfinished when the other panics, runs to its end before the
    /// panic reaches `main` (`slow task finished`), or is dropped on the way (`slow task
    /// dropped`).
    slow_finishes: bool,
}

/// docs/ASYNCIO.md's rows. In `join` mode the panic unwinds through `join_all` at once,
/// which drops the other futures as it goes, on every runtime. In `spawn` mode the panic
/// stays in its task until its handle is awaited: smol's, async-std's and futures' handles
/// raise it again when `join_all` polls them, so the gather unwinds at once and the
/// executor drops the tasks still running as the panic leaves `block_on`; compio's study
/// awaits its handles in order, and raises the panic once the tasks before it have ended;
/// tokio's handle hands it back as a value (`JoinError`), `join_all` waits for the other
/// handles, and the study raises it once every task has ended.
const CASES: [Case; 10] = [
    case("tokio", "join", false),
    case("tokio", "spawn", true),
    case("async-std", "join", false),
    case("async-std", "spawn", false),
    case("smol", "join", false),
    case("smol", "spawn", false),
    case("futures", "join", false),
    case("futures", "spawn", false),
    case("compio", "join", false),
    case("compio", "spawn", true),
];

const fn case(runtime: &'static str, mode: &'static str, slow_finishes: bool) -> Case {
    Case {
        runtime,
        mode,
        slow_finishes,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("CHILD") => child(&args[2], &args[3]),
        // `--list` (cargo nextest, `cargo test -- --list`): no test of libtest's to list.
        _ if args.iter().any(|arg| arg == "--list") => {}
        // libtest's own flags (`--test-threads`, a filter) mean nothing to this test.
        _ => parent(),
    }
}

/// Runs every case as a child and checks what it printed and its exit code.
fn parent() {
    let me: &'static str = std::env::current_exe()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
        .leak();
    for case in CASES {
        let output = Binary(me).run(&["CHILD", case.runtime, case.mode]);
        let what = format!(
            "{} {}: exit {:?}\nstdout:\n{}stderr:\n{}",
            case.runtime, case.mode, output.code, output.stdout, output.stderr
        );
        // The panic reaches main: Rust's exit code for it, and its message.
        assert_eq!(output.code, Some(101), "{what}");
        assert!(
            output.stderr.contains("panicked") && output.stderr.contains("the failing task"),
            "{what}"
        );
        // The task that finished before the panic did; nothing after the gather ran.
        assert!(output.stdout.contains("quick task finished"), "{what}");
        assert!(!output.stdout.contains("the gather returned"), "{what}");
        let (slow, not_slow) = match case.slow_finishes {
            true => ("slow task finished", "slow task dropped"),
            false => ("slow task dropped", "slow task finished"),
        };
        assert!(
            output.stdout.contains(slow) && !output.stdout.contains(not_slow),
            "{what}"
        );
        println!(
            "{} {}: exit 101, as docs/ASYNCIO.md says",
            case.runtime, case.mode
        );
    }
    println!("test result: ok. {} cases", CASES.len());
}

/// Says so when dropped before it is disarmed: tells whether an unfinished task was dropped.
struct DropSays(&'static str);

impl Drop for DropSays {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            println!("{}", self.0);
        }
    }
}

/// The three tasks, on `runtime`'s timer, in the gather's order.
fn tasks<R: Runtime + Clone + 'static>(runtime: &R) -> Vec<LocalBoxFuture<'static, ()>> {
    let (slow, quick, failing) = (runtime.clone(), runtime.clone(), runtime.clone());
    vec![
        Box::pin(async move {
            let mut says = DropSays("slow task dropped");
            slow.sleep(Duration::from_secs(2)).await;
            says.0 = "";
            println!("slow task finished");
        }),
        Box::pin(async move {
            quick.sleep(Duration::from_millis(10)).await;
            println!("quick task finished");
        }),
        Box::pin(async move {
            failing.sleep(Duration::from_millis(20)).await;
            panic!("the failing task fails");
        }),
    ]
}

/// The gather of the three tasks, in `mode`, as the binaries' `--gather` makes it.
async fn gather<R: Runtime + Clone + 'static>(runtime: R, mode: String) {
    let tasks = tasks(&runtime);
    match mode.as_str() {
        "join" => drop(runtime.gather_join(join_all(tasks)).await),
        _ => drop(runtime.gather_spawn(tasks).await),
    }
    println!("the gather returned");
}

/// One case, run the way the runtime crate's `run` runs its demo: as a local task, whose
/// panic the study raises again where `block_on` returns.
fn child(runtime: &str, mode: &str) {
    let mode = mode.to_owned();
    match runtime {
        "tokio" => {
            let executor = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build_local(tokio::runtime::LocalOptions::default())
                .unwrap();
            let demo = executor.spawn_local(gather(runtime_tokio::Tokio, mode));
            if let Err(err) = executor.block_on(demo) {
                std::panic::resume_unwind(err.into_panic());
            }
        }
        "async-std" => {
            let demo = async_std::task::spawn_local(gather(runtime_asyncstd::AsyncStd, mode));
            async_std::task::block_on(demo);
        }
        "smol" => {
            let executor = Rc::new(smol::LocalExecutor::new());
            let runtime = runtime_smol::Smol::new(executor.clone());
            let demo = executor.spawn(gather(runtime, mode));
            smol::block_on(executor.run(demo));
        }
        "futures" => {
            let mut pool = futures::executor::LocalPool::new();
            let runtime = runtime_futures::Futures::new(pool.spawner());
            let demo = futures::task::LocalSpawnExt::spawn_local_with_handle(
                &pool.spawner(),
                gather(runtime, mode),
            )
            .unwrap();
            pool.run_until(demo);
        }
        "compio" => {
            let executor = runtime_compio::build_runtime().unwrap();
            let runtime = runtime_compio::Compio::new(executor.driver_type());
            let demo = executor.spawn(gather(runtime, mode));
            // A compio task hands back its panic: raise it again here.
            let _ = executor.block_on(demo).resume_unwind();
        }
        other => panic!("no runtime {other}"),
    }
}
