//! Start here: the seed's two cells on tokio, top to bottom. Four documents fetched at
//! once with `join_all`, as `asyncio.gather` does, then one by one, then
//! `gather(mysleep(1), mysleep(0.5), mysleep(1.5))`. With `cancel`, what ends a task early
//! instead: a dropped handle, and a timeout. The rest of the workspace plays the same lesson
//! with reports, options and tests around it.
//!
//! Run with: `cargo run -p runtime-tokio --example gather-tokio` (and `-- cancel`)
//!
//! Shortcut, stated: no timeout around the lesson's fetches; the server is a local fixture.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures::future::join_all;

use fetch_clients::HyperClient;
use fetch_core::{ClientOptions, Fetch, parse_url};
use fixture_server::Fixture;
use runtime_tokio::Tokio;

fn main() -> ExitCode {
    let cancel = std::env::args().nth(1).as_deref() == Some("cancel");
    match lesson(cancel) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn lesson(cancel: bool) -> anyhow::Result<()> {
    // The seed's four documents, from a local server that answers after 300 ms, as a web
    // site far away would. It runs on a thread of its own, not under study.
    let fixture = Fixture::start(0, fetch_core::LESSON_LATENCY)?;
    let urls = fixture.seed_urls();
    // One thread for everything below: tokio's runtime for local (`!Send`) tasks.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build_local(tokio::runtime::LocalOptions::default())?;
    let client = HyperClient::new(Tokio, &ClientOptions::default())?;
    // The lesson runs as a local task of its own, as the study's binaries run it: every
    // future in it is then polled with a task's waker (study-play's `Play::demo` says why).
    let lesson = runtime.spawn_local(async move {
        if cancel {
            early_ends(&client, &urls[0]).await
        } else {
            cells(&client, &urls).await
        }
    });
    // A tokio task hands back its panic as an error: raise it again here, as the binary
    // does, so that a panic ends this program with exit code 101 on every runtime.
    match runtime.block_on(lesson) {
        Ok(outcome) => outcome,
        Err(err) => match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => anyhow::bail!("the lesson's task ended early: {err}"),
        },
    }
}

/// The seed's two cells.
async fn cells(client: &HyperClient<Tokio>, urls: &[String]) -> anyhow::Result<()> {
    // Cell 1, at once: `join_all` polls the four fetches from this one task, as
    // `asyncio.gather` does, and all four wait for the server together. (The binaries'
    // `--gather spawn` makes a task of each instead.)
    let start = Instant::now();
    for fetched in join_all(urls.iter().map(|url| fetch(client, url))).await {
        fetched?;
    }
    let concurrent = start.elapsed();
    println!("total time (concurrent): {:.3} s", concurrent.as_secs_f64());

    // Cell 1 again, one by one: each fetch waits for the one before.
    let start = Instant::now();
    for url in urls {
        fetch(client, url).await?;
    }
    let sequential = start.elapsed();
    println!("total time (sequential): {:.3} s", sequential.as_secs_f64());
    let speedup = sequential.as_secs_f64() / concurrent.as_secs_f64();
    println!("concurrent is {speedup:.1}x faster");

    // Cell 2: asyncio.gather(mysleep(1), mysleep(0.5), mysleep(1.5)).
    let results = futures::join!(mysleep(1.0), mysleep(0.5), mysleep(1.5));
    println!(
        "results, in input order: {:?}",
        [results.0, results.1, results.2]
    );
    Ok(())
}

/// What ends a task early: a dropped handle, and a timeout. In asyncio, a task runs on
/// until it is cancelled; in Rust, dropping a future cancels it, and dropping a task's
/// handle does what the runtime says (an early `?` drops the handles still held too).
async fn early_ends(client: &HyperClient<Tokio>, url: &str) -> anyhow::Result<()> {
    // A task that sleeps 0.2 s, whose handle is dropped at once: tokio detaches it, and
    // it runs on.
    let task = tokio::task::spawn_local(async {
        mysleep(0.2).await;
        println!("the task whose handle was dropped ran to its end (detached)");
    });
    drop(task);
    println!("dropped the handle of a task that sleeps 0.2 s");
    tokio::time::sleep(Duration::from_millis(400)).await;
    println!("0.4 s later: a detached task has printed its lines above, a cancelled one none");

    // A fetch whose answer takes 300 ms, under a 100 ms timeout: the timeout drops the
    // fetch, which cancels it, and its connection closes.
    let fetched = tokio::time::timeout(Duration::from_millis(100), fetch(client, url))
        .await
        .ok();
    match fetched {
        None => println!("{url}: the timeout dropped the fetch after 0.1 s, which cancelled it"),
        Some(fetched) => fetched?,
    }
    Ok(())
}

/// Fetches `url` and reads its whole body, as the seed's `fetch` does.
async fn fetch(client: &HyperClient<Tokio>, url: &str) -> anyhow::Result<()> {
    println!("fetching {url}");
    let fetched = client.fetch(&parse_url(url)?).await?;
    println!("{url} returned status {}", fetched.status);
    println!("{url} returned {} bytes", fetched.bytes);
    Ok(())
}

/// The seed's `mysleep`: says when it enters and leaves, and returns `duration²`.
async fn mysleep(duration: f64) -> f64 {
    println!("entering mysleep({duration})");
    tokio::time::sleep(Duration::from_secs_f64(duration)).await;
    println!("leaving mysleep({duration})");
    duration * duration
}
