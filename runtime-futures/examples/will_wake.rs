//! Does a clone of the waker that futures' `LocalPool::run_until` hands out `will_wake` the
//! original? async-io (under surf's sockets) relies on the answer: when it is "no", async-io
//! wakes the stored waker on every poll, and the task spins. See docs/BENCHMARKS.md.
//!
//! Run with: `cargo run --release -p runtime-futures --example will_wake`

use std::future::poll_fn;
use std::task::Poll;

fn main() {
    let stable = futures::executor::LocalPool::new().run_until(poll_fn(|cx| {
        Poll::Ready(cx.waker().clone().will_wake(cx.waker()))
    }));
    println!("futures LocalPool: a clone of its waker will_wake the original: {stable}");
}
