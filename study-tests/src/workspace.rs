//! The one list of runtimes (study-workspace), and what the README says of them.
//!
//! The agreement test, the README's census tables and each crate's per-runtime files are
//! checked against that list, so a new runtime crate that one of them leaves out fails a
//! test instead of silently missing from the study.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use study_workspace::RuntimeCrate;

/// The workspace's root folder.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Every file of the workspace whose name ends with `ending` (`.rs`, `.md`), in order, but
/// for `target/` and hidden folders.
pub fn files_ending_with(ending: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![root()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    folders.push(path);
                }
            } else if name.ends_with(ending) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Every runtime crate of the workspace, by package name, from `cargo metadata`: the
/// study's one list (study-workspace).
pub fn runtime_crates() -> Vec<RuntimeCrate> {
    study_workspace::Workspace::read(&root())
        .unwrap_or_else(|err| panic!("{err}"))
        .runtimes
}

/// The folders of the workspace's root named `runtime-*`: a second source, so that a
/// runtime crate left out of the workspace's members is caught too.
pub fn runtime_folders() -> BTreeSet<String> {
    std::fs::read_dir(root())
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("runtime-"))
        .collect()
}

/// The header of the README's census table of the lesson.
pub const LESSON_CENSUS: &str = "| runtime | client | helper threads during the lesson |";

/// The header of the README's census table of the reactive demo.
pub const REACTIVE_CENSUS: &str = "| runtime | client | helper threads during the reactive demo |";

/// A census table of the README, the one under `header`: for each runtime and client, the
/// helper threads (kernel names) a run has besides the executor and the fixture server.
pub fn readme_census(header: &str) -> Vec<(String, String, BTreeSet<String>)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let table = readme
        .split_once(header)
        .unwrap_or_else(|| panic!("README.md has no table headed {header}"))
        .1;
    table
        .lines()
        .skip(2) // the rest of the header line and the separator
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let [runtime, client, threads] = cells[..] else {
                panic!("README census row {line:?} does not have three cells");
            };
            let threads = threads
                .split(',')
                .map(|name| name.trim().trim_matches('`').to_owned())
                .filter(|name| !name.is_empty() && name != "none")
                .collect();
            (runtime.to_owned(), client.to_owned(), threads)
        })
        .collect()
}

/// A thread's name as the census tables list it: the blocking crate numbers its threads
/// (`blocking-1`, `blocking-2`, …), and the tables say `blocking-N`; the kernel's io_uring
/// workers carry the id of the thread they serve (`iou-wrk-4711`), and the tables say
/// `iou-wrk-N`.
pub fn table_name(name: &str) -> String {
    for prefix in ["blocking-", "iou-wrk-"] {
        if let Some(n) = name.strip_prefix(prefix)
            && n.parse::<u32>().is_ok()
        {
            return format!("{prefix}N");
        }
    }
    name.to_owned()
}

/// The helper threads of a report's census as the README's census tables list them:
/// neither the executor nor the fixture server, by [`table_name`]. The kernel starts
/// io_uring workers (`iou-wrk-N`) when it punts an operation, which depends on the page
/// cache: the census names them, the tables do not.
pub fn census_helpers(report: &serde_json::Value) -> BTreeSet<String> {
    report["census"]["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["executor"] != true && t["name"] != "fixture-server")
        .map(|t| table_name(t["name"].as_str().unwrap()))
        .filter(|name| name != "iou-wrk-N")
        .collect()
}
