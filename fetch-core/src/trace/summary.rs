//! Summary: a trace's figures (polls, wakes, spurious polls, the wait from a wake to its
//! poll, the threads), for the report and the trace file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::record::{Event, recorded};
use super::source::WakeSource;

/// What a trace holds, in figures: the report's `trace` and the trace file's
/// `studySummary`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TraceSummary {
    /// How many tasks were traced.
    pub tasks: u64,
    /// How many polls were recorded.
    pub polls: u64,
    /// How many polls after a task's first had no wake before them (spurious).
    pub spurious_polls: u64,
    /// How many wakes were recorded.
    pub wakes: u64,
    /// How many events the log dropped, being full.
    pub dropped: u64,
    /// How many tasks were fetches (named `fetch …`), and how many polls they had in all.
    pub fetch_tasks: u64,
    /// The polls of those fetch tasks.
    pub fetch_polls: u64,
    /// From a wake to the poll that answered it, in microseconds: the median.
    pub wake_to_poll_p50_us: f64,
    /// The same, the 99th percentile.
    pub wake_to_poll_p99_us: f64,
    /// The same, the longest: a task woken while a hog keeps the thread waits for the hog.
    pub wake_to_poll_max_us: f64,
    /// How many wakes waited longer than 100 ms for their poll (the percentiles hide a
    /// handful among thousands).
    pub wakes_waiting_over_100_ms: u64,
    /// Where the wakes came from: each thread's name (as the kernel keeps it), with how
    /// many wakes came from it.
    pub wakes_by_thread: Vec<(String, u64)>,
    /// What woke the tasks: each source (`socket read`, `timer`, …, `unknown`), with how
    /// many wakes it made.
    pub wakes_by_source: Vec<(String, u64)>,
    /// The threads that polled traced tasks, by name, with how many polls each.
    pub polls_by_thread: Vec<(String, u64)>,
}

/// One traced task's figures, from the log so far: its name, how many times it was polled,
/// and how long its polls took in all.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFigures {
    /// The task's name.
    pub name: String,
    /// How many polls.
    pub polls: u64,
    /// Their time, all together.
    pub poll_time: Duration,
}

/// Every traced task's figures so far, in the order the tasks were named.
pub fn task_figures() -> Vec<TaskFigures> {
    let (events, _) = recorded();
    let mut figures: Vec<TaskFigures> = Vec::new();
    let mut index = HashMap::new();
    for event in &events {
        match event {
            Event::Task { task, name } => {
                index.insert(*task, figures.len());
                figures.push(TaskFigures {
                    name: name.clone(),
                    polls: 0,
                    poll_time: Duration::ZERO,
                });
            }
            Event::Poll { task, duration, .. } => {
                if let Some(figure) = index.get(task).and_then(|&i| figures.get_mut(i)) {
                    figure.polls += 1;
                    figure.poll_time += Duration::from_nanos(*duration);
                }
            }
            Event::Wake { .. } => {}
        }
    }
    figures
}

/// The name the kernel keeps for thread `tid` of this process, or `thread TID` once it
/// has exited.
pub(super) fn thread_name(tid: u32) -> String {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| format!("thread {tid}"))
}

/// The figures of `events`.
pub(super) fn summarize(events: &[Event], dropped: u64) -> TraceSummary {
    let mut summary = TraceSummary {
        dropped,
        ..TraceSummary::default()
    };
    let mut wake_at: HashMap<u64, u64> = HashMap::new();
    let mut polled: HashMap<u64, u64> = HashMap::new();
    let mut by_thread: BTreeMap<u32, u64> = BTreeMap::new();
    let mut by_source: BTreeMap<WakeSource, u64> = BTreeMap::new();
    let mut polls_by_thread: BTreeMap<u32, u64> = BTreeMap::new();
    let mut delays = Vec::new();
    let mut fetches = HashSet::new();
    for event in events {
        match event {
            Event::Task { task, name } => {
                summary.tasks += 1;
                if name.starts_with("fetch ") {
                    fetches.insert(*task);
                }
            }
            Event::Wake {
                tid,
                at,
                id,
                source,
                ..
            } => {
                summary.wakes += 1;
                *by_source.entry(*source).or_default() += 1;
                wake_at.insert(*id, *at);
                *by_thread.entry(*tid).or_default() += 1;
            }
            Event::Poll {
                task,
                tid,
                start,
                woken_by,
                ..
            } => {
                summary.polls += 1;
                if fetches.contains(task) {
                    summary.fetch_polls += 1;
                }
                *polls_by_thread.entry(*tid).or_default() += 1;
                let earlier = polled.entry(*task).or_default();
                *earlier += 1;
                match woken_by.and_then(|id| wake_at.get(&id)) {
                    Some(at) => delays.push(start.saturating_sub(*at) as f64 / 1000.0),
                    None if *earlier > 1 => summary.spurious_polls += 1,
                    None => {}
                }
            }
        }
    }
    summary.fetch_tasks = fetches.len() as u64;
    delays.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let index = ((delays.len() as f64 - 1.0) * q).round() as usize;
        delays.get(index).copied().unwrap_or(0.0)
    };
    summary.wake_to_poll_p50_us = at(0.5);
    summary.wake_to_poll_p99_us = at(0.99);
    summary.wake_to_poll_max_us = delays.last().copied().unwrap_or(0.0);
    summary.wakes_waiting_over_100_ms = delays.iter().filter(|&&us| us > 100_000.0).count() as u64;
    let named = |counts: BTreeMap<u32, u64>| {
        let mut names: BTreeMap<String, u64> = BTreeMap::new();
        for (tid, count) in counts {
            *names.entry(thread_name(tid)).or_default() += count;
        }
        names.into_iter().collect()
    };
    summary.wakes_by_thread = named(by_thread);
    summary.wakes_by_source = by_source
        .into_iter()
        .map(|(source, count)| (source.name().to_owned(), count))
        .collect();
    summary.polls_by_thread = named(polls_by_thread);
    summary
}
