//! The tracer's log, through its public calls: a traced future's polls and wakes are
//! recorded and linked. A test binary of its own: the log is global to the process, and
//! any other test that traced a future while this one records would add its tasks.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures::executor::block_on;

use fetch_core::trace::{start, traced, write};

/// A future that is pending once, waking itself from another thread, then ready.
struct WokenFromAThread(AtomicBool);

impl Future for WokenFromAThread {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.swap(true, Ordering::Relaxed) {
            return Poll::Ready(());
        }
        let waker = cx.waker().clone();
        std::thread::Builder::new()
            .name("waker-thread".into())
            .spawn(move || waker.wake())
            .map(|handle| handle.join())
            .ok();
        Poll::Pending
    }
}

#[test]
fn polls_and_wakes_are_recorded_and_linked() {
    assert!(start());
    block_on(traced(
        || "woken".into(),
        WokenFromAThread(AtomicBool::new(false)),
    ));
    let path = std::env::temp_dir().join(format!("trace-test-{}.json", std::process::id()));
    let summary = write(&path).unwrap_or_default();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    assert_eq!((summary.tasks, summary.polls, summary.wakes), (1, 2, 1));
    assert_eq!(summary.spurious_polls, 0);
    assert!(
        summary
            .wakes_by_thread
            .iter()
            .any(|(name, count)| name.starts_with("thread ") && *count == 1),
        "the wake came from a thread that has exited: {summary:?}"
    );
    let trace: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let events = trace["traceEvents"].as_array().cloned().unwrap_or_default();
    let flows_out = events.iter().filter(|e| e["flow_out"] == true).count();
    let flows_in = events.iter().filter(|e| e["flow_in"] == true).count();
    assert_eq!((flows_out, flows_in), (1, 1), "{text}");
    let polls: Vec<&serde_json::Value> = events.iter().filter(|e| e["cat"] == "poll").collect();
    assert_eq!(polls.len(), 2);
    assert_eq!(polls[0]["name"], "woken");
    assert_eq!(polls[1]["args"]["result"], "Ready");
}
