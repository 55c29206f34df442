//! The load demo's order of work, with a fake client: every connection opens before the
//! first request.

use clap::Parser;
use futures::executor::block_on;

use super::*;
use crate::cli::{Cli, Command};
use crate::testing::FakeRuntime;

/// What the fake client was asked to do, in order.
type Log = Rc<RefCell<Vec<&'static str>>>;

/// A client whose connections open after one wake and answer 1 KiB at once.
struct FakeClient(Log);

struct FakeConnection(Log);

impl KeptAliveClient for FakeClient {
    type Connection = FakeConnection;

    fn name(&self) -> &'static str {
        "fake"
    }

    async fn open(&self, _url: &Url) -> Result<FakeConnection, FetchError> {
        // Another connection's opening may run meanwhile, as on a real socket.
        let mut woken = false;
        futures::future::poll_fn(|cx| {
            if woken {
                std::task::Poll::Ready(())
            } else {
                woken = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
        self.0.borrow_mut().push("open");
        Ok(FakeConnection(self.0.clone()))
    }
}

impl Connection for FakeConnection {
    async fn send(&mut self, _url: &Url) -> Result<Fetched, FetchError> {
        self.0.borrow_mut().push("send");
        Ok(Fetched {
            status: 200,
            bytes: 1024,
            location: None,
        })
    }

    fn is_open(&self) -> bool {
        true
    }
}

/// The load demo's arguments, as the command line gives them.
fn load_args(args: &[&str]) -> LoadArgs {
    let line = ["study", "load"].iter().chain(args).copied();
    match Cli::try_parse_from(line).map(|cli| cli.subcommand) {
        Ok(Some(Command::Load(args))) => args,
        _ => panic!("not the load demo's arguments: {args:?}"),
    }
}

#[test]
fn both_loops_open_every_connection_first_and_count_every_latency() {
    for rate in [None, Some("2000")] {
        let mut args = vec!["--connections", "5", "--requests", "40"];
        args.extend(rate.iter().flat_map(|rate| ["--rate", rate]));
        args.push("http://127.0.0.1:9/1k");
        let args = load_args(&args);
        let log = Log::default();
        let runtime = FakeRuntime {
            real_timer: true,
            ..FakeRuntime::default()
        };
        let url = args.url.clone().expect("the URL given");
        let report = block_on(demo(
            runtime,
            FakeClient(log.clone()),
            &args,
            url,
            Live { quiet: true },
        ));
        let log = log.borrow();
        let first_send = log.iter().position(|&event| event == "send");
        assert_eq!(first_send, Some(5), "{rate:?}: {log:?}");
        assert_eq!(log.iter().filter(|&&event| event == "open").count(), 5);
        assert_eq!(report.connections_opened, 5);
        assert_eq!(report.succeeded, 40);
    }
}
