//! The reliability table: every runtime and client against the fault matrix's routes, the
//! polite faults and the hostile server's, as docs/RELIABILITY.md shows it.
//!
//! One run per route, runtime and client, each its own process with that route's URL
//! alone and `fixture_server::MATRIX_FLAGS` (a 2 s timeout, a 1 MB body cap); four runs go at once (each mostly waits).
//! A cell is what the concurrent phase made of the route (the bytes of a success, or the
//! class of the error), how long that fetch took, and the run's peak memory.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use fetch_core::ClientKind;
use fetch_core::lesson::LessonReport;

use crate::measure::Measured;
use crate::runs::{Server, measure_runs, parse_reports};

/// How many runs go at once.
const RUNS_AT_ONCE: usize = 4;

/// Runs the matrix and returns the table, in markdown.
pub(crate) fn table(runtimes: &[(String, PathBuf)], server: &Server) -> anyhow::Result<String> {
    let columns: Vec<(String, &PathBuf, &str)> = runtimes
        .iter()
        .flat_map(|(runtime, binary)| {
            ClientKind::ALL.iter().map(move |client| {
                (
                    format!("{runtime} {}", client.name()),
                    binary,
                    client.name(),
                )
            })
        })
        .collect();
    let jobs: Vec<(usize, usize)> = (0..fixture_server::MATRIX.len())
        .flat_map(|row| (0..columns.len()).map(move |column| (row, column)))
        .collect();
    let total = jobs.len();
    let queue = Mutex::new(jobs.into_iter());
    let cells = Mutex::new(vec![
        vec![String::new(); columns.len()];
        fixture_server::MATRIX.len()
    ]);
    let failure = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..RUNS_AT_ONCE {
            scope.spawn(|| {
                loop {
                    // After a failed run, the table cannot be made: stop.
                    if failure.lock().map_or(true, |failure| failure.is_some()) {
                        break;
                    }
                    // A statement of its own, so that the lock is released before the run.
                    let next = queue.lock().ok().and_then(|mut queue| queue.next());
                    let Some((row, column)) = next else {
                        break;
                    };
                    let (name, binary, client) = &columns[column];
                    let path = fixture_server::MATRIX[row].path;
                    let job = row * columns.len() + column + 1;
                    eprintln!("reliability: run {job} of {total}: {name} {path}");
                    let url = format!("{}{path}", server.base);
                    match cell(binary, client, &url) {
                        Ok(text) => {
                            if let Ok(mut cells) = cells.lock() {
                                cells[row][column] = text;
                            }
                        }
                        Err(err) => {
                            if let Ok(mut failure) = failure.lock() {
                                failure.get_or_insert(err.context(format!("{name} {path}")));
                            }
                        }
                    }
                }
            });
        }
    });
    if let Some(err) = failure.into_inner().ok().flatten() {
        return Err(err);
    }
    let cells = cells
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a reliability run panicked"))?;
    let mut out = String::from("| route | what the server does |");
    for (name, ..) in &columns {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str("\n| --- | --- |");
    out.push_str(&" --- |".repeat(columns.len()));
    out.push('\n');
    for (route, row) in fixture_server::MATRIX.iter().zip(cells) {
        out.push_str(&format!("| `{}` | {} |", route.path, route.does));
        for cell in row {
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    Ok(out)
}

/// Runs one route with one runtime and client, and says what came of it in a cell.
fn cell(binary: &Path, client: &str, url: &str) -> anyhow::Result<String> {
    let mut args: Vec<String> = ["--json", "--client", client].map(String::from).to_vec();
    args.extend(fixture_server::MATRIX_FLAGS.map(String::from));
    args.push(url.to_owned());
    let samples: Vec<Measured> = measure_runs(binary, &args, 1)?;
    let reports: Vec<LessonReport> = parse_reports(&binary.display().to_string(), &samples)?;
    let (Some(sample), Some(report)) = (samples.first(), reports.first()) else {
        anyhow::bail!("no report");
    };
    let memory = format!("{:.0} MB", sample.max_rss_kib as f64 / 1024.0);
    Ok(match report.concurrent.fetches.first() {
        None => format!("missing, {memory}"),
        Some(fetch) => {
            let took = (fetch.end_ms - fetch.start_ms) / 1000.0;
            match (&fetch.error, fetch.bytes) {
                (None, Some(bytes)) => format!("{bytes} B, {took:.2} s, {memory}"),
                (Some(error), _) => format!("{}, {took:.2} s, {memory}", class(error)),
                (None, None) => format!("no answer, {took:.2} s, {memory}"),
            }
        }
    })
}

/// The class of an error, in a few words: its message up to the first colon, shortened.
fn class(error: &str) -> String {
    let head = error.split(':').next().unwrap_or(error);
    match head {
        h if h.starts_with("timed out") => "timeout".into(),
        h if h.starts_with("server answered HTTP") => {
            // "server answered HTTP 404 (11 body bytes)"
            format!("HTTP {}", h.split_whitespace().nth(3).unwrap_or("?"))
        }
        h if h.starts_with("body larger") => "over --max-body".into(),
        h if h.starts_with("surf cannot read") => "surf cannot read it".into(),
        h if h.starts_with("cannot connect") => "refused".into(),
        h => h.into(),
    }
}
