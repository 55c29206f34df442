//! Running the binaries under study: each run its own process, measured by a copy of
//! compare, its report read back as fetch-core's types; and the fixture server they fetch
//! from, in a process of its own.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::de::DeserializeOwned;

use crate::measure::Measured;

/// The reports the samples of `binary` printed, read as the type fetch-core writes. A run
/// that printed no report, or one with a field missing, is an error that names both.
pub(crate) fn parse_reports<T: DeserializeOwned>(
    binary: &str,
    samples: &[Measured],
) -> anyhow::Result<Vec<T>> {
    samples
        .iter()
        .map(|sample| {
            serde_json::from_str(&sample.stdout).with_context(|| {
                let exit = match sample.code {
                    Some(code) => format!("exit code {code}"),
                    None => "killed by a signal".to_owned(),
                };
                let said = sample.stderr.trim();
                format!(
                    "{binary} printed no report that compare can read ({exit}; stderr: {said:?})"
                )
            })
        })
        .collect()
}

/// Runs `binary` with `args` `runs` times, each measured by a copy of this program.
pub(crate) fn measure_runs(
    binary: &Path,
    args: &[String],
    runs: usize,
) -> anyhow::Result<Vec<Measured>> {
    let me = std::env::current_exe().context("cannot find this program")?;
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let output = Command::new(&me)
            .arg("measure")
            .arg("--")
            .arg(binary)
            .args(args)
            .output()
            .with_context(|| format!("cannot measure {}", binary.display()))?;
        if !output.status.success() {
            bail!(
                "measuring {} failed: {}",
                binary.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        samples.push(serde_json::from_slice(&output.stdout)?);
    }
    Ok(samples)
}

/// The fixture server, in its own process, killed on drop.
pub(crate) struct Server {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub(crate) base: String,
}

impl Server {
    /// Starts the server with `latency_ms` for every answer; the lesson's URLs ask for
    /// their own.
    pub(crate) fn start(binary: &Path, latency_ms: u64) -> anyhow::Result<Server> {
        let mut child = Command::new(binary)
            .arg(format!("--latency-ms={latency_ms}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let base = read_base(&mut child)?;
        Ok(Server { child, base })
    }

    /// The CPU time (user and system) the server has used so far, in milliseconds.
    pub(crate) fn cpu_ms(&self) -> f64 {
        fetch_core::census::process_cpu_ms(self.child.id()).map_or(0.0, |ms| ms as f64)
    }

    /// The most connections the server had open at once since the last call.
    pub(crate) fn peak_open(&self) -> anyhow::Result<u64> {
        let port = self.base.rsplit(':').next().unwrap_or_default();
        let body = get("127.0.0.1", port.parse()?, "/stats/peak-open")?;
        Ok(body.trim().parse()?)
    }

    /// The lesson's four documents, each asking for the lesson's latency.
    pub(crate) fn lesson_urls(&self) -> Vec<String> {
        let latency = fetch_core::LESSON_LATENCY.as_millis();
        fetch_core::SEED_PATHS
            .iter()
            .map(|path| format!("{}{path}?latency_ms={latency}", self.base))
            .collect()
    }
}

/// The base URL a fixture server `child` printed on its first line, `http://127.0.0.1:PORT`
/// (it binds port 0 and says which port it got); the child is killed if it printed none.
pub(crate) fn read_base(child: &mut Child) -> anyhow::Result<String> {
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        BufReader::new(stdout).read_line(&mut line)?;
    }
    let base = line.trim().to_owned();
    if !base.starts_with("http://") {
        let _ = child.kill();
        let _ = child.wait();
        bail!("the fixture server did not print its address");
    }
    Ok(base)
}

/// The body of a GET of `path` on `host:port`, over HTTP/1.0, within 5 s: a server's own
/// counts (the fixture's `/stats/…`, nginx's `stub_status`).
pub(crate) fn get(host: &str, port: u16, path: &str) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect((host, port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (_, body) = answer
        .split_once("\r\n\r\n")
        .with_context(|| format!("{path} answered with no body"))?;
    Ok(body.to_owned())
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `program` is available here: it runs with `args` and exits with success.
pub(crate) fn available(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use fetch_core::scale::ScaleReport;

    use super::*;

    #[test]
    fn a_report_with_a_field_missing_is_an_error_naming_the_binary_and_the_field() {
        let sample = Measured {
            wall_ms: 1.0,
            user_ms: 1.0,
            sys_ms: 1.0,
            max_rss_kib: 1,
            peak_threads: 1,
            code: Some(0),
            stdout: r#"{"runtime": "tokio", "client": "hyper", "count": 1}"#.into(),
            stderr: String::new(),
        };
        let err = parse_reports::<ScaleReport>("runtime-tokio", &[sample]).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.starts_with("runtime-tokio printed no report"),
            "{text}"
        );
        assert!(text.contains("missing field `concurrency`"), "{text}");
    }
}
