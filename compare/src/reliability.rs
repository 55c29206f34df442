//! The reliability table: every runtime and client against the fault matrix's routes, the
//! polite faults and the hostile server's, as docs/RELIABILITY.md shows it.
//!
//! One run per runtime and client, each its own process, with every route's URL at once
//! (the good ones among them), `--timeout 2` and `--max-body 1000000`. A cell is what the
//! concurrent phase made of the route: the bytes of a success, or the class of the error,
//! and how long the fetch took. The last rows are the run's exit code, wall time and peak
//! memory.

use std::path::PathBuf;

use fetch_core::lesson::LessonReport;

use crate::{CLIENTS, Server, measure_runs, parse_reports};

/// Runs the matrix and returns the table, in markdown.
pub(crate) fn table(runtimes: &[(String, PathBuf)], server: &Server) -> anyhow::Result<String> {
    let urls: Vec<String> = fixture_server::MATRIX
        .iter()
        .map(|(path, _)| format!("{}{path}", server.base))
        .collect();
    let mut columns = Vec::new();
    for (runtime, binary) in runtimes {
        for client in CLIENTS {
            eprintln!("reliability: {runtime} with {client}");
            let mut args: Vec<String> = [
                "--json",
                "--client",
                client,
                "--timeout",
                "2",
                "--max-body",
                "1000000",
            ]
            .map(String::from)
            .to_vec();
            args.extend(urls.iter().cloned());
            let samples = measure_runs(binary, &args, 1)?;
            let reports: Vec<LessonReport> = parse_reports(runtime, &samples)?;
            let (Some(sample), Some(report)) =
                (samples.into_iter().next(), reports.into_iter().next())
            else {
                anyhow::bail!("{runtime} with {client} gave no report");
            };
            columns.push((format!("{runtime} {client}"), sample, report));
        }
    }
    let mut out = String::from("| route | what the server does |");
    for (name, ..) in &columns {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str("\n| --- | --- |");
    out.push_str(&" --- |".repeat(columns.len()));
    out.push('\n');
    for (row, (path, what)) in fixture_server::MATRIX.iter().enumerate() {
        out.push_str(&format!("| `{path}` | {what} |"));
        for (_, _, report) in &columns {
            let cell = report.concurrent.fetches.get(row).map_or_else(
                || "missing".to_owned(),
                |fetch| {
                    let took = (fetch.end_ms - fetch.start_ms) / 1000.0;
                    match (&fetch.error, fetch.bytes) {
                        (None, Some(bytes)) => format!("{bytes} B, {took:.2} s"),
                        (Some(error), _) => format!("{}, {took:.2} s", class(error)),
                        (None, None) => format!("no answer, {took:.2} s"),
                    }
                },
            );
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    let footer = |label: &str, value: &dyn Fn(&crate::measure::Measured) -> String| {
        let mut line = format!("| {label} | |");
        for (_, sample, _) in &columns {
            line.push_str(&format!(" {} |", value(sample)));
        }
        line.push('\n');
        line
    };
    out.push_str(&footer("exit code", &|s| {
        s.code.map_or("signal".into(), |c| c.to_string())
    }));
    out.push_str(&footer("run, s", &|s| format!("{:.1}", s.wall_ms / 1000.0)));
    out.push_str(&footer("peak RSS, MB", &|s| {
        format!("{:.1}", s.max_rss_kib as f64 / 1024.0)
    }));
    Ok(out)
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
