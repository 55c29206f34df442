//! Failures: every error on its own URL's line, the fault matrix for each client, and the
//! connect timeout. https and its certificate errors are `https.rs`'s.

use std::time::Duration;

use serde_json::Value;

use fixture_server::{DOCUMENTS, Expect, Fixture, MATRIX, RefusingPort};

use crate::Binary;

/// Every error of the foundation, each on its URL's own line, the good URL unaffected,
/// and the exit code 1.
pub fn check_errors(binary: Binary) {
    let fixture = Fixture::start(0, Duration::from_millis(20)).unwrap();
    let refusing = RefusingPort::bind().unwrap();
    let closed = refusing.addr();
    // A 70-byte label is longer than DNS allows (63), so the resolver fails without asking
    // any server: the test stays off the network.
    let unresolvable = format!("http://{}.invalid/", "a".repeat(70));
    let cases: Vec<(String, String)> = vec![
        (fixture.url(DOCUMENTS[1].0), String::new()),
        (
            "not a url".into(),
            "invalid URL: relative URL without a base".into(),
        ),
        (
            format!("http://{closed}/"),
            format!("cannot connect to {closed}: Connection refused"),
        ),
        (unresolvable, "cannot resolve host".into()),
        (
            fixture.url("/missing.pdf"),
            "server answered HTTP 404".into(),
        ),
        (fixture.url("/fault/truncated"), "response cut short".into()),
        (fixture.url("/fault/stall"), "timed out after 1 s".into()),
        (
            "ftp://127.0.0.1/file".into(),
            "unsupported scheme \"ftp\"".into(),
        ),
    ];
    let mut args = vec!["--timeout", "1"];
    args.extend(cases.iter().map(|(url, _)| url.as_str()));
    let (output, report) = binary.run_json(&args);
    assert_eq!(output.code, Some(1), "stderr:\n{}", output.stderr);

    for phase in ["concurrent", "sequential"] {
        let fetches = report[phase]["fetches"].as_array().unwrap();
        assert_eq!(fetches.len(), cases.len());
        for (fetch, (url, expected)) in fetches.iter().zip(&cases) {
            assert_eq!(fetch["url"], url.as_str());
            if expected.is_empty() {
                assert_eq!(fetch["error"], Value::Null, "{fetch}");
                assert_eq!(fetch["bytes"], DOCUMENTS[1].1, "{fetch}");
                continue;
            }
            let error = fetch["error"].as_str().unwrap_or_else(|| panic!("{fetch}"));
            assert!(error.contains(expected.as_str()), "{url}: {error}");
            // The error is also on its own line of stderr, with its URL.
            assert!(
                output.stderr.contains(&format!("error: {url}: {error}\n")),
                "{}",
                output.stderr
            );
        }
    }
    // The 404 keeps its status and the body that came with it.
    let missing = &report["concurrent"]["fetches"][4];
    assert_eq!(missing["status"], 404);
    assert_eq!(missing["bytes"], "status 404\n".len());
    assert!(
        output.stderr.contains("error: 14 of 16 fetches failed\n"),
        "{}",
        output.stderr
    );
}

/// An error as the report must give it: one line, in words, with no `Debug` output of a
/// library's types in it.
pub(crate) fn check_one_sentence(context: &str, error: &str) {
    assert!(
        !error.is_empty() && !error.contains('\n'),
        "{context}: {error:?}"
    );
    for debug in ["{", "}", "Some(", "Other(", "Kind(", "Os {", "Custom {"] {
        assert!(
            !error.contains(debug),
            "{context}: {error:?} reads like Debug output"
        );
    }
}

/// The flags of every run of the matrix: the client, and [`fixture_server::MATRIX_FLAGS`].
fn matrix_args(client: &str) -> Vec<&str> {
    let mut args = vec!["--client", client];
    args.extend(fixture_server::MATRIX_FLAGS);
    args
}

/// Whether `expected` means a failed fetch for `client`.
fn fails(expected: Expect, client: &str) -> bool {
    match expected {
        Expect::Bytes(_) => false,
        Expect::BytesUnlessSurf(_) => client == "surf",
        Expect::Error(_) => true,
    }
}

/// Checks one fetch of a report against what its route must give: the right bytes for a
/// valid answer, or else an error in one sentence that starts as expected and is on stderr
/// with its URL.
fn check_fetch(context: &str, fetch: &Value, expected: Expect, client: &str, stderr: &str) {
    let error = fetch["error"].as_str();
    let bytes = match expected {
        Expect::Bytes(bytes) => bytes,
        Expect::BytesUnlessSurf(bytes) if client != "surf" => bytes,
        Expect::BytesUnlessSurf(_) | Expect::Error(_) => {
            let starts: &[&str] = match expected {
                Expect::Error(starts) => starts,
                _ => &["surf cannot read "],
            };
            let error = error.unwrap_or_else(|| panic!("{context}: no error: {fetch}"));
            assert!(
                starts.iter().any(|start| error.starts_with(start)),
                "{context}: {error:?} starts with none of {starts:?}"
            );
            check_one_sentence(context, error);
            assert!(
                stderr.contains(&format!(
                    "error: {}: {error}\n",
                    fetch["url"].as_str().unwrap()
                )),
                "{context}: the error is not on stderr with its URL"
            );
            return;
        }
    };
    assert_eq!(error, None, "{context}: {fetch}");
    assert_eq!(fetch["bytes"], bytes, "{context}: {fetch}");
}

/// The most memory of its own a run of one route may use
/// ([`Output::peak_own_kib`](crate::binary::Output::peak_own_kib): peak RSS less the
/// binary's file-backed pages). A run takes 1.3 to 2 MB (debug builds), isahc's run of the
/// gzip bomb about 6; every body is capped at 1 MB (`--max-body`, counted as the client
/// delivers it: decoded by isahc, as sent by hyper and surf), so nothing a server sends
/// may grow a run past this.
const ROUTE_RUN_OWN_KIB: u64 = 16 * 1024;

/// How many runs of the per-route check go at once (each mostly waits).
const ROUTE_RUNS_AT_ONCE: usize = 12;

/// Every route of the matrix in runs of its own, for one client: the route alone, and
/// between two good URLs. Each run ends in time, stays under [`ROUTE_RUN_OWN_KIB`], does
/// not panic, exits 1 exactly when a URL failed, and prints both good results; the route
/// gives its right bytes or its clear error.
pub fn check_each_route_in_its_own_run(binary: Binary, client: &str) {
    let _cpu = crate::cpu::race_a_deadline();
    let fixture = Fixture::start(0, Duration::from_millis(20)).unwrap();
    let good = [fixture.url("/doc/1"), fixture.url("/doc/2")];
    let mut runs = Vec::new();
    for route in &MATRIX {
        let (path, expected) = (route.path, route.expect);
        let url = fixture.url(path);
        runs.push((path, expected, vec![url.clone()]));
        runs.push((path, expected, vec![good[0].clone(), url, good[1].clone()]));
    }
    let queue = std::sync::Mutex::new(runs.into_iter());
    std::thread::scope(|scope| {
        for _ in 0..ROUTE_RUNS_AT_ONCE {
            scope.spawn(|| {
                loop {
                    // A statement of its own, so that the lock is released before the run.
                    let next = queue.lock().unwrap().next();
                    let Some((path, expected, urls)) = next else {
                        break;
                    };
                    check_route_run(binary, client, path, expected, &urls);
                }
            });
        }
    });
}

/// One run of [`check_each_route_in_its_own_run`].
fn check_route_run(binary: Binary, client: &str, path: &str, expected: Expect, urls: &[String]) {
    let context = format!("{client} {path} in {} URLs", urls.len());
    let mut args = matrix_args(client);
    args.extend(urls.iter().map(String::as_str));
    let (output, report) = binary.run_json(&args);
    let elapsed = output.elapsed;
    // Two phases of at most one 2 s timeout each, the sleep demo (1.5 s), and a margin for
    // a busy machine.
    assert!(elapsed < Duration::from_secs(15), "{context}: {elapsed:?}");
    assert!(
        !output.stderr.contains("panicked"),
        "{context}: {}",
        output.stderr
    );
    let code = if fails(expected, client) { 1 } else { 0 };
    assert_eq!(output.code, Some(code), "{context}: {}", output.stderr);
    assert!(
        output.peak_own_kib <= ROUTE_RUN_OWN_KIB,
        "{context}: peak memory of its own {} KiB",
        output.peak_own_kib
    );
    for phase in ["concurrent", "sequential"] {
        let fetches = report[phase]["fetches"].as_array().unwrap();
        assert_eq!(fetches.len(), urls.len(), "{context}");
        let route = if urls.len() == 3 {
            for good in [&fetches[0], &fetches[2]] {
                assert_eq!(good["error"], Value::Null, "{context} {phase}: {good}");
                assert_eq!(good["bytes"], 1024, "{context} {phase}: {good}");
            }
            &fetches[1]
        } else {
            &fetches[0]
        };
        check_fetch(
            &format!("{context} {phase}"),
            route,
            expected,
            client,
            &output.stderr,
        );
    }
}

/// The fault matrix for one client: every fault and hostile answer gives the right bytes or
/// a clear error on its own URL, invalid framing is never a success, redirects go only to
/// http and https, nothing hangs past the timeout, and the good URLs are unaffected.
pub fn check_fault_matrix(binary: Binary, client: &str) {
    check_fault_matrix_with(binary, client, &[]);
}

/// [`check_fault_matrix`], with `extra` flags (`--io-adapter study`).
pub fn check_fault_matrix_with(binary: Binary, client: &str, extra: &[&str]) {
    let _cpu = crate::cpu::race_a_deadline();
    let fixture = Fixture::start(0, Duration::from_millis(20)).unwrap();
    let urls: Vec<String> = MATRIX.iter().map(|route| fixture.url(route.path)).collect();
    let mut args = matrix_args(client);
    args.extend(extra);
    args.extend(urls.iter().map(String::as_str));
    let (output, report) = binary.run_json(&args);
    assert_eq!(output.code, Some(1), "stderr:\n{}", output.stderr);
    assert_eq!(report["client"], client);

    for phase in ["concurrent", "sequential"] {
        let fetches = report[phase]["fetches"].as_array().unwrap();
        assert_eq!(fetches.len(), MATRIX.len(), "{client} {phase}");
        for (fetch, route) in fetches.iter().zip(&MATRIX) {
            let context = format!("{client} {phase} {}", route.path);
            check_fetch(&context, fetch, route.expect, client, &output.stderr);
        }
        let of = |path: &str| {
            let at = MATRIX.iter().position(|route| route.path == path);
            &fetches[at.unwrap_or_else(|| panic!("{path} is not in the matrix"))]
        };
        let chain = of("/redirect/9");
        assert_eq!(chain["redirects"], 10, "{chain}");
        assert!(chain["final_url"].as_str().unwrap().ends_with("/doc/0"));
        assert_eq!(of("/status/404")["status"], 404);
    }
    // Four timeouts of 2 s in sequence, four at once, the sleep demo: well under 25 s.
    let elapsed = output.elapsed;
    assert!(elapsed < Duration::from_secs(25), "{client}: {elapsed:?}");
}

/// A connection that never completes ends at `--connect-timeout` (hyper and isahc), or at
/// the per-request `--timeout` (surf's h1 client has no connect timeout).
///
/// The server is a listening socket with a backlog of 0 that never accepts: once its queue
/// is full, the kernel drops further connection attempts, which then hang.
pub fn check_connect_timeout(binary: Binary, client: &str) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    // Fill the accept queue; a later attempt may hang or succeed, depending on timing.
    let mut held = Vec::new();
    for _ in 0..8 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => held.push(stream),
            Err(_) => break,
        }
    }
    let url = format!("http://{addr}/doc/1");
    let args = [
        "--client",
        client,
        "--connect-timeout",
        "1",
        "--timeout",
        "3",
        url.as_str(),
    ];
    let (output, report) = binary.run_json(&args);
    assert_eq!(output.code, Some(1), "{client}: {}", output.stderr);
    let error = report["concurrent"]["fetches"][0]["error"]
        .as_str()
        .unwrap();
    let expected = match client {
        "surf" => "timed out after 3 s",
        _ => "connecting timed out after 1 s",
    };
    assert!(error.starts_with(expected), "{client}: {error}");
    assert!(output.elapsed < Duration::from_secs(20), "{client}");
}
