//! The thread census: which OS threads the process has, and which one polls the futures.
//!
//! The lesson's claim is that everything runs on one thread. A runtime may still start
//! helper threads (a blocking pool for DNS, a reactor, a global executor), and the census
//! names them. It reads `/proc/self/task`, so it works on Linux only; elsewhere it says so.

use std::collections::BTreeMap;
use std::fs;

use serde::{Deserialize, Serialize};

/// The threads of the process at one moment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Census {
    /// One entry per OS thread, by thread id.
    pub threads: Vec<ThreadInfo>,
    /// Why the census could not be taken, if it could not.
    #[serde(deserialize_with = "Option::deserialize")]
    pub error: Option<String>,
}

/// One OS thread, with what the study knows of its job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThreadInfo {
    /// The kernel's thread id.
    pub tid: u32,
    /// The thread's name, as the kernel keeps it (at most 15 bytes).
    pub name: String,
    /// What the thread is for, from its name or id.
    pub role: String,
    /// Whether this is the executor's thread, the one that polls every fetch future.
    pub executor: bool,
}

/// The kernel's id of the calling thread, or `None` where `/proc` does not tell it.
///
/// It is read once per thread and kept, so that calling it on every poll stays cheap.
pub fn current_tid() -> Option<u32> {
    thread_local! {
        static TID: Option<u32> = read_tid();
    }
    TID.with(|tid| *tid)
}

/// Reads the calling thread's id from the `/proc/thread-self` link (`PID/task/TID`).
fn read_tid() -> Option<u32> {
    let link = fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

impl Census {
    /// Lists the process's threads now, marking `executor` as the executor's thread.
    pub fn take(executor: Option<u32>) -> Census {
        match list_threads() {
            Ok(mut threads) => {
                for thread in &mut threads {
                    thread.executor = Some(thread.tid) == executor;
                    thread.role = role(thread, executor).to_owned();
                }
                Census {
                    threads,
                    error: None,
                }
            }
            Err(err) => Census {
                threads: Vec::new(),
                error: Some(format!("cannot list threads from /proc/self/task: {err}")),
            },
        }
    }
}

/// Reads every thread's id and name from `/proc/self/task`.
fn list_threads() -> std::io::Result<Vec<ThreadInfo>> {
    let mut threads = Vec::new();
    for entry in fs::read_dir("/proc/self/task")? {
        let entry = entry?;
        let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        // A thread may exit between the listing and this read; it is then left out.
        let Ok(name) = fs::read_to_string(entry.path().join("comm")) else {
            continue;
        };
        threads.push(ThreadInfo {
            tid,
            name: name.trim_end().to_owned(),
            role: String::new(),
            executor: false,
        });
    }
    threads.sort_by_key(|thread| thread.tid);
    Ok(threads)
}

/// The CPU time each thread of the process has used so far, in milliseconds (user and
/// system, counted by the kernel in clock ticks), by thread id, with the thread's name.
/// Empty where `/proc` cannot tell.
///
/// Two readings tell which threads worked in between, and how much.
pub fn cpu_ms() -> BTreeMap<u32, (String, u64)> {
    let mut used_ms = BTreeMap::new();
    let Ok(threads) = list_threads() else {
        return used_ms;
    };
    for thread in threads {
        let path = format!("/proc/self/task/{}/stat", thread.tid);
        if let Some(ms) = stat_ms(&path) {
            used_ms.insert(thread.tid, (thread.name, ms));
        }
    }
    used_ms
}

/// The CPU time another process (`pid`) has used so far, all its threads, in milliseconds;
/// `None` where `/proc` cannot tell (the process may have exited).
pub fn process_cpu_ms(pid: u32) -> Option<u64> {
    stat_ms(&format!("/proc/{pid}/stat"))
}

/// The number in another process's (`pid`) `/proc/PID/status` line `field:`, such as
/// `Threads` or `VmHWM` (in KiB); `None` where `/proc` cannot tell (the process may have
/// exited).
pub fn process_status(pid: u32, field: &str) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_number(&text, field)
}

/// The number in a `/proc/PID/status` text's line `field:`.
fn status_number(text: &str, field: &str) -> Option<u64> {
    let value = text
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))?;
    value.trim().trim_end_matches("kB").trim().parse().ok()
}

/// One reading of `/proc/PID/status` of a child this process started, taken only once the
/// child runs a program of its own.
///
/// `Command::spawn` returns when the kernel releases the parent from the child's `execve`,
/// a moment before the child leaves the parent's memory for its own (`exec_mmap`): a
/// reading then shows the parent's memory (a test process's 40 to 50 MB failed two CI runs
/// with it). Until that switch, the child's `/proc/PID/exe` is this process's program, so
/// a reading is refused while it is. (Not its name: the child has the name of the thread
/// that spawned it until the switch, and a child that runs a program of this process's
/// file is never read.)
#[derive(Debug)]
pub struct ChildStatus(String);

impl ChildStatus {
    /// The reading, or `None` while the child still runs this process's program, and once
    /// it has exited.
    pub fn read(pid: u32) -> Option<ChildStatus> {
        // The program first: once it is the child's own, so is the memory the status
        // read after it shows (the switch happens once, at `execve`).
        let program = fs::read_link(format!("/proc/{pid}/exe")).ok()?;
        if program == fs::read_link("/proc/self/exe").ok()? {
            return None;
        }
        let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        Some(ChildStatus(text))
    }

    /// The number in the line `field:`, such as `Threads` or `VmHWM` (in KiB).
    pub fn number(&self, field: &str) -> Option<u64> {
        status_number(&self.0, field)
    }
}

/// The calling thread's CPU time so far (user and system), if the OS tells it.
pub fn thread_cpu() -> Option<std::time::Duration> {
    use nix::sys::resource::{UsageWho, getrusage};
    use std::time::Duration;
    let usage = getrusage(UsageWho::RUSAGE_THREAD).ok()?;
    let time = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(t.tv_sec().unsigned_abs())
            + Duration::from_micros(t.tv_usec().unsigned_abs())
    };
    Some(time(usage.user_time()) + time(usage.system_time()))
}

/// This process's CPU time so far, all threads: user and system apart, if the OS tells it.
pub fn process_cpu() -> Option<(std::time::Duration, std::time::Duration)> {
    use nix::sys::resource::{UsageWho, getrusage};
    use std::time::Duration;
    let usage = getrusage(UsageWho::RUSAGE_SELF).ok()?;
    let time = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(t.tv_sec().unsigned_abs())
            + Duration::from_micros(t.tv_usec().unsigned_abs())
    };
    Some((time(usage.user_time()), time(usage.system_time())))
}

/// The CPU milliseconds (user and system) in the `/proc` stat file at `path`.
fn stat_ms(path: &str) -> Option<u64> {
    let ticks_per_second = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|n| u64::try_from(n).ok())
        .filter(|&n| n > 0)?;
    let ticks = stat_ticks(&fs::read_to_string(path).ok()?)?;
    Some(ticks * 1000 / ticks_per_second)
}

/// The user and system ticks in one `/proc/…/stat` line: fields 14 and 15, counted after
/// the name in parentheses, which may itself hold spaces or parentheses.
fn stat_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// Thread-name prefixes of the helpers the study knows, and what each one does.
///
/// The kernel cuts names to 15 bytes. tokio 1.54 names its blocking threads
/// `tokio-rt-worker`; older versions used `tokio-runtime-worker`, read `tokio-runtime-w`.
const KNOWN_HELPERS: [(&str, &str); 11] = [
    (
        "fixture-server",
        "fixture server: serves the lesson's documents (not under study)",
    ),
    (
        "tokio-rt-worker",
        "tokio's blocking pool: DNS lookups and other blocking calls",
    ),
    (
        "tokio-runtime-w",
        "tokio's blocking pool: DNS lookups and other blocking calls",
    ),
    (
        "blocking-",
        "the blocking crate's pool: DNS lookups and other blocking calls",
    ),
    (
        "async-std/runti",
        "async-std's global executor, which task::block_on always starts",
    ),
    (
        "async-io",
        "async-io's reactor thread: drives I/O and timers while no block_on does",
    ),
    (
        "async-process",
        "async-process's reaper: waits for child processes to exit",
    ),
    (
        "minimal-blockin",
        "runtime-minimal's thread for one spawn_blocking call",
    ),
    (
        "isahc-agent",
        "isahc's agent: curl's event loop, which does all of isahc's I/O",
    ),
    (
        "runtime-compio",
        "compio's blocking pool: its threads start unnamed and keep the program's name",
    ),
    (
        "iou-wrk-",
        "the kernel's io_uring worker (io-wq): runs an operation that cannot complete at once",
    ),
];

/// Says what `thread` is for, from its id or its name.
fn role(thread: &ThreadInfo, executor: Option<u32>) -> &'static str {
    if Some(thread.tid) == executor {
        return "executor: runs block_on and polls every fetch future";
    }
    // Before the helpers' names: runtime-compio's main thread has its pool's name.
    if thread.tid == std::process::id() {
        return "the process's main thread";
    }
    if let Some((_, role)) = KNOWN_HELPERS
        .iter()
        .find(|(prefix, _)| thread.name.starts_with(prefix))
    {
        return role;
    }
    UNKNOWN_HELPER
}

/// The role of a thread the census cannot name: a test fails on it, so that a new
/// runtime's helpers are named here.
pub const UNKNOWN_HELPER: &str = "a helper the study does not know";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_childs_status_is_read_only_once_it_runs_its_own_program() {
        // This process runs its own program, as a child does until its `execve` is done.
        assert!(ChildStatus::read(std::process::id()).is_none());
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let status = loop {
            if let Some(status) = ChildStatus::read(child.id()) {
                break status;
            }
            assert!(std::time::Instant::now() < deadline, "sleep never ran");
            std::thread::yield_now();
        };
        assert!(status.number("VmHWM").is_some_and(|kib| kib > 0));
        assert_eq!(status.number("Threads"), Some(1));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn no_reading_of_a_child_shows_this_processs_memory() {
        // This process holds 64 MiB, touched; `sleep`, once it runs, holds about 1 MiB.
        // Readings right after each spawn, from eight named threads at once, caught
        // this process's memory in the child before the check on its program.
        let ballast = vec![1u8; 64 << 20];
        std::thread::scope(|scope| {
            for n in 0..8 {
                let spawner = std::thread::Builder::new().name(format!("spawner-{n}"));
                spawner
                    .spawn_scoped(scope, || {
                        for _ in 0..100 {
                            let mut child = std::process::Command::new("sleep")
                                .arg("1")
                                .spawn()
                                .unwrap();
                            let reading = ChildStatus::read(child.id());
                            child.kill().unwrap();
                            child.wait().unwrap();
                            let peak = reading.and_then(|status| status.number("VmHWM"));
                            assert!(peak.unwrap_or(0) < 32 << 10, "a child's peak {peak:?} KiB");
                        }
                    })
                    .unwrap();
            }
        });
        assert_eq!(ballast.iter().map(|&b| u64::from(b)).sum::<u64>(), 64 << 20);
    }

    #[test]
    fn finds_the_calling_thread_and_names_it() {
        let me = current_tid().expect("Linux exposes /proc/thread-self");
        let name = std::thread::current().name().map(str::to_owned);
        let census = Census::take(Some(me));
        assert_eq!(census.error, None);
        let mine: Vec<_> = census.threads.iter().filter(|t| t.executor).collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].tid, me);
        assert_eq!(
            mine[0].role,
            "executor: runs block_on and polls every fetch future"
        );
        if let Some(name) = name {
            // The test harness names its threads after the test; the kernel keeps 15 bytes.
            assert!(
                name.starts_with(&mine[0].name),
                "{name} vs {}",
                mine[0].name
            );
        }
    }

    #[test]
    fn reads_cpu_ticks_after_a_name_with_spaces_and_parentheses() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0";
        assert_eq!(stat_ticks(stat), Some(10));
        assert_eq!(stat_ticks("garbage"), None);
        let me = current_tid().unwrap();
        assert!(cpu_ms().contains_key(&me));
    }

    #[test]
    fn reads_a_process_status_line() {
        let me = std::process::id();
        assert!(process_status(me, "Threads").is_some_and(|threads| threads >= 1));
        assert!(process_status(me, "VmHWM").is_some_and(|kib| kib > 0));
        assert_eq!(process_status(me, "NoSuchField"), None);
    }

    #[test]
    fn labels_a_named_helper_thread() {
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let helper = std::thread::Builder::new()
            .name("blocking-7".into())
            .spawn(move || {
                tx.send(current_tid()).unwrap();
                let _ = done_rx.recv();
            })
            .unwrap();
        let tid = rx.recv().unwrap();
        let census = Census::take(current_tid());
        drop(done_tx);
        helper.join().unwrap();
        let found = census.threads.iter().find(|t| Some(t.tid) == tid).unwrap();
        assert_eq!(found.name, "blocking-7");
        assert!(found.role.starts_with("the blocking crate's pool"));
        assert!(!found.executor);
    }
}
