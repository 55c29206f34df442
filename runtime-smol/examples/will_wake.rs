//! Does a clone of the waker that smol's `block_on` hands out `will_wake` the original?
//! async-io (under surf's sockets) relies on the answer: when it is "no", async-io wakes
//! the stored waker on every poll, and the task spins. See docs/BENCHMARKS.md.
//!
//! Run with: `cargo run --release -p runtime-smol --example will_wake`

use std::future::poll_fn;
use std::task::Poll;

fn main() {
    let stable = smol::block_on(poll_fn(|cx| {
        Poll::Ready(cx.waker().clone().will_wake(cx.waker()))
    }));
    println!("smol block_on: a clone of its waker will_wake the original: {stable}");
}
