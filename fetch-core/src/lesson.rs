//! The whole lesson, in order, on one runtime and one client.

use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::future::join;

use crate::census::{Census, current_tid};
use crate::cli::Cli;
use crate::drive::{self, Session};
use crate::fetch::Fetch;
use crate::report::{Live, RunReport};
use crate::runtime::Runtime;
use crate::sleep;

/// How far into the concurrent phase the census is taken: late enough that the fetches
/// have started (and any DNS helper thread with them), early enough that they are still
/// waiting for the server's answer.
const CENSUS_DELAY: Duration = Duration::from_millis(50);

/// Plays the lesson on `runtime` with `client`: the URLs fetched concurrently then one by
/// one, the `mysleep` demo, and the thread census. Must be awaited on the executor's thread,
/// which the census marks as such.
pub async fn run<R: Runtime, F: Fetch + 'static>(
    runtime: R,
    client: F,
    cli: &Cli,
    urls: &[String],
) -> RunReport {
    let run_start = Instant::now();
    let live = Live { quiet: cli.json };
    let executor = current_tid();
    let (runtime_name, client_name) = (runtime.name(), client.name());
    let session = Rc::new(Session {
        runtime,
        client,
        timeout: cli.timeout,
        live,
    });

    live.section(format_args!(
        "{} fetches at once on {runtime_name} with {client_name}, gathered by {}",
        urls.len(),
        match cli.gather {
            crate::GatherMode::Join => "join_all in one task",
            crate::GatherMode::Spawn => "one spawned local task each",
        }
    ));
    let census = async {
        session.runtime.sleep(CENSUS_DELAY).await;
        Census::take(executor)
    };
    let (concurrent, census) = join(
        drive::concurrent(&session, urls, cli.gather, run_start),
        census,
    )
    .await;
    live.phase_total(&concurrent);

    live.section("the same fetches, one after the other");
    let sequential = drive::sequential(&session, urls, run_start).await;
    live.phase_total(&sequential);
    let speedup = sequential.total_ms / concurrent.total_ms.max(f64::MIN_POSITIVE);

    live.speedup(&concurrent, &sequential, speedup);

    let sleep = sleep::demo(&session.runtime, live).await;

    live.census(&census, "while the concurrent fetches were in flight");
    RunReport {
        runtime: runtime_name,
        client: client_name,
        concurrent,
        sequential,
        speedup,
        sleep,
        census,
    }
}
