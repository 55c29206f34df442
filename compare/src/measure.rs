//! One measured run: a child process, its wall time, CPU time, peak RSS and peak thread
//! count.
//!
//! `compare` runs each measured command through a copy of itself (`compare measure -- …`),
//! whose only child is that command, so that `getrusage(RUSAGE_CHILDREN)` there is exactly
//! the command's own rusage, but for its peak RSS: see [`measure_and_print`].

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fetch_core::census::{ChildStatus, process_status};
use nix::sys::resource::{UsageWho, getrusage};
use serde::{Deserialize, Serialize};

/// The longest a measured command may run before it is killed.
const LIMIT: Duration = Duration::from_secs(600);

/// What one measured run left.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Measured {
    /// Wall time, from spawn to exit.
    pub wall_ms: f64,
    /// User CPU time.
    pub user_ms: f64,
    /// System CPU time.
    pub sys_ms: f64,
    /// Peak resident set size, in KiB: `ru_maxrss`, or the child's own `VmHWM` where
    /// `ru_maxrss` is this wrapper's size (see [`measure_and_print`]).
    pub max_rss_kib: i64,
    /// The most OS threads seen at once, sampled every 2 ms from `/proc/PID/status`.
    pub peak_threads: u32,
    /// The exit code (`None` if a signal ended it).
    pub code: Option<i32>,
    /// What the command printed on stdout (its `--json` report).
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

/// Runs `command` (program and arguments), and prints its [`Measured`] as JSON on stdout.
/// This is the body of the hidden `compare measure` subcommand.
///
/// Its peak RSS: Linux counts in a process's `ru_maxrss` the memory it had before its
/// `execve` (`exec_mmap` keeps the old memory's peak), and a child spawned here had this
/// wrapper's, about 3.3 MB. A child that stays under that, such as one fetch with bare
/// hyper (2.5 MB), read as 3.3 MB, and the KB per fetch computed from it came out 0.09
/// lower at 10,000. Where `ru_maxrss` does not exceed this wrapper's own peak, the child's
/// own `VmHWM`, sampled every 2 ms while it runs, is taken instead.
pub(crate) fn measure_and_print(command: &[String]) -> anyhow::Result<()> {
    let Some((program, args)) = command.split_first() else {
        bail!("measure: no command given");
    };
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {program}"))?;
    // After the spawn: no later than the peak the child's `ru_maxrss` started from.
    let wrapper_peak_kib = process_status(std::process::id(), "VmHWM").unwrap_or(0);
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let (mut peak_threads, mut child_peak_kib) = (0, 0);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            bail!("{program} ran longer than {LIMIT:?}");
        }
        // Nothing before the child runs its program, and once it is exiting.
        if let Some(status) = ChildStatus::read(child.id()) {
            let threads = status.number("Threads").unwrap_or(0);
            peak_threads = peak_threads.max(threads as u32);
            child_peak_kib = child_peak_kib.max(status.number("VmHWM").unwrap_or(0));
        }
        thread::sleep(Duration::from_millis(2));
    };
    let wall_ms = start.elapsed().as_secs_f64() * 1000.0;
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).context("getrusage")?;
    let max_rss_kib = if child_peak_kib > 0 && usage.max_rss() <= wrapper_peak_kib as i64 {
        child_peak_kib as i64
    } else {
        usage.max_rss()
    };
    let millis = |time: nix::sys::time::TimeVal| {
        time.tv_sec() as f64 * 1000.0 + time.tv_usec() as f64 / 1000.0
    };
    let measured = Measured {
        wall_ms,
        user_ms: millis(usage.user_time()),
        sys_ms: millis(usage.system_time()),
        max_rss_kib,
        peak_threads,
        code: status.code(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    println!("{}", serde_json::to_string(&measured)?);
    Ok(())
}
