//! One run of the load step, whoever the client: the server it runs against (nginx or the
//! fixture server, in its own process, on the other CPU), how a client is pinned to its
//! CPU, what the run cost the server, and the row it gives. `load.rs` runs the runtimes
//! with it, `peers.rs` the field's tools.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;

use crate::runs::{available, get, read_base};

/// nginx's configuration, with `@PORT@` in place of its port.
const NGINX_CONF: &str = include_str!("../config/nginx.conf");

/// A server the load step runs against, in its own process, killed on drop.
pub(crate) struct LoadServer {
    /// `nginx` or `fixture`.
    pub(crate) name: &'static str,
    child: Child,
    /// The 1 KiB document's URL.
    pub(crate) url: String,
    /// Where the server says how many connections it accepted.
    accepted: (u16, &'static str),
    /// nginx's folder, removed on drop.
    folder: Option<PathBuf>,
}

impl LoadServer {
    /// nginx with one worker (`master_process off`: one process, killed whole), on a free
    /// port, serving a 1 KiB file at `/1k` with keep-alive for the whole run and
    /// `stub_status` at `/status`, from a configuration written to a temporary folder;
    /// `None` where nginx is not installed.
    pub(crate) fn nginx() -> anyhow::Result<Option<LoadServer>> {
        if !available("nginx", &["-v"]) {
            return Ok(None);
        }
        let folder = std::env::temp_dir().join(format!("compare-nginx-{}", std::process::id()));
        std::fs::create_dir_all(folder.join("www"))
            .with_context(|| format!("cannot create {}", folder.display()))?;
        std::fs::write(folder.join("www/1k"), [b'a'; 1024])?;
        let port = free_port()?;
        let config = NGINX_CONF.replace("@PORT@", &port.to_string());
        std::fs::write(folder.join("nginx.conf"), config)?;
        let mut prefix = folder.display().to_string();
        prefix.push('/');
        let config = folder.join("nginx.conf");
        let config = config.display().to_string();
        let child = on_cpu(1, "nginx", &["-c", &config, "-p", &prefix])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start nginx")?;
        let server = LoadServer {
            name: "nginx",
            child,
            url: format!("http://127.0.0.1:{port}/1k"),
            accepted: (port, "/status"),
            folder: Some(folder),
        };
        server.wait_ready()?;
        Ok(Some(server))
    }

    /// The fixture server, keeping connections alive, answering at once, on the port it
    /// bound and printed.
    pub(crate) fn fixture(binary: &Path) -> anyhow::Result<LoadServer> {
        let binary = binary.display().to_string();
        let mut child = on_cpu(1, &binary, &["--keep-alive", "--latency-ms=0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the fixture server")?;
        let base = read_base(&mut child)?;
        let port = base
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .with_context(|| format!("the fixture server printed no port: {base}"))?;
        let server = LoadServer {
            name: "fixture",
            child,
            url: format!("{base}/doc/1"),
            accepted: (port, "/stats/accepted"),
            folder: None,
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// Waits, at most 5 s, for the server to answer.
    fn wait_ready(&self) -> anyhow::Result<()> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if self.accepted().is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("{} did not answer within 5 s", self.name)
    }

    /// How many connections the server has accepted so far, as it says, this question's
    /// own connection included.
    pub(crate) fn accepted(&self) -> anyhow::Result<u64> {
        let (port, path) = self.accepted;
        let body = get("127.0.0.1", port, path)?;
        accepted_in(&body).with_context(|| format!("no count of connections in {body:?}"))
    }

    /// The CPU time (user and system) the server has used so far, in milliseconds.
    pub(crate) fn cpu_ms(&self) -> f64 {
        fetch_core::census::process_cpu_ms(self.child.id()).map_or(0.0, |ms| ms as f64)
    }
}

impl Drop for LoadServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(folder) = &self.folder {
            let _ = std::fs::remove_dir_all(folder);
        }
    }
}

/// The number of accepted connections in a status body: the fixture's `N`, or the first
/// number of the line after nginx's `server accepts handled requests`.
fn accepted_in(body: &str) -> Option<u64> {
    if let Ok(n) = body.trim().parse() {
        return Some(n);
    }
    let mut lines = body.lines();
    lines.find(|line| line.trim() == "server accepts handled requests")?;
    lines.next()?.split_whitespace().next()?.parse().ok()
}

/// A port that was free a moment ago: nginx cannot listen on port 0 and tell which. (The
/// fixture server can, and does.)
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Whether the step can pin clients and servers to CPUs of their own.
pub(crate) fn pinned() -> bool {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    cpus >= 2 && available("taskset", &["-c", "0", "true"])
}

/// `program` with `args`, on CPU `cpu` where the step pins (through `taskset`, which
/// becomes `program`: the pid stays the program's).
fn on_cpu(cpu: u32, program: &str, args: &[&str]) -> Command {
    if pinned() {
        let mut command = Command::new("taskset");
        command.args(["-c", &cpu.to_string(), program]).args(args);
        command
    } else {
        let mut command = Command::new(program);
        command.args(args);
        command
    }
}

/// The program and arguments that run `program` with `args` on CPU 0, for `measure_runs`.
pub(crate) fn client_command(program: &str, args: &[String]) -> (PathBuf, Vec<String>) {
    if pinned() {
        let mut all = vec!["-c".to_owned(), "0".to_owned(), program.to_owned()];
        all.extend(args.iter().cloned());
        (PathBuf::from("taskset"), all)
    } else {
        (PathBuf::from(program), args.to_vec())
    }
}

/// One row of the load tables: a client, a server, K connections, a loop.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct LoadRow {
    /// The runtime, or the peer's name (`wrk`, `h2load`, `aiohttp`).
    pub(crate) client: String,
    /// `nginx` or `fixture`.
    pub(crate) server: &'static str,
    /// Connections kept alive.
    pub(crate) connections: u64,
    /// The open loop's rate, or `None` for the closed loop.
    pub(crate) rate: Option<f64>,
    /// Requests answered (succeeded or not).
    pub(crate) requests: u64,
    /// Requests that failed.
    pub(crate) failed: u64,
    /// Answers per second.
    pub(crate) per_second: f64,
    /// User CPU per request, µs.
    pub(crate) user_us: f64,
    /// System CPU per request, µs.
    pub(crate) sys_us: f64,
    /// How many times the executor polled a connection per request, where the client
    /// tells (the study's runtimes).
    pub(crate) polls_per_request: Option<f64>,
    /// Latency percentiles, µs, where the client tells them.
    pub(crate) p50_us: Option<u64>,
    pub(crate) p90_us: Option<u64>,
    pub(crate) p99_us: Option<u64>,
    pub(crate) p999_us: Option<u64>,
    pub(crate) max_us: Option<u64>,
    /// In the open loop, how late the median and the 99th percentile request were sent
    /// after they were due, µs, where the client tells.
    pub(crate) sent_late_p50_us: Option<u64>,
    pub(crate) sent_late_p99_us: Option<u64>,
    /// In the open loop, the 99th percentile latency counted from when each request was
    /// sent rather than due (wrk2's uncorrected latency), µs, where the client tells: where
    /// it is the p99, the answers were late, not the sending.
    pub(crate) from_sent_p99_us: Option<u64>,
    /// Connections the client opened, where it tells.
    pub(crate) opened: Option<u64>,
    /// Connections the server accepted during the run (its own count).
    pub(crate) accepted: Option<u64>,
    /// The server's CPU during the run, as a share of the run's wall time.
    pub(crate) server_cpu_share: f64,
}

impl LoadRow {
    /// CPU per request, user and system.
    pub(crate) fn cpu_us(&self) -> f64 {
        self.user_us + self.sys_us
    }
}

/// What a client's run cost the server: its CPU share, and the connections it accepted.
pub(crate) struct ServerWatch<'a> {
    server: &'a LoadServer,
    cpu_ms: f64,
    accepted: u64,
    start: Instant,
}

impl<'a> ServerWatch<'a> {
    /// Starts watching `server`.
    pub(crate) fn start(server: &'a LoadServer) -> anyhow::Result<Self> {
        Ok(ServerWatch {
            server,
            accepted: server.accepted()?,
            cpu_ms: server.cpu_ms(),
            start: Instant::now(),
        })
    }

    /// The server's CPU share since the start, and the connections it accepted (the
    /// question's own two left out).
    pub(crate) fn stop(self) -> anyhow::Result<(f64, u64)> {
        let wall_ms = self.start.elapsed().as_secs_f64() * 1000.0;
        let cpu = self.server.cpu_ms() - self.cpu_ms;
        let accepted = self.server.accepted()?.saturating_sub(self.accepted + 1);
        Ok((cpu / wall_ms.max(1.0), accepted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_servers_count_of_connections_is_read() {
        assert_eq!(accepted_in("12\n"), Some(12));
        let nginx = "Active connections: 1 \nserver accepts handled requests\n 2 2 2 \n\
                     Reading: 0 Writing: 1 Waiting: 0 \n";
        assert_eq!(accepted_in(nginx), Some(2));
        assert_eq!(accepted_in("nothing"), None);
    }
}
