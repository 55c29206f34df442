//! The first wall a learner from asyncio meets: `Send`.
//!
//! A local task never leaves its thread, so it may hold an `Rc` across an `.await`, as
//! every task of this study does. `tokio::spawn` may run its task on another thread, so its
//! future must be `Send`, and the same task does not compile there:
//!
//! ```compile_fail
//! let runtime = tokio::runtime::Builder::new_current_thread()
//!     .build_local(tokio::runtime::LocalOptions::default())
//!     .unwrap();
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
//! The two differ in one word, `spawn` against `spawn_local` (a test below holds them so),
//! and the second compiles: so the first fails for the `Send` bound and nothing else.
//! rustdoc cannot check which error it is (an error code after `compile_fail` is checked on
//! nightly only, and rustc gives this error no code: it prints no `E0277`, though the bound
//! is a trait bound).

#[cfg(test)]
mod tests {
    /// The two examples of the module's docs, as their lines.
    fn examples() -> Vec<Vec<&'static str>> {
        let source = include_str!("walls.rs");
        let docs = &source[..source.find("\n\n").unwrap_or(source.len())];
        docs.split("//! ```")
            .skip(1)
            .step_by(2)
            .map(|block| block.lines().skip(1).collect())
            .collect()
    }

    #[test]
    fn the_refused_task_and_the_local_one_differ_in_one_word() {
        let examples = examples();
        assert_eq!(examples.len(), 2, "two examples: {examples:?}");
        let differ: Vec<(&str, &str)> = examples[0]
            .iter()
            .zip(&examples[1])
            .filter(|(refused, local)| refused != local)
            .map(|(refused, local)| (*refused, *local))
            .collect();
        assert_eq!(examples[0].len(), examples[1].len());
        assert_eq!(
            differ,
            [(
                "//!     let task = tokio::spawn(async move {",
                "//!     let task = tokio::task::spawn_local(async move {"
            )]
        );
    }
}
