//! Which checks may run beside which. cargo runs a test binary's tests 16 at a time
//! (`.cargo/config.toml`), on a machine that may have two cores. Most checks only wait, but
//! a few keep the CPU busy (a hog, thousands of fetches at once, a load run), and a few
//! race a fixed deadline against work: in the fault matrix, a 1 MB endless body must reach
//! the body cap before the 2 s timeout. compio reads it 2 KiB at a time, about 1,000
//! io_uring waits, and each one waits again for a core when the busy checks hold them
//! both: a CI run saw it take more than 2 s (40 ms alone, 350 ms beside eight busy loops
//! on its core). So the busy checks run with no deadline race beside them, and each other
//! check runs as before.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Held shared by the checks that race a deadline, alone by the checks that keep the CPU
/// busy.
static CPU: RwLock<()> = RwLock::new(());

/// For a check that keeps the CPU busy: waits until no deadline race runs, and keeps them
/// out until the guard is dropped.
pub fn keep_busy() -> RwLockWriteGuard<'static, ()> {
    // A check that failed while holding it poisons nothing that matters: the lock guards
    // no data.
    CPU.write().unwrap_or_else(PoisonError::into_inner)
}

/// For a check that races a deadline against work: waits until no busy check runs, and
/// keeps them out until the guard is dropped; other deadline races run beside it.
pub fn race_a_deadline() -> RwLockReadGuard<'static, ()> {
    CPU.read().unwrap_or_else(PoisonError::into_inner)
}
