//! `--io-adapter study`, the study's own socket adapter for hyper: it must read every
//! answer the published one reads (answers in pieces with pauses between them, bodies
//! larger than the read buffer, a close right after the last byte, every fault of the
//! matrix), it must not make the reads that fail, and it must not wake a fetch for every
//! small piece of its answer.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use fixture_server::Fixture;
use serde_json::Value;

use crate::{Binary, Output, strace_runs};

/// The flags that choose the study's adapter.
pub const STUDY: [&str; 2] = ["--io-adapter", "study"];

/// How many `recvfrom` calls in strace's lines (`-e trace=recvfrom`) failed with `EAGAIN`,
/// and how many there were.
fn recvfrom_calls(strace: &str) -> (usize, usize) {
    let calls: Vec<&str> = strace
        .lines()
        .filter(|line| line.contains("recvfrom("))
        .collect();
    let eagain = calls.iter().filter(|line| line.contains("EAGAIN")).count();
    (eagain, calls.len())
}

/// The load demo on `binary` under strace, with `adapter`: the run's output and the number
/// of requests it answered.
fn traced_load(binary: Binary, url: &str, adapter: &str, requests: u64) -> (Output, u64) {
    let n = requests.to_string();
    let args = [
        "-f",
        "-o",
        "/dev/stderr",
        "-e",
        "trace=recvfrom",
        binary.0,
        "load",
        "--connections",
        "10",
        "--requests",
        &n,
        "--io-adapter",
        adapter,
        url,
        "--json",
    ];
    let output = Binary("strace").run(&args);
    assert_eq!(output.code, Some(0), "{adapter}: {}", output.stderr);
    let report: Value = serde_json::from_str(&output.stdout).unwrap();
    let answered = report["succeeded"].as_u64().unwrap();
    assert_eq!(answered, requests, "{adapter}: {report}");
    (output, answered)
}

/// With the study's adapter, a kept-alive request makes no read that fails: at most one
/// `recvfrom` in 20 returns `EAGAIN`. The positive control: on async-io's runtimes the
/// same count finds the published adapter's failing reads (several per request), and on
/// tokio, whose published adapter is the study's, it finds a `recvfrom` per request. On
/// compio the kernel reads through io_uring, with no `recvfrom` to fail: there the next
/// check holds the study's adapter to account.
pub fn check_study_adapter_makes_no_failing_read(binary: Binary) {
    if binary.0.ends_with("runtime-compio") || !strace_runs("it counts the reads") {
        return;
    }
    let _cpu = crate::cpu::keep_busy();
    let fixture = Fixture::start_keep_alive(0, Duration::ZERO).unwrap();
    let url = fixture.url("/doc/1");
    const REQUESTS: u64 = 1_000;
    let (study, answered) = traced_load(binary, &url, "study", REQUESTS);
    let (eagain, calls) = recvfrom_calls(&study.stderr);
    assert!(
        calls as u64 >= answered,
        "{calls} reads for {answered} answers"
    );
    assert!(
        eagain as u64 * 20 <= answered,
        "study: {eagain} of {calls} reads returned EAGAIN for {answered} requests"
    );
    let (published, answered) = traced_load(binary, &url, "published", REQUESTS);
    let (eagain, calls) = recvfrom_calls(&published.stderr);
    assert!(
        calls as u64 >= answered,
        "{calls} reads for {answered} answers"
    );
    let runtime_reads_first = !binary.0.ends_with("runtime-tokio");
    if runtime_reads_first {
        assert!(
            eagain as u64 >= answered,
            "published: only {eagain} EAGAIN reads for {answered} requests: the count no \
             longer sees the reads async-io tries before it waits"
        );
    }
}

/// Serves each connection of `listener` one answer that hides nothing but the timing: the
/// head, then the body in three pieces 40 ms apart, then a close right after the last
/// byte. `/length/N` announces `Content-Length: N`; `/close/N` announces nothing and ends
/// with the close.
fn serve_in_pieces(listener: TcpListener) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { return };
        thread::spawn(move || answer_in_pieces(stream));
    }
}

/// One answer of [`serve_in_pieces`].
fn answer_in_pieces(mut stream: TcpStream) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(clone) => clone,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let (framing, size) = match path.rsplit_once('/') {
        Some(("/length", n)) => ("length", n.parse().unwrap_or(0)),
        Some(("/close", n)) => ("close", n.parse().unwrap_or(0)),
        _ => ("length", 0),
    };
    let body: Vec<u8> = (0..size).map(|i: usize| b'a' + (i % 26) as u8).collect();
    let head = match framing {
        "length" => {
            format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n")
        }
        _ => "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_owned(),
    };
    let thirds = [size / 3, 2 * size / 3];
    let pieces = [
        &body[..thirds[0]],
        &body[thirds[0]..thirds[1]],
        &body[thirds[1]..],
    ];
    let _ = stream.write_all(head.as_bytes());
    for piece in pieces {
        thread::sleep(Duration::from_millis(40));
        if stream.write_all(piece).is_err() {
            return;
        }
    }
    // Dropped here: the close comes right after the last byte.
}

/// The study's adapter reads answers that come in pieces with pauses between them, bodies
/// far larger than hyper's read buffer, and a body that ends with the connection's close,
/// to the byte, in both phases of the lesson.
pub fn check_study_adapter_reads_answers_in_pieces(binary: Binary) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || serve_in_pieces(listener));
    let sizes = [
        ("length", 300_000),
        ("close", 200_000),
        ("length", 1),
        ("close", 0),
    ];
    let urls: Vec<String> = sizes
        .iter()
        .map(|(framing, size)| format!("http://{addr}/{framing}/{size}"))
        .collect();
    let mut args = STUDY.to_vec();
    args.extend(urls.iter().map(String::as_str));
    let (output, report) = binary.run_json(&args);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    for phase in ["concurrent", "sequential"] {
        let fetches = report[phase]["fetches"].as_array().unwrap();
        for (fetch, (framing, size)) in fetches.iter().zip(sizes) {
            assert_eq!(
                fetch["error"],
                Value::Null,
                "{phase} {framing} {size}: {fetch}"
            );
            assert_eq!(fetch["bytes"], size, "{phase} {framing} {size}: {fetch}");
        }
    }
}

/// The fault matrix with the study's adapter, as hyper meets it with the published one.
pub fn check_fault_matrix_with_the_study_adapter(binary: Binary) {
    crate::faults::check_fault_matrix_with(binary, "hyper", &STUDY);
}

/// The most polls of one fetch task in the lesson, traced, with `adapter`. Each fetch is a
/// task of its own (`--gather spawn`), so that its polls answer its own wakes: in a `join`
/// gather of four, each fetch is polled whenever any of them is woken.
fn most_polls_of_a_fetch(binary: Binary, adapter: &str) -> usize {
    let args = ["--io-adapter", adapter, "--gather", "spawn"];
    let (_, trace) = crate::trace::traced_run(binary, &args);
    let mut polls: BTreeMap<u64, usize> = BTreeMap::new();
    for event in trace["traceEvents"].as_array().unwrap() {
        let fetch = event["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("fetch "));
        if event["cat"] == "poll" && fetch {
            *polls
                .entry(event["args"]["task"].as_u64().unwrap())
                .or_default() += 1;
        }
    }
    assert_eq!(polls.len(), 8, "the lesson's eight fetches: {polls:?}");
    polls.into_values().max().unwrap_or(0)
}

/// On compio, with the study's adapter, no fetch of the lesson is polled more than 40
/// times: the largest document (311 KB) arrives in about ten reads. The positive control:
/// the published adapter's 2 KiB reads poll that fetch well over 40 times.
pub fn check_study_adapter_polls_a_fetch_at_most_40_times(binary: Binary) {
    const MOST: usize = 40;
    let study = most_polls_of_a_fetch(binary, "study");
    assert!(study <= MOST, "study: a fetch polled {study} times");
    let published = most_polls_of_a_fetch(binary, "published");
    assert!(
        published > MOST,
        "published: the most polls of a fetch is {published}: the count no longer sees the \
         2 KiB reads"
    );
}
