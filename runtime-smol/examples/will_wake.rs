//! Does a clone of the waker that smol's `block_on` hands out `will_wake` the original?
//! async-io (under surf's sockets) relies on the answer: when it is "no", async-io wakes
//! the stored waker on every poll, and the task spins. This prints the answer, then the
//! consequence: how often a read from an async-io socket that never has data (as surf's
//! reads are) is polled in 100 ms. See docs/BENCHMARKS.md for how build settings change
//! both.
//!
//! Run with: `cargo run --release -p runtime-smol --example will-wake-smol`

use std::cell::Cell;
use std::future::poll_fn;
use std::net::{TcpListener, TcpStream};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use async_io::Async;
use futures::AsyncReadExt;
use futures::future::{self, Either};

/// How long the socket is waited on.
const WAIT: Duration = Duration::from_millis(100);

fn main() {
    let stable = smol::block_on(poll_fn(|cx| {
        Poll::Ready(cx.waker().clone().will_wake(cx.waker()))
    }));
    println!("smol block_on: a clone of its waker will_wake the original: {stable}");
    let polls = smol::block_on(polls_while_waiting());
    println!("smol block_on: polls of a read from an idle socket in 100 ms: {polls}");
}

/// Connects to a loopback listener that never sends anything, reads from the connection
/// for [`WAIT`] (nothing comes), and counts the polls of that read.
async fn polls_while_waiting() -> u64 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
    let address = listener.local_addr().expect("its address");
    let mut stream = Async::<TcpStream>::connect(address)
        .await
        .expect("a loopback connection");
    let polls = Cell::new(0);
    let mut byte = [0_u8; 1];
    // `poll_read` is where async-io compares the stored waker with the new one.
    let mut read = pin!(stream.read(&mut byte));
    let counted = poll_fn(|cx| {
        polls.set(polls.get() + 1);
        read.as_mut().poll(cx)
    });
    // A first turn wakes the task once, as any other event would, so that the read is polled
    // again with a clone of the waker already stored.
    let wait = async {
        let mut woken = false;
        poll_fn(|cx| {
            if woken {
                return Poll::Ready(());
            }
            woken = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
        smol::Timer::after(WAIT).await;
    };
    match future::select(pin!(counted), pin!(wait)).await {
        Either::Left(_) => panic!("nothing was sent, yet the read ended"),
        Either::Right(_) => polls.get(),
    }
}
