//! Running a runtime binary under test: bounded in time, both pipes drained, the report
//! parsed.

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use fetch_core::census::ChildStatus;
use serde_json::Value;

/// The longest a binary may run in a test before it is killed and the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Whether strace can trace a program here: it is installed, and ptrace is allowed. A
/// test that counts or injects syscalls with it skips where it cannot, and says so on the
/// terminal: the line goes to the process's stderr itself, which libtest does not capture
/// (it captures `eprintln!`), so `cargo test` shows `skipped: …` above the test's `ok`.
/// With `STUDY_NO_SKIP` set (`.ci/run` sets it), this fails the test instead, so that a
/// check never passes unrun where it is required. `why` says what strace does for the test.
pub fn strace_runs(why: &str) -> bool {
    let runs = output_within(
        Command::new("strace").args(["-f", "-o", "/dev/null", "true"]),
        Duration::from_secs(10),
        |_| {},
    )
    .is_ok_and(|output| output.status.success());
    assert!(
        runs || std::env::var_os("STUDY_NO_SKIP").is_none(),
        "strace cannot trace a program here, and STUDY_NO_SKIP asks that no check be \
         skipped: install strace (apt-get install strace) and allow ptrace"
    );
    if !runs {
        let test = thread::current().name().unwrap_or("a test").to_owned();
        let _ = writeln!(
            io::stderr(),
            "skipped: {test}: strace cannot trace a program here, and {why}; install strace \
             (apt-get install strace) and allow ptrace to run it"
        );
    }
    runs
}

/// Runs `check` on each of `cases` at once, a thread each, and waits for all of them: for
/// checks that mostly wait on the binary they run. A failed case fails the caller.
pub fn each_at_once<T: Sync>(cases: &[T], check: impl Fn(&T) + Sync) {
    thread::scope(|scope| {
        for case in cases {
            let check = &check;
            scope.spawn(move || check(case));
        }
    });
}

/// A runtime binary under test, by path.
#[derive(Debug, Clone, Copy)]
pub struct Binary(pub &'static str);

/// What a finished run of a binary left.
#[derive(Debug)]
pub struct Output {
    /// The exit code (`None` if a signal ended it).
    pub code: Option<i32>,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
    /// Its peak memory of its own in KiB: the peak resident set size (`VmHWM`) less the
    /// file-backed pages resident at the same reading (`RssFile`: the binary's code as the
    /// kernel maps it from the page cache, 14 to 17 MB of a debug binary here from run to
    /// run, which the run does not choose). The reads are 5 ms apart, so growth in a run's
    /// last 5 ms can be missed.
    pub peak_own_kib: u64,
    /// How long it ran, from its start to its exit.
    pub elapsed: Duration,
}

impl Binary {
    /// Runs the binary with `args` and waits, at most [`RUN_LIMIT`], for it to exit.
    pub fn run(self, args: &[&str]) -> Output {
        let started = Instant::now();
        let mut peak_own_kib = 0;
        let output = output_within(Command::new(self.0).args(args), RUN_LIMIT, |pid| {
            peak_own_kib = peak_own_kib.max(own_peak_kib(pid).unwrap_or(0));
        })
        .unwrap_or_else(|err| panic!("{} {args:?}: {err}", self.0));
        let text = |bytes: Vec<u8>| {
            String::from_utf8(bytes).unwrap_or_else(|err| panic!("{}: {err}", self.0))
        };
        Output {
            code: output.status.code(),
            stdout: text(output.stdout),
            stderr: text(output.stderr),
            peak_own_kib,
            elapsed: started.elapsed(),
        }
    }

    /// Runs the binary with `args` and `--json`, and parses its report.
    pub fn run_json(self, args: &[&str]) -> (Output, Value) {
        let mut all = args.to_vec();
        all.push("--json");
        let output = self.run(&all);
        let report = serde_json::from_str(&output.stdout).unwrap_or_else(|err| {
            panic!(
                "stdout is not a JSON report ({err})\nstdout:\n{}\nstderr:\n{}",
                output.stdout, output.stderr
            )
        });
        (output, report)
    }
}

/// Runs `command` (stdin closed, stdout and stderr read whole) and waits at most `limit`
/// for it to exit, calling `watch` with its pid every 5 ms while it runs; past the limit it
/// is killed and the error says so. Both pipes are read on threads of their own, so a full
/// pipe never stalls the child.
pub fn output_within(
    command: &mut Command,
    limit: Duration,
    mut watch: impl FnMut(u32),
) -> io::Result<std::process::Output> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| io::Error::new(err.kind(), format!("cannot start it: {err}")))?;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).map(|_| bytes)
        })
    };
    let piped = |pipe: Option<Box<dyn Read + Send>>| {
        pipe.ok_or_else(|| io::Error::other("a pipe is missing"))
    };
    let stdout = drain(piped(child.stdout.take().map(|p| Box::new(p) as _))?);
    let stderr = drain(piped(child.stderr.take().map(|p| Box::new(p) as _))?);
    let deadline = Instant::now() + limit;
    let status = loop {
        // Before `try_wait`: once it has reaped the child, its /proc entry is gone.
        watch(child.id());
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("ran longer than {limit:?}, and was killed"),
            ));
        }
        thread::sleep(Duration::from_millis(5));
    };
    let joined = |reader: thread::JoinHandle<io::Result<Vec<u8>>>| {
        reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("a pipe's reader panicked")))
    };
    Ok(std::process::Output {
        status,
        stdout: joined(stdout)?,
        stderr: joined(stderr)?,
    })
}

/// The process's peak resident memory less its file-backed pages, in KiB, from one reading
/// of `/proc/PID/status` (two readings could straddle a page fault): see
/// [`Output::peak_own_kib`]. `None` while the child is not yet running its program (see
/// [`ChildStatus`]), and once it has exited.
fn own_peak_kib(pid: u32) -> Option<u64> {
    let status = ChildStatus::read(pid)?;
    Some(
        status
            .number("VmHWM")?
            .saturating_sub(status.number("RssFile")?),
    )
}
