//! Start here: the seed's two cells on compio, top to bottom. Four documents fetched at
//! once, then one by one, then `gather(mysleep(1), mysleep(0.5), mysleep(1.5))`. The rest
//! of the workspace plays the same lesson with reports, options and tests around it.
//!
//! Run with: `cargo run -p runtime-compio --example gather-compio`
//!
//! Shortcut, stated: no timeout around the fetches; the server is a local fixture.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use fetch_clients::HyperClient;
use fetch_core::{ClientOptions, Fetch, parse_url};
use fixture_server::Fixture;
use runtime_compio::Compio;

fn main() -> ExitCode {
    match lesson() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn lesson() -> anyhow::Result<()> {
    // The seed's four documents, from a local server that answers after 300 ms, as a web
    // site far away would. It runs on a thread of its own, not under study.
    let fixture = Fixture::start(0, fetch_core::LESSON_LATENCY)?;
    let urls = fixture.seed_urls();
    // One thread for everything below: compio's runtime on io_uring, for local tasks.
    let runtime = runtime_compio::build_runtime()?;
    let driver = runtime.driver_type();
    runtime.block_on(async {
        let client = HyperClient::new(Compio::new(driver), &ClientOptions::default())?;

        // Cell 1, at once: a task per URL; all four wait for the server together.
        let start = Instant::now();
        let mut tasks = Vec::new();
        for url in &urls {
            let (client, url) = (client.clone(), url.clone());
            tasks.push(compio::runtime::spawn(
                async move { fetch(&client, &url).await },
            ));
        }
        for task in tasks {
            task.await
                .map_err(|err| anyhow::anyhow!("a fetch task failed: {err}"))??;
        }
        let concurrent = start.elapsed();
        println!("total time (concurrent): {:.3} s", concurrent.as_secs_f64());

        // Cell 1 again, one by one: each fetch waits for the one before.
        let start = Instant::now();
        for url in &urls {
            fetch(&client, url).await?;
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
    })
}

/// Fetches `url` and reads its whole body, as the seed's `fetch` does.
async fn fetch(client: &HyperClient<Compio>, url: &str) -> anyhow::Result<()> {
    println!("fetching {url}");
    let fetched = client.fetch(&parse_url(url)?).await?;
    println!("{url} returned {} bytes", fetched.bytes);
    Ok(())
}

/// The seed's `mysleep`: says when it enters and leaves, and returns `duration²`.
async fn mysleep(duration: f64) -> f64 {
    println!("entering mysleep({duration})");
    compio::time::sleep(Duration::from_secs_f64(duration)).await;
    println!("leaving mysleep({duration})");
    duration * duration
}
