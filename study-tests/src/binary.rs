//! Running a runtime binary under test: bounded in time, both pipes drained, the report
//! parsed.

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use fetch_core::census::ChildStatus;
use serde_json::Value;

/// The longest a binary may run in a test before it is killed and the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Whether strace can trace a program here: it is installed, and ptrace is allowed. The
/// tests that count or inject syscalls with it skip, and say so, where it cannot, unless
/// `STUDY_NO_SKIP` is set (`.ci/run` sets it): then this fails their test instead, so that
/// a check never passes unrun where it is required.
pub fn strace_runs() -> bool {
    let runs = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "true"])
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        runs || std::env::var_os("STUDY_NO_SKIP").is_none(),
        "strace cannot trace a program here, and STUDY_NO_SKIP asks that no check be \
         skipped: install strace (apt-get install strace) and allow ptrace"
    );
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
        let mut child = Command::new(self.0)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", self.0));
        // Read both pipes on their own threads, so a full pipe never stalls the child.
        let drain = |mut pipe: Box<dyn Read + Send>| {
            thread::spawn(move || {
                let mut text = String::new();
                pipe.read_to_string(&mut text).map(|_| text)
            })
        };
        let stdout = drain(Box::new(child.stdout.take().unwrap()));
        let stderr = drain(Box::new(child.stderr.take().unwrap()));
        let deadline = Instant::now() + RUN_LIMIT;
        let mut peak_own_kib = 0;
        let status = loop {
            // Before `try_wait`: once it has reaped the child, the file is gone.
            let reading = own_peak_kib(child.id()).unwrap_or(0);
            peak_own_kib = peak_own_kib.max(reading);
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{} {args:?} ran longer than {RUN_LIMIT:?}", self.0);
            }
            thread::sleep(Duration::from_millis(5));
        };
        Output {
            code: status.code(),
            stdout: stdout.join().unwrap().unwrap(),
            stderr: stderr.join().unwrap().unwrap(),
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
