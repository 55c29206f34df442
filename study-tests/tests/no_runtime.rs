//! Checks the workspace's first invariant: fetch-core depends on no async runtime. It lives
//! here, not in fetch-core, for study-tests' bounded runner: `cargo metadata` is a child
//! process, and every child of a test runs with a time limit.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use study_tests::output_within;

/// The longest `rustc -vV` or `cargo metadata --offline` may take.
const LIMIT: Duration = Duration::from_secs(120);

/// The crates that are, or carry, an async runtime.
const RUNTIMES: [&str; 8] = [
    "tokio",
    "async-std",
    "smol",
    "async-io",
    "async-executor",
    "async-global-executor",
    "compio",
    "compio-runtime",
];

/// The host's target triple, from `rustc -vV`.
fn host_triple() -> String {
    let output =
        output_within(Command::new("rustc").arg("-vV"), LIMIT, |_| {}).expect("rustc runs");
    let text = String::from_utf8(output.stdout).expect("rustc prints UTF-8");
    let host = text.lines().find_map(|line| line.strip_prefix("host: "));
    host.expect("rustc -vV names the host").to_owned()
}

#[test]
fn fetch_core_depends_on_no_async_runtime() {
    // Offline and for this platform only: the build has fetched all that this needs.
    let output = output_within(
        Command::new(env!("CARGO"))
            .args(["metadata", "--format-version", "1", "--offline"])
            .args(["--filter-platform", &host_triple()])
            .current_dir(env!("CARGO_MANIFEST_DIR")),
        LIMIT,
        |_| {},
    )
    .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();

    // Package id -> name, and package id -> the ids of its normal (non-dev, non-build) deps.
    let names: HashMap<&str, &str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes = metadata["resolve"]["nodes"].as_array().unwrap();
    let deps: HashMap<&str, Vec<&str>> = nodes
        .iter()
        .map(|node| {
            let normal = node["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|dep| {
                    dep["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|kind| kind["kind"].is_null())
                })
                .map(|dep| dep["pkg"].as_str().unwrap())
                .collect();
            (node["id"].as_str().unwrap(), normal)
        })
        .collect();

    // Walk fetch-core's dependency closure.
    let root = names
        .iter()
        .find(|(_, name)| **name == "fetch-core")
        .map(|(id, _)| *id)
        .unwrap();
    let mut seen = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(deps.get(id).into_iter().flatten());
        }
    }
    let closure: BTreeSet<&str> = seen.iter().map(|id| names[id]).collect();
    assert!(
        closure.contains("futures-util"),
        "the walk found fetch-core's deps"
    );
    let found: Vec<&&str> = RUNTIMES.iter().filter(|r| closure.contains(**r)).collect();
    assert!(found.is_empty(), "fetch-core depends on {found:?}");
}
