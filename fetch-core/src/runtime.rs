//! The little that a runtime crate must provide: a name, a timer and a local spawn.

use std::time::Duration;

use futures::future::LocalBoxFuture;

/// One current-thread async runtime, as the study sees it.
///
/// Everything else (gathering, timing, reporting) is written once against this trait, so
/// that `diff runtime-tokio/src/lib.rs runtime-smol/src/lib.rs` shows only what differs
/// between the runtimes. As with [`crate::Fetch`], the `async fn`s carry no `Send` bound:
/// every future stays on the executor's thread.
#[allow(async_fn_in_trait)]
pub trait Runtime {
    /// The runtime's name, as the report shows it: `tokio`, `async-std` or `smol`.
    fn name(&self) -> &'static str;

    /// Waits `duration` on the runtime's own timer, without blocking the thread.
    async fn sleep(&self, duration: Duration);

    /// Spawns each future as a local task on the executor's own thread, then waits for them
    /// all and returns their outputs in input order, like `asyncio.gather`.
    async fn gather_spawn<T: 'static>(&self, futures: Vec<LocalBoxFuture<'static, T>>) -> Vec<T>;
}
