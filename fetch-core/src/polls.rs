//! Polls counted: how many times the executor polled the fetches of `scale`, or the
//! connections of `load`. The figure tells an adapter that wakes its task for every 2 KiB
//! that arrives from one that wakes it once per answer. Always on, unlike the tracer: one
//! increment per poll, no clock read, no allocation.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// A count of polls, shared by the futures it counts (one thread: a `Cell`).
#[derive(Debug, Clone, Default)]
pub struct PollCount(Rc<Cell<u64>>);

impl PollCount {
    /// `future`, counting each of its polls here.
    pub fn counting<F: Future>(self, future: F) -> Counted<F> {
        Counted {
            future,
            count: self,
        }
    }

    /// How many polls so far.
    pub fn get(&self) -> u64 {
        self.0.get()
    }
}

pin_project_lite::pin_project! {
    /// A future whose polls a [`PollCount`] counts. A struct, not an `async fn`: an `async
    /// fn` that pins its argument may keep room for it twice, and the fetch futures of
    /// `scale` are thousands of bytes, ten thousand at once.
    #[derive(Debug)]
    pub struct Counted<F> {
        #[pin]
        future: F,
        count: PollCount,
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        this.count.0.set(this.count.0.get() + 1);
        this.future.poll(cx)
    }
}

/// `polls` per `what`, or 0 for none.
pub fn per(polls: u64, what: u64) -> f64 {
    if what == 0 {
        0.0
    } else {
        polls as f64 / what as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use std::future::poll_fn;

    #[test]
    fn every_poll_is_counted_once() {
        let count = PollCount::default();
        let mut pending = 2;
        let output = block_on(count.clone().counting(poll_fn(|cx| {
            if pending == 0 {
                return Poll::Ready(7);
            }
            pending -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        })));
        assert_eq!((output, count.get()), (7, 3));
        assert_eq!(per(count.get(), 2), 1.5);
        assert_eq!(per(3, 0), 0.0);
    }
}
