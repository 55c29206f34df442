//! Does a clone of the waker that tokio's `block_on` hands out `will_wake` the original?
//! async-io (under surf's sockets) relies on the answer: when it is "no", async-io wakes
//! the stored waker on every poll, and the task spins. See docs/BENCHMARKS.md.
//!
//! Run with: `cargo run --release -p runtime-tokio --example will_wake`

use std::future::poll_fn;
use std::task::Poll;

fn main() {
    let executor = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let stable = executor.block_on(poll_fn(|cx| {
        Poll::Ready(cx.waker().clone().will_wake(cx.waker()))
    }));
    println!("tokio block_on: a clone of its waker will_wake the original: {stable}");
}
