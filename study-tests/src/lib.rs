//! The checks that every runtime binary must pass, written once.
//!
//! Each runtime crate's `tests/lesson.rs` calls these with its own binary (from
//! `CARGO_BIN_EXE_*`), so the three runtimes are held to the same claims by the same code.
//! Every check runs the real binary, offline, against a fixture server on `127.0.0.1:0`,
//! and every wait is bounded. `tests/agree.rs` checks that the three runtimes' reports agree.
//!
//! Timings are only compared with wide margins: these are tests, not benchmarks.

#![allow(
    clippy::unwrap_used,
    reason = "test support: a failed unwrap is a failed test, with its line"
)]

pub mod pki;

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use fixture_server::{DOCUMENTS, Fixture};

/// The longest a binary may run in a test before it is killed and the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// A runtime binary under test, by path.
#[derive(Debug, Clone, Copy)]
pub struct Binary(pub &'static str);

/// What a finished run of a binary left.
#[derive(Debug)]
pub struct Output {
    /// The exit code (`None` if a signal ended it).
    pub code: Option<i32>,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
}

impl Binary {
    /// Runs the binary with `args` and waits, at most [`RUN_LIMIT`], for it to exit.
    pub fn run(self, args: &[&str]) -> Output {
        let mut child = Command::new(self.0)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", self.0));
        // Read both pipes on their own threads, so a full pipe never stalls the child.
        let drain = |mut pipe: Box<dyn Read + Send>| {
            thread::spawn(move || {
                let mut text = String::new();
                pipe.read_to_string(&mut text).map(|_| text)
            })
        };
        let stdout = drain(Box::new(child.stdout.take().unwrap()));
        let stderr = drain(Box::new(child.stderr.take().unwrap()));
        let deadline = Instant::now() + RUN_LIMIT;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{} {args:?} ran longer than {RUN_LIMIT:?}", self.0);
            }
            thread::sleep(Duration::from_millis(20));
        };
        Output {
            code: status.code(),
            stdout: stdout.join().unwrap().unwrap(),
            stderr: stderr.join().unwrap().unwrap(),
        }
    }

    /// Runs the binary with `args` and `--json`, and parses its report.
    pub fn run_json(self, args: &[&str]) -> (Output, Value) {
        let mut all = args.to_vec();
        all.push("--json");
        let output = self.run(&all);
        let report = serde_json::from_str(&output.stdout).unwrap_or_else(|err| {
            panic!(
                "stdout is not a JSON report ({err})\nstdout:\n{}\nstderr:\n{}",
                output.stdout, output.stderr
            )
        });
        (output, report)
    }
}

/// The default run: the four documents from the built-in fixture, concurrently and in
/// sequence, with the right byte counts; concurrent well under sequential; the sleep demo;
/// every fetch polled on the executor's thread.
pub fn check_default_run(binary: Binary) {
    let (output, report) = binary.run_json(&["--latency-ms", "200"]);
    assert_eq!(output.code, Some(0), "stderr:\n{}", output.stderr);

    for phase in ["concurrent", "sequential"] {
        let fetches = report[phase]["fetches"].as_array().unwrap();
        assert_eq!(fetches.len(), DOCUMENTS.len());
        for (fetch, (path, size)) in fetches.iter().zip(DOCUMENTS) {
            assert!(fetch["url"].as_str().unwrap().ends_with(path), "{fetch}");
            assert_eq!(fetch["status"], 200, "{fetch}");
            assert_eq!(fetch["bytes"], size, "{fetch}");
            assert_eq!(fetch["error"], Value::Null, "{fetch}");
        }
    }
    assert_eq!(report["concurrent"]["mode"], "join");

    // Four fetches of 200 ms each: about 0.2 s at once, about 0.8 s in turn.
    let concurrent = report["concurrent"]["total_ms"].as_f64().unwrap();
    let sequential = report["sequential"]["total_ms"].as_f64().unwrap();
    assert!(
        concurrent < 0.6 * sequential,
        "concurrent {concurrent} ms is not well under sequential {sequential} ms"
    );

    check_sleep_demo(&report);
    check_one_thread(&report);
}

/// The sleep demo: entries in input order, exits by duration, results in input order, and
/// the three sleeps overlapping (1.5 s in all, not 3 s).
pub fn check_sleep_demo(report: &Value) {
    let sleep = &report["sleep"];
    let events: Vec<(String, f64)> = sleep["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let kind = e["event"].as_str().unwrap().to_owned();
            (kind, e["duration"].as_f64().unwrap())
        })
        .collect();
    let expected = [
        ("enter", 1.0),
        ("enter", 0.5),
        ("enter", 1.5),
        ("exit", 0.5),
        ("exit", 1.0),
        ("exit", 1.5),
    ];
    let expected: Vec<(String, f64)> = expected.iter().map(|(k, d)| (k.to_string(), *d)).collect();
    assert_eq!(events, expected);
    assert_eq!(sleep["results"], serde_json::json!([1.0, 0.25, 2.25]));
    let total = sleep["total_ms"].as_f64().unwrap();
    assert!(
        (1400.0..2500.0).contains(&total),
        "the sleeps took {total} ms: they did not overlap"
    );
}

/// The study's claim: one thread, the executor's, polled every fetch future, and the census
/// marked it.
pub fn check_one_thread(report: &Value) {
    let threads = report["census"]["threads"].as_array().unwrap();
    let executors: Vec<&Value> = threads.iter().filter(|t| t["executor"] == true).collect();
    assert_eq!(executors.len(), 1, "census: {threads:?}");
    let executor = &executors[0]["tid"];
    assert!(
        threads.iter().any(|t| t["name"] == "fixture-server"),
        "the census labels the fixture server: {threads:?}"
    );
    for phase in ["concurrent", "sequential"] {
        for fetch in report[phase]["fetches"].as_array().unwrap() {
            assert_eq!(
                fetch["polled_on"],
                serde_json::json!([executor]),
                "{phase} fetch polled off the executor's thread: {fetch}"
            );
        }
    }
}

/// `--gather spawn`: one local task per fetch, same results, still one thread.
pub fn check_spawn_gather(binary: Binary) {
    let (output, report) = binary.run_json(&["--latency-ms", "100", "--gather", "spawn"]);
    assert_eq!(output.code, Some(0), "stderr:\n{}", output.stderr);
    assert_eq!(report["concurrent"]["mode"], "spawn");
    let fetches = report["concurrent"]["fetches"].as_array().unwrap();
    let bytes: Vec<&Value> = fetches.iter().map(|f| &f["bytes"]).collect();
    let sizes: Vec<Value> = DOCUMENTS
        .iter()
        .map(|(_, size)| Value::from(*size))
        .collect();
    assert_eq!(bytes, sizes.iter().collect::<Vec<_>>());
    check_one_thread(&report);
}

/// The lesson's own lines, as text, as they happen.
pub fn check_text_output(binary: Binary) {
    let output = binary.run(&["--latency-ms", "50"]);
    assert_eq!(output.code, Some(0), "stderr:\n{}", output.stderr);
    let text = &output.stdout;
    for (path, size) in DOCUMENTS {
        let url = text
            .lines()
            .find_map(|line| line.strip_prefix("fetching ").filter(|u| u.ends_with(path)))
            .unwrap_or_else(|| panic!("no `fetching` line for {path}:\n{text}"));
        assert!(
            text.contains(&format!("{url} returned status 200\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("{url} returned {size} bytes\n")),
            "{text}"
        );
    }
    let sleep_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("entering") || l.starts_with("leaving"))
        .collect();
    assert_eq!(
        sleep_lines,
        [
            "entering mysleep(1)",
            "entering mysleep(0.5)",
            "entering mysleep(1.5)",
            "leaving mysleep(0.5)",
            "leaving mysleep(1)",
            "leaving mysleep(1.5)",
        ]
    );
    assert!(
        text.contains("results, in input order: [1.0, 0.25, 2.25]\n"),
        "{text}"
    );
    assert!(text.contains("concurrent is "), "{text}");
    let executor_lines = text.lines().filter(|l| l.starts_with("* ")).count();
    assert_eq!(
        executor_lines, 1,
        "the census marks one executor thread:\n{text}"
    );
}

/// Every error of the foundation, each on its URL's own line, the good URL unaffected,
/// and the exit code 1.
pub fn check_errors(binary: Binary) {
    let fixture = Fixture::start(0, Duration::from_millis(20)).unwrap();
    // A port that was free a moment ago, so that connecting to it is refused.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
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

/// `--help` explains every flag, and a bad flag is a clear error with exit code 2.
pub fn check_cli(binary: Binary) {
    let help = binary.run(&["--help"]);
    assert_eq!(help.code, Some(0));
    for flag in [
        "--gather",
        "--timeout",
        "--latency-ms",
        "--json",
        "[URL]...",
    ] {
        assert!(
            help.stdout.contains(flag),
            "--help does not explain {flag}:\n{}",
            help.stdout
        );
    }
    let bad = binary.run(&["--timeout", "0"]);
    assert_eq!(bad.code, Some(2));
    assert!(bad.stderr.contains("out of range"), "{}", bad.stderr);
    let bad = binary.run(&["--gather", "threads"]);
    assert_eq!(bad.code, Some(2));
    assert!(
        bad.stderr.contains("possible values: join, spawn"),
        "{}",
        bad.stderr
    );
}

/// The report with what may differ between runtimes and runs removed: every timing (the
/// `_ms` fields and `speedup`), thread ids, the census, the runtime's name, and the fixture's
/// port in URLs.
pub fn comparable(report: &Value) -> Value {
    let mut report = report.clone();
    if let Some(fields) = report.as_object_mut() {
        for field in ["census", "runtime", "speedup"] {
            fields.remove(field);
        }
    }
    strip(&mut report);
    report
}

/// Removes timings and thread ids, and replaces loopback ports, everywhere in `value`.
fn strip(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|key, _| !key.ends_with("_ms") && key != "polled_on");
            fields.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        Value::String(text) => {
            if let Some(rest) = text.strip_prefix("http://127.0.0.1:") {
                let path = rest.find('/').map_or("", |at| &rest[at..]);
                *text = format!("http://127.0.0.1:PORT{path}");
            }
        }
        _ => {}
    }
}

/// One fault of the matrix: a path on the fixture, and the starts of the error messages
/// that count as a clear report of it (`None` for a fetch that must succeed).
const FAULTS: [(&str, Option<&[&str]>); 16] = [
    ("/doc/1", None),
    ("/redirect/9", None),
    ("/fault/reset", Some(&["HTTP error", "response cut short"])),
    (
        "/fault/reset-body",
        Some(&["HTTP error", "response cut short"]),
    ),
    ("/fault/stall", Some(&["timed out after 2 s"])),
    ("/fault/drip", Some(&["timed out after 2 s"])),
    ("/fault/garbage", Some(&["HTTP error"])),
    ("/fault/huge-headers", Some(&["HTTP error"])),
    ("/fault/truncated", Some(&["response cut short"])),
    (
        "/fault/endless",
        Some(&["body larger than the 1000000 byte cap"]),
    ),
    ("/status/404", Some(&["server answered HTTP 404"])),
    ("/status/500", Some(&["server answered HTTP 500"])),
    ("/fault/redirect-loop", Some(&["redirect loop"])),
    ("/redirect/10", Some(&["more than 10 redirects"])),
    (
        "/redirect?to=ftp://127.0.0.1/f",
        Some(&["bad redirect: to ftp://"]),
    ),
    (
        "/redirect?to=http://127.0.0.1:1/",
        Some(&["cannot connect to 127.0.0.1:1"]),
    ),
];

/// The fault matrix for one client: every fault gives a clear error on its own URL (or
/// the right status), nothing hangs past the timeout, and the good URLs are unaffected.
pub fn check_fault_matrix(binary: Binary, client: &str) {
    let fixture = Fixture::start(0, Duration::from_millis(20)).unwrap();
    let urls: Vec<String> = FAULTS.iter().map(|(path, _)| fixture.url(path)).collect();
    let mut args = vec![
        "--client",
        client,
        "--timeout",
        "2",
        "--max-body",
        "1000000",
    ];
    args.extend(urls.iter().map(String::as_str));
    let started = Instant::now();
    let (output, report) = binary.run_json(&args);
    assert_eq!(output.code, Some(1), "stderr:\n{}", output.stderr);
    assert_eq!(report["client"], client);

    for phase in ["concurrent", "sequential"] {
        let fetches = report[phase]["fetches"].as_array().unwrap();
        for (fetch, (path, expected)) in fetches.iter().zip(FAULTS) {
            let error = fetch["error"].as_str();
            match expected {
                None => assert_eq!(error, None, "{client} {phase} {path}: {fetch}"),
                Some(starts) => {
                    let error = error.unwrap_or_else(|| panic!("{client} {path}: no error"));
                    assert!(
                        starts.iter().any(|start| error.starts_with(start)),
                        "{client} {phase} {path}: {error:?} starts with none of {starts:?}"
                    );
                }
            }
        }
        let chain = &fetches[1];
        assert_eq!(chain["redirects"], 10, "{chain}");
        assert!(chain["final_url"].as_str().unwrap().ends_with("/doc/0"));
        assert_eq!(fetches[10]["status"], 404);
    }
    // Two timeouts of 2 s in sequence, two at once, the sleep demo: well under 20 s.
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(20), "{client}: {elapsed:?}");
}

/// https with one client: the four documents through `--ca-cert`, and each certificate
/// error (unknown issuer, wrong host, expired) a clear error with no fallback to http.
pub fn check_https(binary: Binary, client: &str) {
    let pki = pki::TestPki::new();
    let good = Fixture::start_tls(Duration::from_millis(20), &pki.good).unwrap();
    let mut args = vec!["--client", client, "--ca-cert", pki.ca_path()];
    let urls = good.seed_urls();
    args.extend(urls.iter().map(String::as_str));
    let (output, report) = binary.run_json(&args);
    assert_eq!(output.code, Some(0), "{client} stderr:\n{}", output.stderr);
    for (fetch, (_, size)) in report["concurrent"]["fetches"]
        .as_array()
        .unwrap()
        .iter()
        .zip(DOCUMENTS)
    {
        assert_eq!(fetch["bytes"], size, "{client}: {fetch}");
    }

    // The seed's URLs redirect from http to https: so does this one, and it is followed.
    let plain = Fixture::start(0, Duration::ZERO).unwrap();
    let hop = plain.url(&format!("/redirect?to={}", good.url("/doc/1")));
    let args = ["--client", client, "--ca-cert", pki.ca_path(), hop.as_str()];
    let (output, report) = binary.run_json(&args);
    assert_eq!(output.code, Some(0), "{client} stderr:\n{}", output.stderr);
    let fetch = &report["concurrent"]["fetches"][0];
    assert_eq!(fetch["final_url"], good.url("/doc/1"), "{client}: {fetch}");
    assert_eq!(fetch["redirects"], 1, "{client}: {fetch}");

    let unknown = Fixture::start_tls(Duration::ZERO, &pki.unknown_issuer).unwrap();
    let wrong = Fixture::start_tls(Duration::ZERO, &pki.wrong_host).unwrap();
    let expired = Fixture::start_tls(Duration::ZERO, &pki.expired).unwrap();
    let cases = [
        (
            unknown.url("/doc/1"),
            "TLS handshake failed: the server's certificate is not trusted",
        ),
        (
            wrong.url("/doc/1"),
            "TLS handshake failed: the server's certificate is not valid for this host name",
        ),
        (
            expired.url("/doc/1"),
            "TLS handshake failed: the server's certificate has expired",
        ),
        // Without --ca-cert, the good server's issuer is unknown too.
        (good.url("/doc/1"), ""),
    ];
    for (index, (url, expected)) in cases.iter().enumerate() {
        let mut args = vec!["--client", client];
        if index < 3 {
            args.extend(["--ca-cert", pki.ca_path()]);
        }
        args.push(url);
        let (output, report) = binary.run_json(&args);
        assert_eq!(output.code, Some(1), "{client} {url}: {}", output.stderr);
        let error = report["concurrent"]["fetches"][0]["error"]
            .as_str()
            .unwrap();
        let expected = match (client, expected.is_empty()) {
            // curl reports every certificate failure alike, and isahc passes on no reason.
            ("isahc", _) => "TLS handshake failed: the server's certificate was rejected",
            (_, true) => cases[0].1,
            (_, false) => expected,
        };
        assert!(error.starts_with(expected), "{client} {url}: {error}");
    }
}

/// Where each client's I/O runs, as the census sees it: isahc's agent thread appears with
/// isahc only, so surf really runs its h1 client (curl would bring isahc's agent).
pub fn check_client_threads(binary: Binary) {
    for client in ["hyper", "isahc", "surf"] {
        let (output, report) = binary.run_json(&["--client", client, "--latency-ms", "100"]);
        assert_eq!(output.code, Some(0), "{client}: {}", output.stderr);
        assert_eq!(report["client"], client);
        let threads = report["census"]["threads"].as_array().unwrap();
        let agent = threads
            .iter()
            .any(|t| t["name"].as_str().unwrap().starts_with("isahc-agent"));
        assert_eq!(agent, client == "isahc", "{client}: {threads:?}");
        // Whatever the client, the runtime polls every fetch future on its one thread.
        check_one_thread(&report);
    }
}

/// The sleep demo alone, as a subcommand.
pub fn check_sleep_subcommand(binary: Binary) {
    let (output, report) = binary.run_json(&["sleep"]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    check_sleep_demo(&report);
}

/// The starvation demo: a hog that keeps the thread makes the victims late by most of its
/// 500 ms; with no hog, with yield points, or with the work off the thread, they are not.
pub fn check_starvation(binary: Binary) -> Value {
    let (output, report) = binary.run_json(&["starve"]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    let worst = |hog: &str| {
        let scenarios = report["scenarios"].as_array().unwrap();
        let scenario = scenarios.iter().find(|s| s["hog"] == hog).unwrap();
        scenario["worst_late_ms"].as_f64().unwrap()
    };
    for hog in ["busy-loop", "thread-sleep"] {
        assert!(
            worst(hog) > 350.0,
            "{hog}: victims only {} ms late",
            worst(hog)
        );
    }
    for hog in ["none", "yielding-loop", "off-thread"] {
        assert!(worst(hog) < 150.0, "{hog}: victims {} ms late", worst(hog));
    }
    let off_thread = report["scenarios"][4]["other_threads"].as_array().unwrap();
    assert!(
        off_thread.iter().any(|t| {
            let name = t.as_str().unwrap();
            ["blocking-", "tokio-r", "minimal-blockin"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
        }),
        "spawn_blocking's thread shows in the census: {off_thread:?}"
    );
    report
}

/// The reactive demo: a fetch, a subprocess, a file and a timer all complete on one
/// thread, and their ends come in the expected order.
pub fn check_reactive(binary: Binary) -> Value {
    let mut small = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut small, b"a small local file\n").unwrap();
    let file = small.path().to_str().unwrap();
    let (output, report) = binary.run_json(&["reactive", "--file", file, "--latency-ms", "400"]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    for task in report["tasks"].as_array().unwrap() {
        assert_eq!(task["error"], Value::Null, "{task}");
    }
    let ends: Vec<&str> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "end")
        .map(|e| e["task"].as_str().unwrap())
        .collect();
    // A file of 19 bytes, `sleep 0.1`, a 250 ms timer, a 400 ms fetch.
    assert_eq!(ends, ["file", "subprocess", "timer", "fetch"]);
    report
}

/// The reactive demo's errors: a missing file and a failing command are reported on their
/// own lines, the other tasks still complete, and the exit code is 1.
pub fn check_reactive_errors(binary: Binary) {
    let (output, report) = binary.run_json(&[
        "reactive",
        "--file",
        "/no/such/file",
        "--command",
        "echo oops >&2; exit 3",
        "--latency-ms",
        "20",
    ]);
    assert_eq!(output.code, Some(1), "{}", output.stderr);
    let error = |task: &str| {
        let tasks = report["tasks"].as_array().unwrap();
        let found = tasks.iter().find(|t| t["task"] == task).unwrap();
        found["error"].as_str().map(str::to_owned)
    };
    let file = error("file").unwrap();
    assert!(file.starts_with("cannot read /no/such/file: "), "{file}");
    assert!(file.contains("No such file or directory"), "{file}");
    let command = error("subprocess").unwrap();
    assert!(
        command.contains("exit status: 3") && command.contains("oops"),
        "{command}"
    );
    assert_eq!(error("fetch"), None);
    assert_eq!(error("timer"), None);
    assert!(
        output.stderr.contains("error: 2 of 4 tasks failed\n"),
        "{}",
        output.stderr
    );
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
    let started = Instant::now();
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
    assert!(started.elapsed() < Duration::from_secs(20), "{client}");
}

/// Scale mode: 200 fetches at once take about one latency, not 200; `--concurrency`
/// bounds them; 2,000 sleeps gathered take about one sleep.
pub fn check_scale(binary: Binary) {
    let args = [
        "scale",
        "--count",
        "200",
        "--sleeps",
        "2000",
        "--sleep-ms",
        "200",
    ];
    let (output, report) = binary.run_json(&[&args[..], &["--latency-ms", "100"]].concat());
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert_eq!(report["succeeded"], 200, "{report}");
    let fetch_ms = report["fetch_ms"].as_f64().unwrap();
    assert!(
        fetch_ms < 2_000.0,
        "200 fetches of 100 ms took {fetch_ms} ms"
    );
    let sleep_ms = report["sleep_ms"].as_f64().unwrap();
    assert!(
        sleep_ms < 1_000.0,
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
    ];
    let (output, report) = binary.run_json(&bounded);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert_eq!(report["succeeded"], 40);
    // Four waves of ten, 100 ms each.
    let fetch_ms = report["fetch_ms"].as_f64().unwrap();
    assert!(
        fetch_ms > 350.0,
        "40 fetches, 10 at a time, took only {fetch_ms} ms"
    );
}

/// Out of file descriptors, the error says what to do, and the run still ends.
pub fn check_out_of_files(binary: Binary) {
    let script = format!(
        "ulimit -n 200 && exec '{}' scale --count 300 --latency-ms 200 --timeout 5 --json",
        binary.0
    );
    let output = Binary("/bin/sh").run(&["-c", &script]);
    assert_eq!(output.code, Some(1), "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("ran out of file descriptors (EMFILE)"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("--base"), "{}", output.stderr);
}
