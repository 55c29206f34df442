//! Export: the log as a Chrome trace (the JSON object format of the Chrome trace event
//! format), written by serde, and the lines a traced run prints about it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::record::{Event, recorded};
use super::summary::{TraceSummary, summarize, thread_name};
use crate::report::Live;

/// A whole trace file: the events, and the study's summary beside them (a key that
/// viewers ignore).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChromeTrace<'a> {
    trace_events: Vec<ChromeEvent<'a>>,
    display_time_unit: &'static str,
    study_summary: &'a TraceSummary,
}

/// One event of the trace, by its phase (`ph`).
#[derive(Serialize)]
#[serde(tag = "ph")]
enum ChromeEvent<'a> {
    /// Metadata: the name of the process or of a thread's track.
    #[serde(rename = "M")]
    Metadata {
        name: &'static str,
        pid: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        tid: Option<u32>,
        args: NameArgs,
    },
    /// A complete event: a poll, or a wake (drawn a nanosecond long).
    #[serde(rename = "X")]
    Complete {
        cat: &'static str,
        name: String,
        pid: u32,
        tid: u32,
        /// Microseconds since the log started, and the event's length.
        ts: f64,
        dur: f64,
        /// The flow from a wake to the poll that answered it.
        #[serde(skip_serializing_if = "Option::is_none")]
        bind_id: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        flow_out: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        flow_in: Option<bool>,
        args: TaskArgs<'a>,
    },
}

/// A metadata event's `args`.
#[derive(Serialize)]
struct NameArgs {
    name: String,
}

/// A poll's or a wake's `args`: the task, and for a poll its number and result.
#[derive(Serialize)]
struct TaskArgs<'a> {
    task: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    poll: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a str>,
    /// A wake's source.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'static str>,
}

/// Writes the log as a Chrome trace to `path` (a JSON object with `traceEvents`), and
/// returns its summary. Without tracing started, writes an empty trace.
pub fn write(path: &Path) -> io::Result<TraceSummary> {
    let (events, dropped) = recorded();
    let summary = summarize(&events, dropped);
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer(&mut out, &chrome_trace(&events, &summary))?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(summary)
}

/// Writes the log to `path` ([`write`]), says on stderr where and how much, and prints the
/// summary's figures with the run's text.
pub fn finish(path: &Path, live: Live) -> io::Result<TraceSummary> {
    let summary = write(path)?;
    let dropped = match summary.dropped {
        0 => String::new(),
        n => format!(" ({n} more dropped: the log was full)"),
    };
    eprintln!(
        "trace: {} polls of {} tasks and {} wakes written to {}{dropped}; open it in \
         https://ui.perfetto.dev",
        summary.polls,
        summary.tasks,
        summary.wakes,
        path.display()
    );
    live.line(format_args!(
        "trace: {} spurious polls (no wake before them); from a wake to its poll: p50 {:.0} \
         µs, p99 {:.0} µs, longest {:.0} µs, {} over 100 ms",
        summary.spurious_polls,
        summary.wake_to_poll_p50_us,
        summary.wake_to_poll_p99_us,
        summary.wake_to_poll_max_us,
        summary.wakes_waiting_over_100_ms
    ));
    let sources: Vec<String> = summary
        .wakes_by_source
        .iter()
        .map(|(source, count)| format!("{source} {count}"))
        .collect();
    live.line(format_args!(
        "trace: what woke the tasks: {}",
        sources.join(", ")
    ));
    Ok(summary)
}

/// The Chrome trace of `events`: a track per thread, named as the kernel names it; each
/// poll a complete event (`ph: "X"`) with the task's name and the poll's result; each wake
/// a short complete event on the waking thread, linked by a flow (`bind_id`, `flow_out`,
/// `flow_in`) to the poll that answered it.
fn chrome_trace<'a>(events: &[Event], summary: &'a TraceSummary) -> ChromeTrace<'a> {
    let pid = std::process::id();
    let micros = |ns: u64| ns as f64 / 1000.0;
    let mut names: HashMap<u64, &str> = HashMap::new();
    let mut answered: HashSet<u64> = HashSet::new();
    let mut threads: BTreeSet<u32> = BTreeSet::new();
    for event in events {
        match event {
            Event::Task { task, name } => {
                names.insert(*task, name);
            }
            Event::Poll { woken_by, tid, .. } => {
                answered.extend(*woken_by);
                threads.insert(*tid);
            }
            Event::Wake { tid, .. } => {
                threads.insert(*tid);
            }
        }
    }
    let track = |name, tid: Option<u32>| ChromeEvent::Metadata {
        name,
        pid,
        tid,
        args: NameArgs {
            name: thread_name(tid.unwrap_or(pid)),
        },
    };
    let mut trace_events = vec![track("process_name", None)];
    trace_events.extend(threads.iter().map(|tid| track("thread_name", Some(*tid))));
    let mut polls: HashMap<u64, u64> = HashMap::new();
    for event in events {
        match event {
            Event::Task { .. } => {}
            Event::Poll {
                task,
                tid,
                start,
                duration,
                ready,
                woken_by,
            } => {
                let count = polls.entry(*task).or_default();
                *count += 1;
                trace_events.push(ChromeEvent::Complete {
                    cat: "poll",
                    name: names.get(task).copied().unwrap_or("task").to_owned(),
                    pid,
                    tid: *tid,
                    ts: micros(*start),
                    dur: micros(*duration).max(0.001),
                    bind_id: *woken_by,
                    flow_out: None,
                    flow_in: woken_by.map(|_| true),
                    args: TaskArgs {
                        task: *task,
                        poll: Some(*count),
                        result: Some(if *ready { "Ready" } else { "Pending" }),
                        source: None,
                    },
                });
            }
            Event::Wake {
                task,
                tid,
                at,
                id,
                source,
            } => {
                let flow = answered.contains(id);
                trace_events.push(ChromeEvent::Complete {
                    cat: "wake",
                    name: format!("wake {}", names.get(task).copied().unwrap_or("task")),
                    pid,
                    tid: *tid,
                    ts: micros(*at),
                    dur: 0.001,
                    bind_id: flow.then_some(*id),
                    flow_out: flow.then_some(true),
                    flow_in: None,
                    args: TaskArgs {
                        task: *task,
                        poll: None,
                        result: None,
                        source: Some(source.name()),
                    },
                });
            }
        }
    }
    ChromeTrace {
        trace_events,
        display_time_unit: "ns",
        study_summary: summary,
    }
}
