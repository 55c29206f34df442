//! The load demo's checks: kept-alive connections carry every request, in a closed and an
//! open loop; a server that closes each connection after one answer costs reconnects, and
//! nothing else. The server runs in the test's process, the client in the binary's.

use std::time::Duration;

use serde_json::Value;

use fixture_server::Fixture;

use crate::Binary;

/// How many connections the checks keep alive.
const CONNECTIONS: u64 = 10;

/// How many requests they send on them.
const REQUESTS: u64 = 2_000;

/// K connections carry N requests, closed loop and open loop: every request succeeds with
/// its 1 KiB, the server accepted exactly K connections (keep-alive really kept), and the
/// histogram holds exactly N latencies.
pub fn check_load_keeps_connections_alive(binary: Binary) {
    let _cpu = crate::cpu::keep_busy();
    let fixture = Fixture::start_keep_alive(0, Duration::ZERO).unwrap();
    let url = fixture.url("/doc/1");
    let (k, n) = (CONNECTIONS.to_string(), REQUESTS.to_string());
    for rate in [None, Some("4000")] {
        let mut args = vec!["load", "--connections", &k, "--requests", &n, &url];
        args.extend(rate.iter().flat_map(|rate| ["--rate", rate]));
        let accepted = fixture.accepted();
        let (output, report) = binary.run_json(&args);
        let context = format!("load {args:?}");
        assert_eq!(output.code, Some(0), "{context}: {}", output.stderr);
        assert_eq!(
            report["mode"],
            if rate.is_some() { "open" } else { "closed" }
        );
        check_every_request_counted(&context, &report, REQUESTS);
        assert_eq!(report["bytes"], REQUESTS * 1024, "{context}: {report}");
        assert_eq!(
            report["connections_opened"], CONNECTIONS,
            "{context}: {report}"
        );
        assert_eq!(report["server_closes"], 0, "{context}: {report}");
        assert_eq!(
            fixture.accepted() - accepted,
            CONNECTIONS,
            "{context}: the server accepted another number of connections"
        );
        // The open loop also counts each latency from when its request left.
        let from_sent = &report["from_sent_us"]["count"];
        match rate {
            Some(_) => assert_eq!(*from_sent, REQUESTS, "{context}: {report}"),
            None => assert!(from_sent.is_null(), "{context}: {report}"),
        }
    }
}

/// A server that closes each connection after one answer (`Connection: close`): every
/// request still succeeds, each on a connection opened again, and the report says so.
pub fn check_load_reconnects_to_a_server_that_closes(binary: Binary) {
    let _cpu = crate::cpu::keep_busy();
    let fixture = Fixture::start(0, Duration::ZERO).unwrap();
    let url = fixture.url("/doc/1");
    let k = CONNECTIONS.to_string();
    let (output, report) =
        binary.run_json(&["load", "--connections", &k, "--requests", "200", &url]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    check_every_request_counted("a closing server", &report, 200);
    assert_eq!(report["connections_opened"], 200, "{report}");
    assert_eq!(report["server_closes"], 200 - CONNECTIONS, "{report}");
    assert_eq!(fixture.accepted(), 200);
    let text = binary.run(&["load", "--connections", &k, "--requests", "200", &url]);
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    assert!(
        text.stdout
            .contains("the server closed a connection 190 times; each was opened again"),
        "{}",
        text.stdout
    );
}

/// A request the server never answers ends at `--timeout`, whichever way the timeout is
/// kept: by the sweep (no timer per request; ended within a tenth of the timeout after it)
/// or by a timer per request. Each stalled request is one error, and the run ends.
pub fn check_load_timeouts_end_stalled_requests(binary: Binary) {
    let fixture = Fixture::start_keep_alive(0, Duration::ZERO).unwrap();
    let url = fixture.url("/fault/stall");
    for check in ["sweep", "timer"] {
        let args = [
            "load",
            "--connections",
            "2",
            "--requests",
            "4",
            "--timeout",
            "0.5",
            "--timeout-check",
            check,
            &url,
        ];
        let (output, report) = binary.run_json(&args);
        assert_eq!(output.code, Some(1), "{check}: {}", output.stderr);
        assert_eq!(report["timeout_check"], check, "{report}");
        assert_eq!(report["failed"], 4, "{check}: {report}");
        assert_eq!(
            report["errors"],
            serde_json::json!({"timed out after 0.5 s": 4}),
            "{check}: {report}"
        );
        // Two requests in turn on each connection, each 0.5 s (0.55 at most by the sweep).
        let run_ms = report["run_ms"].as_f64().unwrap();
        assert!(
            (1_000.0..10_000.0).contains(&run_ms),
            "{check}: {run_ms} ms"
        );
    }
}

/// Every one of `requests` succeeded, and has its latency in the histogram.
fn check_every_request_counted(context: &str, report: &Value, requests: u64) {
    assert_eq!(report["requests"], requests, "{context}: {report}");
    assert_eq!(report["succeeded"], requests, "{context}: {report}");
    assert_eq!(report["failed"], 0, "{context}: {report}");
    assert_eq!(
        report["errors"],
        serde_json::json!({}),
        "{context}: {report}"
    );
    assert_eq!(
        report["latency_us"]["count"], requests,
        "{context}: the histogram holds another number of latencies"
    );
}
