//! The floor under the study's scale mode: N documents fetched at once with nothing but
//! tokio, its socket adapter and hyper's connection API: no timeout, no redirect, no
//! report, no limit on connects. `compare memory` sets the study's bytes per in-flight
//! fetch against this program's, on every runtime.
//!
//! Run with: `cargo run --release -p runtime-tokio --example bare-hyper-tokio -- N URL`
//! (URL a server's base, such as `http://127.0.0.1:8080`; it fetches `/doc/0` to
//! `/doc/{N-1}` and prints, as JSON, how many came back whole and how long it took).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

use bytes::Bytes;
use futures::future::{join, join_all};
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(count), Some(base)) = (args.next().and_then(|n| n.parse().ok()), args.next()) else {
        eprintln!("usage: bare-hyper-tokio N URL");
        return ExitCode::from(2);
    };
    let Some(addr) = base
        .strip_prefix("http://")
        .and_then(|host| host.trim_end_matches('/').parse::<SocketAddr>().ok())
    else {
        eprintln!("error: {base} is not http://IP:PORT");
        return ExitCode::from(2);
    };
    // One thread, as the study's binaries have it.
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build_local(tokio::runtime::LocalOptions::default())
    else {
        eprintln!("error: cannot build the tokio runtime");
        return ExitCode::from(2);
    };
    let start = Instant::now();
    let fetches = (0..count).map(|n| fetch(addr, n));
    // Out of the cooperative budget, as the study's join is (docs/BENCHMARKS.md, "tokio's
    // gathered sleeps, 1.43 against 1.44 and later").
    let gather = runtime.spawn_local(tokio::task::unconstrained(join_all(fetches)));
    let Ok(outcomes) = runtime.block_on(gather) else {
        eprintln!("error: the gather's task failed");
        return ExitCode::FAILURE;
    };
    let succeeded = outcomes
        .iter()
        .filter(|bytes| **bytes == Some(1024))
        .count();
    let fetch_ms = start.elapsed().as_secs_f64() * 1000.0;
    // The line compare reads: as its aiohttp client prints it.
    let errors = if succeeded == count {
        ""
    } else {
        "\"a fetch failed\""
    };
    println!("{{\"succeeded\": {succeeded}, \"fetch_ms\": {fetch_ms}, \"errors\": [{errors}]}}");
    if succeeded == count {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Fetches `/doc/{n}` over a fresh connection; its body's length, or `None` on any error.
async fn fetch(addr: SocketAddr, n: usize) -> Option<u64> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    let request = Request::get(format!("/doc/{n}"))
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())
        .ok()?;
    let exchange = async move {
        let response = sender.send_request(request).await.ok()?;
        let mut body = response.into_body();
        let mut bytes = 0;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.ok()?.into_data() {
                bytes += data.len() as u64;
            }
        }
        Some(bytes)
    };
    join(exchange, connection).await.0
}
