//! The first wall a learner from asyncio meets: `Send`.
//!
//! A local task never leaves its thread, so it may hold an `Rc` across an `.await`, as
//! every task of this study does. `tokio::spawn` may run its task on another thread, so its
//! future must be `Send`, and the same task does not compile there:
//!
//! ```compile_fail
//! let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! runtime.block_on(async {
//!     let shared = std::rc::Rc::new(1);
//!     let task = tokio::spawn(async move {
//!         tokio::task::yield_now().await;
//!         *shared + 1
//!     });
//!     assert_eq!(task.await.unwrap(), 2);
//! });
//! ```
//!
//! rustc 1.95 says: "error: future cannot be sent between threads safely … future created
//! by async block is not `Send` … the trait `Send` is not implemented for `Rc<i32>` … note:
//! required by a bound in `tokio::spawn`". The same task, spawned locally, compiles and
//! runs:
//!
//! ```
//! let runtime = tokio::runtime::Builder::new_current_thread()
//!     .build_local(tokio::runtime::LocalOptions::default())
//!     .unwrap();
//! runtime.block_on(async {
//!     let shared = std::rc::Rc::new(1);
//!     let task = tokio::task::spawn_local(async move {
//!         tokio::task::yield_now().await;
//!         *shared + 1
//!     });
//!     assert_eq!(task.await.unwrap(), 2);
//! });
//! ```
//!
//! The two differ in one word, `spawn` against `spawn_local`: the first fails for the
//! `Send` bound and nothing else.
