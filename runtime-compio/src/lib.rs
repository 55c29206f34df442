//! The lesson on compio: a single-threaded runtime on io_uring, where the kernel does the
//! reads and writes and the runtime collects their results (completion, not readiness);
//! compio's `spawn` for local tasks, and hyper over compio's own `TcpStream`, adapted by
//! compio's `AsyncStream` and `smol_hyper::rt::FuturesIo`, or with `--io-adapter study` by
//! the study's `CompioStream` (`compio_stream.rs`).
//!
//! Run with: `cargo run -p runtime-compio`
//!
//! Everything shared with the other runtimes is in fetch-core, fetch-clients and
//! study-play. Every `runtime-*/src/lib.rs` has the same items in the same order, and what
//! one runtime alone needs comes after them, so that `diff` against any other one shows
//! only what differs between the runtimes (the README's "What to compare" lists the diffs
//! worth reading).
//! Against `runtime-smol/src/lib.rs`: what differs between a readiness runtime and a
//! completion one.
//!
//! Where the kernel refuses io_uring (for example `kernel.io_uring_disabled=2`, or a seccomp
//! filter), compio runs on its polling driver (epoll) instead, and the run says so on
//! stderr and in its report.
//!
//! All three clients run here: hyper on compio's sockets; isahc on its own curl thread;
//! surf on async-io's sockets, driven by async-io's own thread (compio drives none of it).

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use compio::driver::{DriverType, ProactorBuilder};
use compio::io::compat::AsyncStream;
use compio::net::ToSocketAddrsAsync;
use compio::runtime::{JoinHandle, ResumeUnwind, RuntimeBuilder};
use futures::future::LocalBoxFuture;
use rustls::pki_types::ServerName;
use smol_hyper::rt::FuturesIo;

use fetch_clients::{ChosenIo, Connect};
use fetch_core::runtime::Reactive;
use fetch_core::starve::receive_for;
use fetch_core::{Cli, IoAdapter, RunReport, Runtime};
use study_play::Play;

pub mod compio_stream;
use compio_stream::CompioStream;

/// Plays the lesson, or the demo the command line names, on one thread, and returns its
/// report.
///
/// When the demo fetches and no server is named, [`Play::prepare`] starts a fixture server
/// on its own thread first, and it serves until this function returns.
pub fn run(cli: &Cli) -> anyhow::Result<RunReport> {
    let play = Play::prepare(cli)?;
    // compio's runtime polls every task on the thread that calls `block_on`, and waits in
    // its driver there: io_uring, whose completions say which operation finished.
    let executor = build_runtime_for(cli.io_adapter())?;
    let runtime = Compio::new(executor.driver_type());
    // The demo runs as a local task of its own, not as the future `block_on` polls: see
    // `Play::demo` for why.
    let demo = executor.spawn(play.demo(runtime));
    // A compio task hands back its panic as an error: raise it again here.
    match executor.block_on(demo).resume_unwind() {
        Some(report) => Ok(report?),
        None => Err(anyhow::anyhow!("the demo's task was cancelled")),
    }
}

/// compio, as fetch-core and fetch-clients need it. The runtime itself is reached through
/// the thread's context, so the handle holds only which driver it runs on.
#[derive(Debug, Clone)]
pub struct Compio {
    driver: DriverType,
}

impl Compio {
    /// A handle for a runtime on `driver`.
    pub fn new(driver: DriverType) -> Compio {
        Compio { driver }
    }
}

impl Runtime for Compio {
    fn name(&self) -> &'static str {
        "compio"
    }

    fn driver(&self) -> &'static str {
        // compio's proactor: io_uring, where the kernel runs each operation and posts its
        // completion; or, where io_uring is refused, epoll through the polling crate.
        match self.driver {
            DriverType::IoUring => "io_uring (compio)",
            _ => "epoll (compio's fallback: io_uring refused)",
        }
    }

    async fn timer(&self, duration: Duration) {
        compio::time::sleep(duration).await;
    }

    async fn gather_spawn<T: 'static>(&self, futures: Vec<LocalBoxFuture<'static, T>>) -> Vec<T> {
        // Each future becomes a task of its own on this thread.
        let tasks: Vec<JoinHandle<T>> = futures.into_iter().map(compio::runtime::spawn).collect();
        // A compio task hands back its panic as an error: raise it again here. A task is
        // cancelled only when its handle is dropped, and these are all awaited, in order:
        // the tasks run meanwhile all the same, and awaiting 100,000 handles one after the
        // other ends their sleeps in 1.05 to 1.08 s, where `join_all` over them took 1.10
        // to 1.14 s (five runs each; docs/BENCHMARKS.md, "tokio's gathered sleeps, 1.43
        // against 1.44 and later").
        let mut outputs = Vec::with_capacity(tasks.len());
        for task in tasks {
            let output = task.await.resume_unwind();
            outputs.push(output.expect("a task whose handle is held"));
        }
        outputs
    }

    async fn yield_now(&self) {
        // compio has no yield of its own: futures-lite's wakes the task and returns
        // `Pending` once, which any executor understands.
        futures_lite::future::yield_now().await;
    }

    async fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        // The work runs on compio's own pool, whose threads start unnamed and keep the
        // program's name.
        compio::runtime::spawn_blocking(work)
            .await
            .resume_unwind()
            .expect("blocking work is never cancelled")
    }

    async fn ready_loop(&self, duration: Duration) -> u64 {
        // compio has no channel of its own: async-channel, which has no cooperative budget.
        let (sender, receiver) = async_channel::unbounded();
        receive_for(duration, async || {
            let _ = sender.try_send(());
            receiver.recv().await.is_ok()
        })
        .await
    }
}

impl Connect for Compio {
    type Io = ChosenIo<FuturesIo<Stream>, CompioStream>;
    type TlsIo = FuturesIo<futures_rustls::client::TlsStream<Stream>>;

    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        // The OS resolver blocks, so compio runs it on its blocking pool.
        Ok((host, port).to_socket_addrs_async().await?.collect())
    }

    async fn connect(&self, addr: SocketAddr, adapter: IoAdapter) -> io::Result<Self::Io> {
        Ok(match adapter {
            IoAdapter::Published => {
                let stream = compio::net::TcpStream::connect(addr).await?;
                ChosenIo::Published(FuturesIo::new(Box::pin(AsyncStream::with_capacity(
                    ADAPTER_BUFFER,
                    stream,
                ))))
            }
            // The same compio socket, adapted by the study: compio_stream.rs.
            IoAdapter::Study => ChosenIo::Study(CompioStream::connect(addr).await?),
        })
    }

    async fn connect_tls(
        &self,
        addr: SocketAddr,
        name: ServerName<'static>,
        tls: Arc<rustls::ClientConfig>,
    ) -> io::Result<Self::TlsIo> {
        let stream = compio::net::TcpStream::connect(addr).await?;
        // futures-rustls runs rustls over the futures-io traits that `AsyncStream` adds.
        let stream = futures_rustls::TlsConnector::from(tls)
            .connect(
                name,
                Box::pin(AsyncStream::with_capacity(ADAPTER_BUFFER, stream)),
            )
            .await?;
        Ok(FuturesIo::new(stream))
    }
}

impl Reactive for Compio {
    async fn run_command(&self, command: &str) -> io::Result<Output> {
        // compio's process API reads the child's pipes through the driver, and waits for
        // its exit on compio's blocking pool. Unlike std's, its `output` pipes nothing
        // unless told to.
        let mut child = compio::process::Command::new("sh");
        child.arg("-c").arg(command);
        // Setting a pipe cannot fail on Linux: the error type is `Infallible`.
        let Ok(child) = child.stdout(Stdio::piped());
        let Ok(child) = child.stderr(Stdio::piped());
        child.output().await
    }

    async fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        // On io_uring the kernel reads the file itself: no thread of the program waits (the
        // kernel may hand the read to its own `iou-wrk` worker, which the census shows).
        compio::fs::read(path).await
    }

    async fn read_stdin_line(&self) -> io::Result<String> {
        // Not compio's `stdin()`: on io_uring it reads at offset 0 every time, so a file
        // given as stdin would be read again and again. std reads the line instead, on
        // compio's blocking pool.
        self.spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        })
        .await
    }
}

/// Builds compio's runtime as a user gets it from crates.io: see [`build_runtime_for`].
pub fn build_runtime() -> anyhow::Result<compio::runtime::Runtime> {
    build_runtime_for(IoAdapter::Published)
}

/// Builds compio's runtime on io_uring, or, when the kernel refuses io_uring, on compio's
/// polling driver, after saying why on stderr.
///
/// With `IoAdapter::Study`, the ring is set up as the study would have compio set it by
/// default for its one thread: `IORING_SETUP_SINGLE_ISSUER` and `DEFER_TASKRUN`, so that
/// the kernel finishes its operations' work when the driver waits, instead of interrupting
/// the running thread for each completion (docs/UPSTREAM.md, "compio: a ring that defers
/// its task work"). A kernel that refuses those flags (before 6.1) gets the default ring.
///
/// Left to itself, compio would fall back without a word; asking for io_uring first keeps
/// the kernel's reason.
pub fn build_runtime_for(adapter: IoAdapter) -> anyhow::Result<compio::runtime::Runtime> {
    let with_driver = |driver, defer_task_work: bool| {
        let mut proactor = ProactorBuilder::new();
        proactor.driver_type(driver);
        if defer_task_work {
            proactor.single_issuer(true).defer_taskrun(true);
        }
        RuntimeBuilder::new().with_proactor(proactor).build()
    };
    let io_uring = match adapter {
        IoAdapter::Study => with_driver(DriverType::IoUring, true).or_else(|refused| {
            let runtime = with_driver(DriverType::IoUring, false)?;
            eprintln!(
                "note: io_uring with SINGLE_ISSUER and DEFER_TASKRUN could not be set up \
                 ({refused}): compio's ring runs with its default setup"
            );
            Ok(runtime)
        }),
        IoAdapter::Published => with_driver(DriverType::IoUring, false),
    };
    match io_uring {
        Ok(runtime) => Ok(runtime),
        Err(refused) => {
            eprintln!(
                "note: the kernel refused io_uring ({refused}; see \
                 /proc/sys/kernel/io_uring_disabled, or a seccomp filter): compio runs on its \
                 polling driver (epoll) instead"
            );
            with_driver(DriverType::Poll, false).context("cannot build compio's runtime")
        }
    }
}

/// The size of each of the two buffers (read and write) that compio's `AsyncStream` keeps
/// between compio's owned-buffer I/O and futures-io, beside hyper's own. compio's default
/// is 8 KiB; 2 KiB holds a request head and reads a small answer in one go, and takes
/// 10,000 fetches at once from 354 to 302 MB of peak RSS with the same CPU
/// (docs/BENCHMARKS.md, "Readiness against completion").
pub const ADAPTER_BUFFER: usize = 2 * 1024;

/// compio's TCP stream as futures-io sees it: pinned on the heap, because hyper and
/// futures-rustls need an `Unpin` stream and `AsyncStream` is not one.
type Stream = Pin<Box<AsyncStream<compio::net::TcpStream>>>;
