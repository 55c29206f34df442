//! rustc's own words for a future that is never awaited, checked: asyncio's "coroutine …
//! was never awaited" comes when the program runs, rustc's `unused_must_use` warning when
//! it is built. docs/ASYNCIO.md quotes it. (The other wall, `Send`, is the doctest pair of
//! `src/walls.rs`.)
//!
//! Run with: `cargo test -p study-tests --test walls`

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed test"
)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use study_tests::output_within;

#[test]
fn rustc_warns_of_a_future_never_awaited_in_the_words_the_docs_quote() {
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/walls/never_awaited.rs");
    let out = tempfile::tempdir().unwrap();
    let output = output_within(
        Command::new("rustc")
            .args(["--edition", "2024", "--crate-type", "bin", "--out-dir"])
            .arg(out.path())
            .arg(&program),
        Duration::from_secs(60),
        |_| {},
    )
    .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    // A warning, not an error: the program builds.
    assert!(output.status.success(), "{said}");
    for words in [
        "warning: unused implementer of `Future` that must be used",
        "mysleep(1.0);",
        "= note: futures do nothing unless you `.await` or poll them",
        "`#[warn(unused_must_use)]`",
    ] {
        assert!(
            said.contains(words),
            "rustc no longer says {words:?}:\n{said}"
        );
    }
}
