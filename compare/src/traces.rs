//! `compare trace`: each runtime's demos under `--trace`, the figures of their timelines,
//! and two pictures drawn from them.
//!
//! Per runtime, four traced runs: the lesson (hyper, `join`, 300 ms) with the published
//! socket adapter and with the study's (`--io-adapter study`), the starvation demo, and
//! `scale --count 1000` against the fixture server. From each trace's summary: polls
//! per fetch task, the share of polls that answered no wake (spurious), the time from a
//! wake to the poll that answers it, and which threads the wakes came from. The pictures:
//! the lesson's concurrent phase on smol and on tokio, one above the other, and the
//! starvation demo's busy-loop hog on tokio, a lane per task, each poll a bar and each wake
//! a dot, coloured by what woke the task (a second table counts the wakes by source).

use std::path::{Path, PathBuf};

use anyhow::Context;
use plotters::prelude::*;
use serde_json::Value;

use crate::runs::{Server, measure_runs};

/// What one traced run's summary says (its `studySummary`).
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct TraceRow {
    runtime: String,
    demo: &'static str,
    polls_per_fetch: Option<f64>,
    spurious_share: f64,
    wake_to_poll_p50_us: f64,
    wake_to_poll_p99_us: f64,
    /// The longest wait from a wake to its poll, and how many waited over 100 ms.
    wake_to_poll_max_us: f64,
    wakes_waiting_over_100_ms: f64,
    /// The share of wakes that came from a thread other than the executor's.
    wakes_from_other_threads: f64,
    /// Those threads, by name.
    other_threads: Vec<String>,
    /// What woke the tasks: each source with its count, as the summary gives them.
    wakes_by_source: Vec<(String, u64)>,
}

/// The sources a wake may have, in the table's order, each with its colour in the
/// pictures.
const SOURCES: [(&str, RGBColor); 5] = [
    ("socket read", RGBColor(214, 39, 40)),
    ("socket write", RGBColor(148, 103, 189)),
    ("timer", RGBColor(44, 160, 44)),
    ("task or channel", RGBColor(255, 127, 14)),
    ("unknown", RGBColor(90, 90, 90)),
];

/// Runs the traced demos of every runtime, draws the pictures into `out`, and returns
/// the table of figures, in markdown.
pub(crate) fn table(
    runtimes: &[(String, PathBuf)],
    server: &Server,
    out: &Path,
) -> anyhow::Result<String> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let lesson = |adapter: &str| {
        let mut args = vec!["--json".to_owned(), format!("--io-adapter={adapter}")];
        args.extend(server.lesson_urls());
        args
    };
    let demos: [(&'static str, Vec<String>); 4] = [
        ("lesson", lesson("published")),
        ("lesson, study adapter", lesson("study")),
        ("starve", vec!["starve".to_owned(), "--json".to_owned()]),
        (
            "scale 1000",
            vec![
                "scale".to_owned(),
                "--json".to_owned(),
                "--count=1000".to_owned(),
                format!("--base={}", server.base),
            ],
        ),
    ];
    let mut rows = Vec::new();
    for (runtime, binary) in runtimes {
        for (demo, args) in &demos {
            eprintln!("trace: {runtime}, {demo}");
            let slug: String = demo
                .split(|c: char| !c.is_alphanumeric())
                .filter(|word| !word.is_empty())
                .collect::<Vec<_>>()
                .join("-");
            let file = out.join(format!("trace-{runtime}-{slug}.json"));
            let mut args = args.clone();
            args.push(format!("--trace={}", file.display()));
            measure_runs(binary, &args, 1)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("{runtime} wrote no trace to {}", file.display()))?;
            let trace: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            rows.push(row(runtime, demo, &trace));
        }
    }
    let lesson = |runtime: &str| out.join(format!("trace-{runtime}-lesson.json"));
    draw_lessons(
        &out.join("trace-lesson.svg"),
        &[("smol", lesson("smol")), ("tokio", lesson("tokio"))],
    )?;
    draw_hog(
        &out.join("trace-starve.svg"),
        &out.join("trace-tokio-starve.json"),
    )?;
    Ok(markdown(&rows))
}

/// The figures of one traced run.
fn row(runtime: &str, demo: &'static str, trace: &Value) -> TraceRow {
    let summary = &trace["studySummary"];
    let number = |key: &str| summary[key].as_f64().unwrap_or(0.0);
    let fetches = number("fetch_tasks");
    let executor = summary["polls_by_thread"]
        .as_array()
        .and_then(|threads| {
            threads
                .iter()
                .max_by_key(|t| t[1].as_u64().unwrap_or(0))
                .and_then(|t| t[0].as_str())
        })
        .unwrap_or_default()
        .to_owned();
    let wakes = summary["wakes_by_thread"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let total: f64 = wakes
        .iter()
        .map(|t| t[1].as_f64().unwrap_or(0.0))
        .fold(0.0, |sum, n| sum + n);
    let others: Vec<&Value> = wakes.iter().filter(|t| t[0] != executor.as_str()).collect();
    let from_others: f64 = others
        .iter()
        .map(|t| t[1].as_f64().unwrap_or(0.0))
        .fold(0.0, |sum, n| sum + n);
    TraceRow {
        runtime: runtime.to_owned(),
        demo,
        polls_per_fetch: (fetches > 0.0).then(|| number("fetch_polls") / fetches),
        spurious_share: number("spurious_polls") / number("polls").max(1.0),
        wake_to_poll_p50_us: number("wake_to_poll_p50_us"),
        wake_to_poll_p99_us: number("wake_to_poll_p99_us"),
        wake_to_poll_max_us: number("wake_to_poll_max_us"),
        wakes_waiting_over_100_ms: number("wakes_waiting_over_100_ms"),
        wakes_from_other_threads: from_others / total.max(1.0),
        other_threads: others
            .iter()
            .filter_map(|t| Some(format!("{} ({})", t[0].as_str()?, t[1].as_u64()?)))
            .collect(),
        wakes_by_source: summary["wakes_by_source"]
            .as_array()
            .map(|pairs| {
                pairs
                    .iter()
                    .filter_map(|p| Some((p[0].as_str()?.to_owned(), p[1].as_u64()?)))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The figures as a markdown table.
fn markdown(rows: &[TraceRow]) -> String {
    let mut out = String::from(
        "### Timelines: polls and wakes of the demos' tasks (`--trace`)\n\n\
         Spurious polls answered no wake; a wake's delay runs to the poll that answered it; \
         wakes from other threads came from a thread other than the executor's.\n\n\
         | runtime | demo | polls per fetch | spurious polls | wake to poll p50 µs | \
         wake to poll p99 µs | longest µs | waits over 100 ms | wakes from other threads | \
         those threads (wakes) |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
    );
    for r in rows {
        let polls = r
            .polls_per_fetch
            .map_or_else(|| "-".to_owned(), |n| format!("{n:.1}"));
        out.push_str(&format!(
            "| {} | {} | {polls} | {:.0} % | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} % | {} |\n",
            r.runtime,
            r.demo,
            r.spurious_share * 100.0,
            r.wake_to_poll_p50_us,
            r.wake_to_poll_p99_us,
            r.wake_to_poll_max_us,
            r.wakes_waiting_over_100_ms,
            r.wakes_from_other_threads * 100.0,
            r.other_threads.join(", "),
        ));
    }
    out.push_str(
        "\n### What woke the tasks (`args.source` in the trace)\n\n\
         The study tags the wakers it hands down: hyper's socket (read, write), the runtime \
         handle's sleep, the gathers of spawned tasks and hyper's channels; a wake no tag \
         saw is unknown. Wakes per source, and the share with a known source.\n\n\
         | runtime | demo | socket read | socket write | timer | task or channel | unknown | \
         known |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in rows {
        let count = |source: &str| {
            r.wakes_by_source
                .iter()
                .find(|(name, _)| name == source)
                .map_or(0, |(_, count)| *count)
        };
        let counts: Vec<u64> = SOURCES.iter().map(|(source, _)| count(source)).collect();
        let total: u64 = counts.iter().sum();
        let known = total - count("unknown");
        let cells: Vec<String> = counts.iter().map(u64::to_string).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {:.0} % |\n",
            r.runtime,
            r.demo,
            cells.join(" | "),
            known as f64 * 100.0 / total.max(1) as f64
        ));
    }
    out
}

/// One task's lane: its id, its name, its polls (start and end, µs) and its wakes (µs,
/// with their source).
struct Lane {
    task: u64,
    name: String,
    polls: Vec<(f64, f64)>,
    wakes: Vec<(f64, String)>,
}

/// The lanes of the tasks of `trace` whose names `keep` accepts, with every event that
/// starts before `until` µs, in the order the tasks first appear.
fn lanes(trace: &Value, keep: impl Fn(&str) -> bool, until: f64) -> Vec<Lane> {
    let mut lanes: Vec<(u64, Lane)> = Vec::new();
    let events = trace["traceEvents"].as_array().cloned().unwrap_or_default();
    for event in &events {
        let (Some(task), Some(ts)) = (event["args"]["task"].as_u64(), event["ts"].as_f64()) else {
            continue;
        };
        if ts > until {
            continue;
        }
        let name = event["name"].as_str().unwrap_or_default();
        let name = name.strip_prefix("wake ").unwrap_or(name);
        if !keep(name) {
            continue;
        }
        let index = match lanes.iter().position(|(id, _)| *id == task) {
            Some(index) => index,
            None => {
                lanes.push((
                    task,
                    Lane {
                        task,
                        name: name.to_owned(),
                        polls: Vec::new(),
                        wakes: Vec::new(),
                    },
                ));
                lanes.len() - 1
            }
        };
        let lane = &mut lanes[index].1;
        if event["cat"] == "poll" {
            let duration = event["dur"].as_f64().unwrap_or(0.0);
            lane.polls.push((ts, ts + duration));
        } else {
            let source = event["args"]["source"].as_str().unwrap_or("unknown");
            lane.wakes.push((ts, source.to_owned()));
        }
    }
    lanes.into_iter().map(|(_, lane)| lane).collect()
}

/// The lesson's concurrent phase of each traced runtime, a panel each: its first four
/// fetch tasks and the demo's own task.
fn draw_lessons(path: &Path, traces: &[(&str, PathBuf)]) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (960, 200 * traces.len() as u32 + 40)).into_drawing_area();
    root.fill(&WHITE)
        .context("cannot draw the lesson's trace")?;
    let panels = root.split_evenly((traces.len(), 1));
    for ((runtime, file), panel) in traces.iter().zip(panels.iter()) {
        let text = std::fs::read_to_string(file)?;
        let trace: Value = serde_json::from_str(&text)?;
        // The concurrent phase ends when the last of the first four fetch tasks is ready.
        let all = lanes(&trace, |name| name.starts_with("fetch "), f64::INFINITY);
        let end = all
            .iter()
            .take(4)
            .flat_map(|lane| lane.polls.last())
            .map(|(_, end)| *end)
            .fold(1_000.0, f64::max);
        let mut shown = lanes(&trace, |name| name == "the demo", end);
        shown.extend(
            lanes(&trace, |name| name.starts_with("fetch "), end)
                .into_iter()
                .take(4),
        );
        let title = format!(
            "{runtime}: the lesson's four fetches at once, each poll a bar, each wake a dot"
        );
        draw_panel(panel, &title, &shown, end)
            .map_err(|err| anyhow::anyhow!("cannot draw the lesson's trace: {err}"))?;
    }
    root.present().context("cannot write the lesson's trace")?;
    Ok(())
}

/// The starvation demo's busy-loop scenario: the hog's long poll, and the tickers'
/// polls around it.
fn draw_hog(path: &Path, file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)?;
    let trace: Value = serde_json::from_str(&text)?;
    let hog = lanes(&trace, |name| name == "hog (busy-loop)", f64::INFINITY);
    let (start, end) = hog
        .first()
        .and_then(|lane| {
            let first = lane.polls.first()?.0;
            let last = lane.polls.last()?.1;
            Some((first, last))
        })
        .context("the trace has no busy-loop hog")?;
    // From the scenario's start (the hog sleeps 100 ms first) to the tickers' last ticks.
    let window_start = (start - 150_000.0).max(0.0);
    let window_end = end + 400_000.0;
    // The scenario's tickers were named just before its hog.
    let hog_task = hog.first().map_or(0, |lane| lane.task);
    let mut shown = hog;
    shown.extend(
        lanes(&trace, |name| name.starts_with("ticker "), window_end)
            .into_iter()
            .filter(|lane| lane.task < hog_task && lane.task + 4 > hog_task),
    );
    for lane in &mut shown {
        lane.polls
            .retain(|(from, to)| *to >= window_start && *from <= window_end);
        lane.wakes
            .retain(|(at, _)| (window_start..=window_end).contains(at));
        for poll in &mut lane.polls {
            poll.0 -= window_start;
            poll.1 -= window_start;
        }
        for (at, _) in &mut lane.wakes {
            *at -= window_start;
        }
    }
    shown.retain(|lane| !lane.polls.is_empty());
    shown.truncate(6);
    let root = SVGBackend::new(path, (960, 260)).into_drawing_area();
    root.fill(&WHITE).context("cannot draw the hog's trace")?;
    draw_panel(
        &root,
        "tokio, starve: while the busy loop keeps the thread, no ticker is polled",
        &shown,
        window_end - window_start,
    )
    .map_err(|err| anyhow::anyhow!("cannot draw the hog's trace: {err}"))?;
    root.present().context("cannot write the hog's trace")?;
    Ok(())
}

/// One panel: a lane per task, its polls as bars (at least a sliver wide, so that a
/// poll of a few microseconds shows), its wakes as dots, over `0..end` µs.
fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    title: &str,
    lanes: &[Lane],
    end: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let rows = lanes.len().max(1) as f64;
    let names: Vec<String> = lanes.iter().map(|lane| lane.name.clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(210)
        .build_cartesian_2d(0.0..end / 1000.0 * 1.02, 0.0..rows)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(lanes.len() * 2 + 1)
        .y_label_formatter(&|y| {
            let lane = (rows - 1.0 - y.floor()) as usize;
            if (y.fract() - 0.5).abs() < 0.01 {
                names.get(lane).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_desc("milliseconds")
        .draw()?;
    let sliver = end / 1000.0 / 400.0;
    for (index, lane) in lanes.iter().enumerate() {
        let top = rows - index as f64;
        chart.draw_series(lane.polls.iter().map(|(from, to)| {
            let (from, to) = (from / 1000.0, (to / 1000.0).max(from / 1000.0 + sliver));
            Rectangle::new(
                [(from, top - 0.75), (to, top - 0.25)],
                BLUE.mix(0.8).filled(),
            )
        }))?;
        for (source, colour) in SOURCES {
            let series = chart.draw_series(
                lane.wakes
                    .iter()
                    .filter(|(_, from)| from == source)
                    .map(|(at, _)| Circle::new((at / 1000.0, top - 0.15), 3, colour.filled())),
            )?;
            // One legend entry per source, from the first lane.
            if index == 0 {
                series
                    .label(format!("wake: {source}"))
                    .legend(move |(x, y)| Circle::new((x, y), 3, colour.filled()));
            }
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
