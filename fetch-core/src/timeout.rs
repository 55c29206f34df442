//! A timeout around any work, on the runtime's own timer: how the study bounds every wait
//! (a fetch, a connect, a gather) on every runtime alike.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;

use crate::fetch::FetchError;
use crate::runtime::Runtime;

/// Runs `work`, or gives up with [`FetchError::Timeout`] once `limit` has passed on the
/// runtime's timer.
///
/// A plain function, not an `async fn`: an `async fn` would keep `work` both as its
/// argument and inside the future it awaits, which doubles the size of every fetch future
/// (see `session::fetch_one`).
pub fn with_timeout<'a, R: Runtime, T, W>(
    runtime: &'a R,
    limit: Duration,
    work: W,
) -> impl Future<Output = Result<T, FetchError>> + 'a
where
    W: Future<Output = Result<T, FetchError>> + 'a,
{
    timeout(runtime, limit, work).map(move |finished| finished_or_timed_out(finished, limit))
}

/// What [`timeout`] gave for work that returns a `Result`: the work's result, or
/// [`FetchError::Timeout`] where `limit` passed first. For a caller that keeps `limit`
/// already and so does not need [`with_timeout`]'s copy of it beside the timer.
pub fn finished_or_timed_out<T>(
    finished: Option<Result<T, FetchError>>,
    limit: Duration,
) -> Result<T, FetchError> {
    finished.unwrap_or(Err(FetchError::Timeout(limit)))
}

/// Runs `work`, or gives up with `None` once `limit` has passed on the runtime's timer.
/// Dropping `work` cancels it: that is how futures are cancelled.
pub fn timeout<'a, R: Runtime, W: Future + 'a>(
    runtime: &'a R,
    limit: Duration,
    work: W,
) -> impl Future<Output = Option<W::Output>> + 'a {
    Timeout {
        work,
        timer: runtime.sleep(limit),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`]: the work and the timer side by side, each stored once.
    struct Timeout<W, S> {
        #[pin]
        work: W,
        #[pin]
        timer: S,
    }
}

impl<W: Future, S: Future<Output = ()>> Future for Timeout<W, S> {
    type Output = Option<W::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The work first: work that is ready wins, even against a timer that has run out.
        if let Poll::Ready(output) = this.work.poll(cx) {
            return Poll::Ready(Some(output));
        }
        this.timer.poll(cx).map(|()| None)
    }
}

#[cfg(test)]
mod tests {
    use std::future::pending;

    use futures::executor::block_on;

    use super::*;
    use crate::testing::FakeRuntime;

    #[test]
    fn the_timeout_fires_when_the_work_does_not_finish() {
        let limit = Duration::from_millis(1500);
        let never = pending::<Result<(), FetchError>>();
        let outcome = block_on(with_timeout(&FakeRuntime::default(), limit, never));
        assert_eq!(outcome.unwrap_err().to_string(), "timed out after 1.5 s");
        // Work that is ready wins, even against a timer that has already run out.
        let ready = async { Ok::<_, FetchError>(5) };
        assert_eq!(
            block_on(with_timeout(&FakeRuntime::default(), limit, ready)).unwrap(),
            5
        );
    }
}
