//! The timeline's checks, on the structure of the trace, never on its timing: the file is
//! a Chrome trace (a `traceEvents` array of well-formed events, each flow with both ends);
//! the executor's thread polls every task of the lesson; each poll after a task's first
//! answers a wake of it, or is counted spurious; and while the starvation demo's hog keeps
//! the thread, no other task is polled; and most wakes of the lesson say what woke them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::Binary;

/// Runs `binary` with `args`, `--json` and `--trace FILE`, and returns the report and the
/// trace, parsed.
pub(crate) fn traced_run(binary: Binary, args: &[&str]) -> (Value, Value) {
    let file = tempfile::NamedTempFile::new().unwrap();
    let path = file.path().to_str().unwrap();
    let mut all = args.to_vec();
    all.extend(["--trace", path]);
    let (output, report) = binary.run_json(&all);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert!(
        output.stderr.contains("trace: ") && output.stderr.contains(path),
        "{}",
        output.stderr
    );
    let text = std::fs::read_to_string(path).unwrap();
    let trace: Value = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("the trace is not JSON ({err}):\n{text}"));
    check_format(&trace);
    (report, trace)
}

/// The trace is what the Chrome trace event format asks: every event has a phase, a
/// process and a name; thread names are given as metadata; complete events (`X`) have a
/// timestamp, a duration and a thread; and every flow that goes in has come out.
fn check_format(trace: &Value) {
    let events = trace["traceEvents"]
        .as_array()
        .expect("traceEvents is an array");
    assert!(!events.is_empty());
    let mut flows_out = BTreeSet::new();
    let mut flows_in = BTreeSet::new();
    let mut named_threads = BTreeSet::new();
    for event in events {
        assert!(event["pid"].is_u64(), "{event}");
        assert!(event["name"].is_string(), "{event}");
        match event["ph"].as_str() {
            Some("M") => {
                if event["name"] == "thread_name" {
                    named_threads.insert(event["tid"].as_u64().unwrap());
                    assert!(event["args"]["name"].is_string(), "{event}");
                }
            }
            Some("X") => {
                assert!(event["ts"].is_f64() || event["ts"].is_u64(), "{event}");
                assert!(event["dur"].as_f64().unwrap() > 0.0, "{event}");
                let tid = event["tid"].as_u64().unwrap();
                assert!(tid > 0, "{event}");
                assert!(named_threads.contains(&tid), "unnamed thread: {event}");
                if event["flow_out"] == true {
                    flows_out.insert(event["bind_id"].as_u64().unwrap());
                }
                if event["flow_in"] == true {
                    flows_in.insert(event["bind_id"].as_u64().unwrap());
                }
            }
            other => panic!("an event of phase {other:?}: {event}"),
        }
    }
    assert_eq!(flows_in, flows_out, "every poll's flow starts at a wake");
}

/// The poll events (`cat: poll`) of a trace.
fn polls(trace: &Value) -> Vec<&Value> {
    let events = trace["traceEvents"].as_array().unwrap();
    events.iter().filter(|e| e["cat"] == "poll").collect()
}

/// The lesson, traced: every poll of every task runs on the executor's thread (the
/// census's); every fetch and `mysleep` is a task of the trace; and each poll after a
/// task's first answers a wake of that task, or is counted in the summary as spurious.
pub fn check_trace_of_the_lesson(binary: Binary) {
    let (report, trace) = traced_run(binary, &["--latency-ms", "50"]);
    let threads = report["census"]["threads"].as_array().unwrap();
    let executor = threads.iter().find(|t| t["executor"] == true).unwrap()["tid"].clone();
    let polls = polls(&trace);
    for poll in &polls {
        assert_eq!(
            poll["tid"], executor,
            "polled off the executor's thread: {poll}"
        );
    }
    let names: BTreeSet<&str> = polls.iter().map(|p| p["name"].as_str().unwrap()).collect();
    for path in fixture_server::DOCUMENTS.map(|(path, _)| path) {
        assert!(
            names.contains(format!("fetch {path}").as_str()),
            "{names:?}"
        );
    }
    for sleep in ["mysleep(1)", "mysleep(0.5)", "mysleep(1.5)"] {
        assert!(names.contains(sleep), "{names:?}");
    }
    // Each task's polls after its first: answered a wake (flow_in), or spurious.
    let mut by_task: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
    for poll in &polls {
        by_task
            .entry(poll["args"]["task"].as_u64().unwrap())
            .or_default()
            .push(poll);
    }
    let (mut spurious, mut later) = (0, 0);
    for task_polls in by_task.values() {
        later += task_polls.len() - 1;
        assert_eq!(task_polls[0]["args"]["poll"], 1);
        for poll in &task_polls[1..] {
            if poll["flow_in"] != true {
                spurious += 1;
            }
        }
        let last = task_polls.last().unwrap();
        assert_eq!(last["args"]["result"], "Ready", "{last}");
    }
    // A future that is not woken is not polled again, by any of the executors: most later
    // polls answer a wake (the others come when a runtime polls a task of its own accord).
    assert!(
        spurious * 2 < later,
        "{spurious} of {later} polls after a task's first answered no wake"
    );
    let summary = &trace["studySummary"];
    assert_eq!(summary["spurious_polls"], spurious, "{summary}");
    assert_eq!(summary["polls"], polls.len(), "{summary}");
    assert_eq!(summary["dropped"], 0, "{summary}");
}

/// The starvation demo, traced: while the busy-loop hog keeps the thread (its longest
/// poll, about 500 ms), no other task is polled.
pub fn check_trace_of_the_hog(binary: Binary) {
    let _cpu = crate::cpu::keep_busy();
    let (_, trace) = traced_run(binary, &["starve"]);
    let polls = polls(&trace);
    let hog = polls
        .iter()
        .filter(|p| p["name"] == "hog (busy-loop)")
        .max_by(|a, b| {
            let duration = |p: &&&Value| p["dur"].as_f64().unwrap();
            duration(a).total_cmp(&duration(b))
        })
        .expect("the busy-loop hog was polled");
    let (start, duration) = (hog["ts"].as_f64().unwrap(), hog["dur"].as_f64().unwrap());
    assert!(duration > 100_000.0, "the hog's longest poll: {hog}");
    for poll in &polls {
        let at = poll["ts"].as_f64().unwrap();
        let inside = at > start && at < start + duration;
        assert!(
            !inside,
            "{} was polled during the hog's poll: {poll}",
            poll["name"]
        );
    }
}

/// The lesson, traced: at least 80 % of the wakes have a known source (`args.source`), of
/// at least two kinds; some wake of a fetch task comes from its socket, and some wake of
/// the demo's task from a timer (the census's): the two are told apart. The summary
/// counts the same sources.
pub fn check_wake_sources_of_the_lesson(binary: Binary) {
    let (_, trace) = traced_run(binary, &["--latency-ms", "50"]);
    let events = trace["traceEvents"].as_array().unwrap();
    let wakes: Vec<&Value> = events.iter().filter(|e| e["cat"] == "wake").collect();
    let mut by_source: BTreeMap<&str, u64> = BTreeMap::new();
    for wake in &wakes {
        *by_source
            .entry(wake["args"]["source"].as_str().expect("a source"))
            .or_default() += 1;
    }
    let unknown = by_source.get("unknown").copied().unwrap_or(0);
    let total = wakes.len() as u64;
    assert!(
        (total - unknown) * 5 >= total * 4,
        "{unknown} of {total} wakes of unknown source: {by_source:?}"
    );
    let known_kinds = by_source
        .keys()
        .filter(|&&source| source != "unknown")
        .count();
    assert!(known_kinds >= 2, "{by_source:?}");
    let woke = |task: &str, source: &str| {
        wakes.iter().any(|w| {
            w["name"].as_str().is_some_and(|n| n.starts_with(task)) && w["args"]["source"] == source
        })
    };
    assert!(woke("wake fetch ", "socket read"), "{by_source:?}");
    assert!(woke("wake the demo", "timer"), "{by_source:?}");
    let summary: BTreeMap<&str, u64> = trace["studySummary"]["wakes_by_source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (pair[0].as_str().unwrap(), pair[1].as_u64().unwrap()))
        .collect();
    assert_eq!(summary, by_source);
}
