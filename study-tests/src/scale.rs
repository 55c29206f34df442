//! The scale mode's checks: hundreds of fetches and thousands of sleeps at once, bounded
//! concurrency, and what happens when the process runs out of file descriptors.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use fixture_server::Fixture;

use crate::Binary;

/// How many fetches the load check gathers at once: enough to fill thousands of sockets on
/// each side, few enough for a debug build in CI.
const AT_ONCE: usize = 3_000;

/// Scale mode, with both gather modes: 200 fetches at once take about one latency, not
/// 200; `--concurrency` bounds them; 2,000 sleeps gathered take about one sleep, and no less.
pub fn check_scale(binary: Binary) {
    let _cpu = crate::cpu::keep_busy();
    for gather in ["join", "spawn"] {
        check_scale_gathered(binary, gather);
    }
}

/// Scale mode, gathered one way.
fn check_scale_gathered(binary: Binary, gather: &str) {
    let args = [
        "scale",
        "--count",
        "200",
        "--sleeps",
        "2000",
        "--sleep-ms",
        "200",
        "--gather",
        gather,
    ];
    let (output, report) = binary.run_json(&[&args[..], &["--latency-ms", "100"]].concat());
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert_eq!(report["succeeded"], 200, "{report}");
    assert_eq!(report["gather"], gather, "{report}");
    let fetch_ms = report["fetch_ms"].as_f64().unwrap();
    assert!(
        fetch_ms < 2_000.0,
        "200 fetches of 100 ms took {fetch_ms} ms"
    );
    let sleep_ms = report["sleep_ms"].as_f64().unwrap();
    assert!(
        (200.0..1_000.0).contains(&sleep_ms),
        "2000 sleeps of 200 ms took {sleep_ms} ms"
    );

    let bounded = [
        "scale",
        "--count",
        "40",
        "--concurrency",
        "10",
        "--latency-ms",
        "100",
        "--gather",
        gather,
    ];
    let (output, report) = binary.run_json(&bounded);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert_eq!(report["succeeded"], 40);
    // Four waves of ten, 100 ms each.
    let fetch_ms = report["fetch_ms"].as_f64().unwrap();
    assert!(
        fetch_ms > 350.0,
        "{gather}: 40 fetches, 10 at a time, took only {fetch_ms} ms"
    );
}

/// A scale run that needs more file descriptors than the process may have is refused before
/// it starts, with the numbers and what to do, instead of failing its fetches with EMFILE.
pub fn check_out_of_files(binary: Binary) {
    let script = format!(
        "ulimit -n 200 && exec '{}' scale --count 300 --latency-ms 200 --timeout 5 --json",
        binary.0
    );
    let output = Binary("/bin/sh").run(&["-c", &script]);
    assert_eq!(output.code, Some(2), "{}", output.stderr);
    assert!(
        output.stderr.contains(
            "scale --count 300 needs about 664 open files (600 sockets at once and 64 spare), \
             and this process may open 200"
        ),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("--base"), "{}", output.stderr);
    // The open-files limit shows in the report: raised to the hard limit.
    let (output, report) = binary.run_json(&["scale", "--count", "3", "--latency-ms", "0"]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    let limits = &report["open_files"];
    assert_eq!(limits["soft"], limits["hard"], "{report}");
}

/// Thousands of fetches at once lose none: the server runs in this test's process, the
/// client in the binary's, and every fetch succeeds, with every client (hyper with both
/// gather modes). 3,000 is past the 1,024 descriptors that curl could use before isahc's
/// fetches in flight were capped; and isahc's queue of fetches does not count against
/// their connect timeout.
pub fn check_thousands_at_once_lose_nothing(binary: Binary) {
    let _cpu = crate::cpu::keep_busy();
    let fixture = Fixture::start(0, Duration::from_millis(200)).unwrap();
    let base = fixture.url("");
    let count = AT_ONCE.to_string();
    let runs = [
        ("hyper", "join"),
        ("hyper", "spawn"),
        ("isahc", "join"),
        ("surf", "join"),
    ];
    for (client, gather) in runs {
        let args = [
            "scale", "--count", &count, "--base", &base, "--client", client, "--gather", gather,
        ];
        let (output, report) = binary.run_json(&args);
        let context = format!("{client} {gather}");
        assert_eq!(output.code, Some(0), "{context}: {}", output.stderr);
        assert_eq!(report["succeeded"], AT_ONCE, "{context}: {report}");
        assert_eq!(
            report["errors"],
            serde_json::json!({}),
            "{context}: {report}"
        );
    }
    // isahc keeps 500 fetches in flight: of 2,000 at a 1 s latency, the last 500 wait 3 s
    // for their turn, past a 2 s connect timeout, which counts the connecting only.
    let slow = Fixture::start(0, Duration::from_secs(1)).unwrap();
    let base = slow.url("");
    let args = [
        "scale",
        "--count",
        "2000",
        "--base",
        &base,
        "--client",
        "isahc",
        "--connect-timeout",
        "2",
    ];
    let (output, report) = binary.run_json(&args);
    assert_eq!(output.code, Some(0), "isahc's queue: {}", output.stderr);
    assert_eq!(report["succeeded"], 2000, "isahc's queue: {report}");
}

/// A connect storm on a busy machine loses nothing: 3,000 fetches gathered at once, with
/// two busy loops beside them and a 0.5 s connect timeout. Opened all at once, the
/// gather's first pass of `connect()` calls outlasts the connect timeout, and the runtime
/// then learns of the made connections a batch of events at a time, after the timers of
/// the others have fired: 944 to 1,949 of 3,000 "connecting timed out" on smol,
/// async-std and futures in debug builds, though the kernel dropped no SYN. The hyper
/// client opens at most 256 at once, each timed from its turn.
pub fn check_connect_storm_on_a_busy_machine(binary: Binary) {
    let fixture = Fixture::start(0, Duration::from_millis(200)).unwrap();
    let base = fixture.url("");
    let count = AT_ONCE.to_string();
    let args = [
        "scale",
        "--count",
        &count,
        "--base",
        &base,
        "--connect-timeout",
        "0.5",
    ];
    let (output, report) = beside_busy_loops(2, || binary.run_json(&args));
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert_eq!(report["succeeded"], AT_ONCE, "{report}");
}

/// Runs `work` with `loops` busy loops on threads beside it, and ends them when `work`
/// returns or panics: a guard stops them as the panic unwinds, so the scope that joins
/// them returns and the test fails instead of hanging.
fn beside_busy_loops<T>(loops: usize, work: impl FnOnce() -> T) -> T {
    /// Sets its flag when dropped, on return or unwind alike.
    struct Stop<'a>(&'a AtomicBool);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..loops {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            });
        }
        let _stop = Stop(&stop);
        work()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_beside_busy_loops_ends_them_and_fails() {
        let result =
            std::panic::catch_unwind(|| beside_busy_loops(2, || panic!("the work failed")));
        assert!(result.is_err(), "the panic reached the caller");
    }
}
