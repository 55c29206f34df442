//! The load demo's order of work, with a fake client: the connections open before the
//! first request, a failed opening is counted and made up for, and every latency is
//! counted.

use clap::Parser;
use futures::executor::block_on;

use super::*;
use crate::cli::{Cli, Command};
use crate::testing::FakeRuntime;

/// What the fake client was asked to do, in order.
type Log = Rc<RefCell<Vec<&'static str>>>;

/// A client whose connections open after one wake, the first `failing` of them with an
/// error, and answer 1 KiB at once.
struct FakeClient {
    log: Log,
    failing: Cell<usize>,
}

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
        if self.failing.get() > 0 {
            self.failing.set(self.failing.get() - 1);
            self.log.borrow_mut().push("refused");
            return Err(FetchError::BadHost("refused by the fake client"));
        }
        self.log.borrow_mut().push("open");
        Ok(FakeConnection(self.log.clone()))
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

/// Runs the load demo with the fake client on `args` (the URL added), its first `failing`
/// openings refused: the report, and what the client was asked to do, in order.
fn run(args: &[&str], failing: usize) -> (LoadReport, Vec<&'static str>) {
    let line = ["study", "load"]
        .iter()
        .chain(args)
        .chain(&["http://127.0.0.1:9/1k"])
        .copied();
    let args = match Cli::try_parse_from(line).map(|cli| cli.subcommand) {
        Ok(Some(Command::Load(args))) => args,
        _ => panic!("not the load demo's arguments: {args:?}"),
    };
    let log = Log::default();
    let client = FakeClient {
        log: log.clone(),
        failing: Cell::new(failing),
    };
    let runtime = FakeRuntime {
        real_timer: true,
        ..FakeRuntime::default()
    };
    let url = args.url.clone().expect("the URL given");
    let report = block_on(demo(runtime, client, &args, url, Live { quiet: true }));
    let log = log.borrow().clone();
    (report, log)
}

#[test]
fn both_loops_open_every_connection_first_and_count_every_latency() {
    for rate in [None, Some("2000")] {
        let mut args = vec!["--connections", "5", "--requests", "40"];
        args.extend(rate.iter().flat_map(|rate| ["--rate", rate]));
        let (report, log) = run(&args, 0);
        let first_send = log.iter().position(|&event| event == "send");
        assert_eq!(first_send, Some(5), "{rate:?}: {log:?}");
        assert_eq!(log.iter().filter(|&&event| event == "open").count(), 5);
        assert_eq!(report.connections_opened, 5);
        assert_eq!(report.succeeded, 40);
        assert_eq!(report.latency_us.count, 40);
        // The open loop also counts each latency from when its request left.
        let from_sent = report.from_sent_us.map(|latency| latency.count);
        assert_eq!(from_sent, rate.map(|_| 40), "{rate:?}");
    }
}

#[test]
fn no_more_connections_open_than_there_are_requests() {
    let (report, log) = run(&["--connections", "8", "--requests", "3"], 0);
    assert_eq!(log, ["open", "open", "open", "send", "send", "send"]);
    assert_eq!(report.connections_opened, 3);
}

#[test]
fn a_connection_that_did_not_open_first_is_counted_and_opened_by_its_first_request() {
    let (report, log) = run(&["--connections", "3", "--requests", "6"], 1);
    assert_eq!(&log[..3], ["refused", "open", "open"], "{log:?}");
    assert_eq!(log.iter().filter(|&&event| event == "open").count(), 3);
    assert_eq!(report.connections_opened, 3);
    assert_eq!(report.succeeded, 6);
    let errors: Vec<_> = report.open_errors.iter().collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(*errors[0].1, 1);
    assert!(
        errors[0].0.contains("refused by the fake client"),
        "{errors:?}"
    );
}
