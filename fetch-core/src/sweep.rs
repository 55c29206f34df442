//! Deadlines kept as wrk keeps them: no timer armed per request. Each piece of work writes
//! its deadline into a slot of its own, and one task, the sweep, looks at every slot each
//! tick and ends the work whose deadline has passed. A request then costs the runtime no
//! timer at all (on async-io, a timer armed is a `notify()` of the reactor), for a
//! deadline kept to within one tick.
//!
//! The other way, a timer per piece of work, is [`crate::timeout::with_timeout`].

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use futures::future::{Either, select};

use crate::fetch::FetchError;
use crate::runtime::Runtime;

/// How the load demo keeps each request's timeout (`--timeout-check`): by a sweep, or by a
/// timer per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimeoutCheck {
    /// One task looks at every connection's deadline each tick: no timer per request.
    Sweep,
    /// A timer per request.
    Timer,
}

/// How many ticks a timeout lasts: a deadline is kept to within a tenth of it.
const TICKS_PER_TIMEOUT: u32 = 10;

/// The slots of one run's deadlines, one per piece of work that runs at a time.
#[derive(Debug)]
pub struct Deadlines {
    limit: Duration,
    slots: Vec<Slot>,
}

/// One slot: the deadline of the work running in it, and how to end that work.
#[derive(Debug, Default)]
struct Slot {
    deadline: Cell<Option<Instant>>,
    expired: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Deadlines {
    /// `slots` slots (one at least), for work bounded by `limit` each.
    pub fn new(slots: usize, limit: Duration) -> Deadlines {
        Deadlines {
            limit,
            slots: (0..slots.max(1)).map(|_| Slot::default()).collect(),
        }
    }

    /// How often the sweep looks: a tenth of the limit, at least a millisecond.
    pub fn tick(&self) -> Duration {
        (self.limit / TICKS_PER_TIMEOUT).max(Duration::from_millis(1))
    }

    /// Runs `work` in slot `slot`, or gives up with [`FetchError::Timeout`] once the sweep
    /// finds its deadline passed: between one limit and one limit and a tick after it
    /// started. One piece of work at a time in a slot: the caller gives each its own.
    pub async fn bounded<T>(
        &self,
        slot: usize,
        work: impl Future<Output = Result<T, FetchError>>,
    ) -> Result<T, FetchError> {
        debug_assert!(
            slot < self.slots.len(),
            "slot {slot} of {}",
            self.slots.len()
        );
        // Past the last slot (a caller's mistake), the work shares one: still bounded.
        let slot = &self.slots[slot % self.slots.len()];
        slot.expired.set(false);
        slot.deadline.set(Some(Instant::now() + self.limit));
        let expired = poll_fn(|cx| {
            if slot.expired.get() {
                return Poll::Ready(());
            }
            let mut waker = slot.waker.borrow_mut();
            if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *waker = Some(cx.waker().clone());
            }
            Poll::Pending
        });
        let outcome = match select(pin!(work), pin!(expired)).await {
            Either::Left((finished, _)) => finished,
            Either::Right(((), _)) => Err(FetchError::Timeout(self.limit)),
        };
        slot.deadline.set(None);
        outcome
    }

    /// Looks at every slot each tick, for ever, and ends the work whose deadline has
    /// passed. Race it against the work: it never finishes on its own.
    pub async fn sweep<R: Runtime>(&self, runtime: &R) {
        loop {
            runtime.sleep(self.tick()).await;
            let now = Instant::now();
            for slot in &self.slots {
                if slot.deadline.get().is_some_and(|deadline| deadline <= now) {
                    slot.deadline.set(None);
                    slot.expired.set(true);
                    if let Some(waker) = slot.waker.borrow_mut().take() {
                        waker.wake();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::pending;

    use futures::executor::block_on;
    use futures::future::select;

    use super::*;
    use crate::testing::FakeRuntime;

    #[test]
    fn work_that_outlasts_its_deadline_ends_at_the_next_sweep() {
        let deadlines = Deadlines::new(2, Duration::from_millis(50));
        let runtime = FakeRuntime {
            real_timer: true,
            ..FakeRuntime::default()
        };
        let start = Instant::now();
        let run = async {
            let stuck = deadlines.bounded(0, pending::<Result<(), FetchError>>());
            let quick = deadlines.bounded(1, async { Ok::<_, FetchError>(7) });
            (stuck.await, quick.await)
        };
        let sweep = deadlines.sweep(&runtime);
        let (stuck, quick) = match block_on(select(pin!(run), pin!(sweep))) {
            Either::Left((outcomes, _)) => outcomes,
            Either::Right(_) => panic!("the sweep never finishes"),
        };
        assert!(matches!(stuck, Err(FetchError::Timeout(limit)) if limit.as_millis() == 50));
        assert_eq!(quick.ok(), Some(7));
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(50) && took < Duration::from_secs(2),
            "{took:?}"
        );
    }
}
