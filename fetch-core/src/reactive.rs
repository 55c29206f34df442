//! The reactive-tasks demo: "on pourrait faire tourner en parallèle n'importe quelle tâche
//! réactive: réagir à une entrée clavier, faire tourner un processus séparé, lire un
//! fichier local".
//!
//! One gather, on one thread: a fetch, a subprocess, the reading of a file, a timer and,
//! with `--stdin`, a line typed on standard input. Each says when it starts and ends, so
//! the overlap shows; the census shows which helper threads each one needs.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{LocalBoxFuture, join, join_all};
use serde::Serialize;

use crate::census::{Census, current_tid};
use crate::cli::ReactiveArgs;
use crate::fetch::{Fetch, error_chain};
use crate::report::{DemoReport, Failures, Live, millis_since};
use crate::runtime::Reactive;
use crate::session::{Session, Target, fetch_one};
use crate::timeout::timeout;
use crate::trace::traced;

/// How long the timer task sleeps.
pub const TIMER: Duration = Duration::from_millis(250);

/// The whole demo, as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct ReactiveReport {
    /// The runtime under study.
    pub runtime: &'static str,
    /// The HTTP client of the fetch task.
    pub client: &'static str,
    /// One entry per task, in the order they were gathered.
    pub tasks: Vec<TaskReport>,
    /// Starts and ends, in the order they happened.
    pub events: Vec<TaskEvent>,
    /// The process's threads, 50 ms into the gather.
    pub census: Census,
}

impl DemoReport for ReactiveReport {
    fn failures(&self) -> Failures {
        let lines: Vec<_> = self
            .tasks
            .iter()
            .filter_map(|t| Some((t.task.to_owned(), t.error.clone()?)))
            .collect();
        Failures {
            failed: lines.len(),
            lines,
            total: self.tasks.len(),
            noun: "tasks",
        }
    }
}

/// One task of the gather.
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    /// `fetch`, `subprocess`, `file`, `timer` or `stdin`.
    pub task: &'static str,
    /// What it did, when it succeeded.
    pub outcome: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When it started, from the start of the gather.
    pub start_ms: f64,
    /// When it ended, from the start of the gather.
    pub end_ms: f64,
}

/// A task starting or ending.
#[derive(Debug, Clone, Serialize)]
pub struct TaskEvent {
    /// `start` or `end`.
    pub event: &'static str,
    /// The task's name.
    pub task: &'static str,
}

/// The log the tasks share: they take turns on one thread, so a `RefCell` is enough.
type Log = Rc<RefCell<Vec<TaskEvent>>>;

/// Gathers the tasks on `runtime`, fetching `url` with `client`, and reports on each.
pub async fn demo<R: Reactive, F: Fetch + 'static>(
    runtime: R,
    client: F,
    args: &ReactiveArgs,
    url: String,
    timeout: Duration,
    live: Live,
) -> ReactiveReport {
    let (runtime_name, client_name) = (runtime.name(), client.name());
    live.section(format_args!(
        "reactive tasks on {runtime_name}, gathered in one task on one thread"
    ));
    let session = Session::new(runtime, client, timeout, live);
    let start = Instant::now();
    let executor_tid = current_tid();
    let log: Log = Rc::default();
    let file = args.file.clone().or_else(|| std::env::current_exe().ok());

    let mut tasks: Vec<LocalBoxFuture<'_, TaskReport>> = vec![
        task(
            "fetch",
            &log,
            start,
            live,
            fetch_task(session.clone(), url, start),
        )
        .boxed_local(),
        task(
            "subprocess",
            &log,
            start,
            live,
            command_task(&session, &args.command),
        )
        .boxed_local(),
        task("file", &log, start, live, file_task(&session, file)).boxed_local(),
        task("timer", &log, start, live, async {
            session.runtime.sleep(TIMER).await;
            Ok(format!("slept {} ms", TIMER.as_millis()))
        })
        .boxed_local(),
    ];
    if args.stdin {
        live.line("type a line and press Enter (the other tasks go on meanwhile)");
        tasks.push(task("stdin", &log, start, live, stdin_task(&session)).boxed_local());
    }
    let census = async {
        session.runtime.sleep(Duration::from_millis(50)).await;
        Census::take(executor_tid)
    };
    let (tasks, census) = join(join_all(tasks), census).await;
    live.census(&census, "50 ms into the gather");
    ReactiveReport {
        runtime: runtime_name,
        client: client_name,
        tasks,
        events: log.take(),
        census,
    }
}

/// Runs one task, noting and printing its start and end.
async fn task(
    name: &'static str,
    log: &Log,
    start: Instant,
    live: Live,
    work: impl Future<Output = Result<String, String>>,
) -> TaskReport {
    let start_ms = millis_since(start);
    log.borrow_mut().push(TaskEvent {
        event: "start",
        task: name,
    });
    live.line(format_args!("{start_ms:>7.1} ms  start {name}"));
    let outcome = traced(|| name.to_owned(), work).await;
    let end_ms = millis_since(start);
    log.borrow_mut().push(TaskEvent {
        event: "end",
        task: name,
    });
    match &outcome {
        Ok(what) => live.line(format_args!("{end_ms:>7.1} ms  end   {name}: {what}")),
        Err(why) => live.line(format_args!("{end_ms:>7.1} ms  end   {name} failed: {why}")),
    }
    let (outcome, error) = match outcome {
        Ok(what) => (Some(what), None),
        Err(why) => (None, Some(why)),
    };
    TaskReport {
        task: name,
        outcome,
        error,
        start_ms,
        end_ms,
    }
}

/// Fetches `url` the way the lesson does.
async fn fetch_task<R: Reactive, F: Fetch>(
    session: Rc<Session<R, F>>,
    url: String,
    start: Instant,
) -> Result<String, String> {
    let report = fetch_one(session, Target::Typed(url), start).await;
    match (report.error, report.status, report.bytes) {
        (Some(error), ..) => Err(error),
        (None, Some(status), Some(bytes)) => Ok(format!("status {status}, {bytes} bytes")),
        (None, ..) => Err("no response".into()),
    }
}

/// Runs the shell command and reports its exit and first line of output.
async fn command_task<R: Reactive, F>(
    session: &Session<R, F>,
    command: &str,
) -> Result<String, String> {
    let output = bounded(session, session.runtime.run_command(command))
        .await?
        .map_err(|err| format!("cannot run sh: {}", error_chain(&err)))?;
    let first_line = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        text.lines().next().unwrap_or_default().to_owned()
    };
    if output.status.success() {
        Ok(format!(
            "{}, printed {:?}",
            output.status,
            first_line(&output.stdout)
        ))
    } else {
        Err(format!(
            "command {command:?} failed: {}, stderr {:?}",
            output.status,
            first_line(&output.stderr)
        ))
    }
}

/// Reads the whole file and reports its size.
async fn file_task<R: Reactive, F>(
    session: &Session<R, F>,
    path: Option<PathBuf>,
) -> Result<String, String> {
    let path = path.ok_or("no file to read: this program's own path is unknown")?;
    let bytes = bounded(session, session.runtime.read_file(&path))
        .await?
        .map_err(|err| format!("cannot read {}: {}", path.display(), error_chain(&err)))?;
    Ok(format!("read {} bytes of {}", bytes.len(), path.display()))
}

/// Waits for one line on standard input.
async fn stdin_task<R: Reactive, F>(session: &Session<R, F>) -> Result<String, String> {
    match bounded(session, session.runtime.read_stdin_line()).await? {
        Ok(line) if line.is_empty() => Err("standard input closed before a line came".into()),
        Ok(line) => Ok(format!("read {:?}", line.trim_end_matches(['\r', '\n']))),
        Err(err) => Err(format!("cannot read standard input: {}", error_chain(&err))),
    }
}

/// Runs `work` under the session's timeout, with a clear error when it runs out.
async fn bounded<R: Reactive, F, T>(
    session: &Session<R, F>,
    work: impl Future<Output = T>,
) -> Result<T, String> {
    let limit = session.timeout;
    timeout(&session.runtime, limit, work)
        .await
        .ok_or_else(|| format!("timed out after {} s", limit.as_secs_f64()))
}
