//! `compare profile`: where each runtime's user CPU goes under steady load, by layer.
//!
//! Each runtime's `load` demo runs under `perf record` (sampling, no call graphs) against
//! the load step's server on the other CPU: 100 connections, 100,000 requests. Its user
//! samples (`[.]`, kernel samples left out) are put in layers by the name of the function
//! they fell in, after inlining: a layer is what the code of that function is, so that
//! code inlined into a caller counts as the caller's (`fetch_core`'s futures hold inlined
//! hyper code, for example). The table gives each layer's share of the user samples and
//! what that is in microseconds per request.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use fetch_core::load::LoadReport;

use crate::load_run::LoadServer;
use crate::runs::available;

/// The layers, in the table's order, each with the marks of its functions' names: the
/// first layer whose mark a name holds takes the sample.
const LAYERS: [(&str, &[&str]); 10] = [
    (
        "allocator",
        &[
            "malloc",
            "_int_free",
            "cfree",
            "realloc",
            "tcache",
            "__rust_alloc",
            "__rust_dealloc",
            "alloc::alloc",
        ],
    ),
    (
        "memory copies (libc)",
        &["memmove", "memcpy", "memset", "memcmp"],
    ),
    (
        "the study's own code",
        &[
            "fetch_core::",
            "fetch_clients::",
            "study_play::",
            "runtime_tokio::",
            "runtime_smol::",
            "runtime_asyncstd::",
            "runtime_futures::",
            "runtime_compio::",
            "hdrhistogram::",
        ],
    ),
    ("rustls", &["rustls::", "aws_lc", "ring::"]),
    (
        "hyper and http",
        &[
            "hyper::",
            "httparse::",
            "http::",
            "http_body",
            "bytes::",
            "want::",
            "tokio::sync::",
        ],
    ),
    (
        "timers",
        &[
            "tokio::runtime::time",
            "tokio::time::",
            "async_io::timer",
            "Timer",
            "runtime::time::",
            "timer",
        ],
    ),
    (
        "socket adapters",
        &[
            "hyper_util::rt",
            "smol_hyper::",
            "compio_io::compat",
            "tokio::net::",
            "async_io::Async",
            "async_net::",
            "async_std::net",
            "futures_rustls",
            "tokio_rustls",
        ],
    ),
    (
        "syscall entry (libc, vDSO)",
        &[
            "__libc_",
            "__GI___",
            "epoll_wait",
            "writev",
            "clock_gettime",
            "syscall",
            "io_uring_enter",
            "__vdso",
        ],
    ),
    (
        "I/O driver",
        &[
            "tokio::runtime::io",
            "mio::",
            "async_io::reactor",
            "async_io::driver",
            "polling::",
            "compio_driver::",
            "io_uring::",
            "UnixStream",
            "TcpStream",
        ],
    ),
    (
        "executor, scheduling and gathers",
        &[
            "tokio::runtime::scheduler",
            "tokio::runtime::task",
            "tokio::task::",
            "tokio::runtime::context",
            "async_executor::",
            "async_task::",
            "futures_executor::",
            "futures_util::stream::futures_unordered",
            "futures_util::stream::futures_ordered",
            "futures_util::future::join_all",
            "compio_runtime::",
            "async_std::task",
            "async_global_executor",
            "concurrent_queue::",
            "parking::",
            "event_listener",
        ],
    ),
];

/// Where a sample goes when no layer's mark is in its function's name: `core`, `std` and
/// the monomorphized combinators (`PollFn`, `Map`), which hold whatever was inlined in them.
const REST: &str = "std, core and combinators";

/// The layer of the function `name`.
fn layer_of(name: &str) -> &'static str {
    LAYERS
        .iter()
        .find(|(_, marks)| marks.iter().any(|mark| name.contains(mark)))
        .map_or(REST, |(layer, _)| layer)
}

/// One runtime's profile: its user CPU per request, and each layer's share of it.
pub(crate) struct Profile {
    runtime: String,
    user_us_per_request: f64,
    shares: BTreeMap<&'static str, f64>,
}

/// Profiles every runtime under the load step's closed loop, and returns the table.
pub(crate) fn table(runtimes: &[(String, PathBuf)], fixture: &Path) -> anyhow::Result<String> {
    if !available("perf", &["--version"]) {
        bail!("perf is not installed (apt-get install linux-perf)");
    }
    let server = match LoadServer::nginx()? {
        Some(nginx) => nginx,
        None => LoadServer::fixture(fixture)?,
    };
    let mut profiles = Vec::new();
    for (runtime, binary) in runtimes {
        eprintln!(
            "profile: {runtime} under perf record, against {}",
            server.name
        );
        profiles.push(profile(runtime, binary, &server.url)?);
    }
    Ok(markdown(&profiles, server.name))
}

/// Runs `binary`'s load demo under `perf record` and reads its user samples.
fn profile(runtime: &str, binary: &Path, url: &str) -> anyhow::Result<Profile> {
    let data = std::env::temp_dir().join(format!("compare-perf-{}.data", std::process::id()));
    let output = Command::new("perf")
        .args(["record", "-F", "4999", "-o"])
        .arg(&data)
        .args(["--", "taskset", "-c", "0"])
        .arg(binary)
        .args([
            "load",
            "--json",
            "--connections=100",
            "--requests=100000",
            url,
        ])
        .stderr(Stdio::null())
        .output()
        .context("cannot run perf record")?;
    let report: LoadReport = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("{runtime} printed no load report under perf"))?;
    let samples = Command::new("perf")
        .args([
            "report",
            "--stdio",
            "--no-children",
            "--sort",
            "sym",
            "-g",
            "none",
        ])
        .args(["--percent-limit", "0", "-t", ";", "-i"])
        .arg(&data)
        .stderr(Stdio::null())
        .output()
        .context("cannot run perf report")?;
    let _ = std::fs::remove_file(&data);
    let text = String::from_utf8_lossy(&samples.stdout);
    let mut shares: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mut user = 0.0;
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let Some((percent, symbol)) = line.split_once(';') else {
            continue;
        };
        let Some(name) = symbol.trim().strip_prefix("[.] ") else {
            continue;
        };
        let Ok(percent) = percent.trim().trim_end_matches('%').parse::<f64>() else {
            continue;
        };
        user += percent;
        *shares.entry(layer_of(name)).or_default() += percent;
    }
    if user <= 0.0 {
        bail!("perf report found no user samples of {runtime}");
    }
    for share in shares.values_mut() {
        *share /= user;
    }
    Ok(Profile {
        runtime: runtime.to_owned(),
        user_us_per_request: report.user_cpu_per_request_us,
        shares,
    })
}

/// The profiles as one table: a row per layer, a column per runtime, each cell the layer's
/// microseconds of user CPU per request and its share.
fn markdown(profiles: &[Profile], server: &str) -> String {
    let mut out = format!(
        "### Where user CPU goes under steady load, by layer ({server}, 100 connections, \
         100,000 requests, closed loop)\n\n\
         µs of user CPU per request (share of the run's user samples), from `perf record` \
         (self time by function, after inlining).\n\n| layer |"
    );
    for profile in profiles {
        out.push_str(&format!(" {} |", profile.runtime));
    }
    out.push_str("\n| --- |");
    out.push_str(&" ---: |".repeat(profiles.len()));
    out.push('\n');
    let layers = LAYERS.iter().map(|(layer, _)| *layer).chain([REST]);
    for layer in layers {
        out.push_str(&format!("| {layer} |"));
        for profile in profiles {
            let share = profile.shares.get(layer).copied().unwrap_or(0.0);
            out.push_str(&format!(
                " {:.2} ({:.0} %) |",
                share * profile.user_us_per_request,
                share * 100.0
            ));
        }
        out.push('\n');
    }
    out.push_str("| **user CPU per request** |");
    for profile in profiles {
        out.push_str(&format!(" **{:.2}** |", profile.user_us_per_request));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_go_to_their_layers() {
        assert_eq!(
            layer_of(
                "<hyper::proto::h1::role::Client as hyper::proto::h1::Http1Transaction>::parse"
            ),
            "hyper and http"
        );
        assert_eq!(
            layer_of("__memmove_avx_unaligned_erms"),
            "memory copies (libc)"
        );
        assert_eq!(layer_of("_int_malloc"), "allocator");
        assert_eq!(
            layer_of("<fetch_core::session::Timeout<W,S> as core::future::future::Future>::poll"),
            "the study's own code"
        );
        assert_eq!(
            layer_of("tokio::runtime::io::driver::Driver::turn"),
            "I/O driver"
        );
        assert_eq!(
            layer_of("tokio::runtime::time::wheel::Wheel::remove"),
            "timers"
        );
        assert_eq!(
            layer_of("tokio::runtime::scheduler::current_thread::CurrentThread::block_on"),
            "executor, scheduling and gathers"
        );
        assert_eq!(layer_of("__libc_recv"), "syscall entry (libc, vDSO)");
        assert_eq!(
            layer_of("<core::future::poll_fn::PollFn<F> as core::future::future::Future>::poll"),
            REST
        );
    }
}
