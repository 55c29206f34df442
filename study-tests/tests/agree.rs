//! The runtimes agree: the same report, timings and thread ids aside, for the lesson's
//! default run, for a run full of errors, and for the other demos. And none is left out.
//!
//! It calls each runtime crate's `run`, which is all that its binary's `main` calls before
//! printing the report as JSON.

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed test, with its line"
)]

use std::time::Duration;

use clap::Parser;
use serde_json::Value;

use fetch_core::{Cli, ClientKind, RunReport};
use fixture_server::Fixture;
use study_tests::agreement::{assert_agree, comparable};
use study_tests::workspace;

/// A runtime crate's `run`: what its binary's `main` calls.
type Run = fn(&Cli) -> anyhow::Result<RunReport>;

/// The runtime crates that play every demo, by package name. A test below checks this
/// list against the workspace's, so a new runtime crate cannot be left out unnoticed.
const AGREEING: [(&str, Run); 5] = [
    ("runtime-tokio", runtime_tokio::run),
    ("runtime-asyncstd", runtime_asyncstd::run),
    ("runtime-smol", runtime_smol::run),
    ("runtime-futures", runtime_futures::run),
    ("runtime-compio", runtime_compio::run),
];

/// The runtime crates that play only the demos that do not fetch.
const AGREEING_WITHOUT_FETCHING: [(&str, Run); 1] = [("runtime-minimal", runtime_minimal::run)];

/// Plays `args` on each runtime of `runs`, in turn, in this process.
fn reports_of(runs: &[(&str, Run)], args: &[&str]) -> Vec<(String, Value)> {
    let cli = Cli::parse_from(std::iter::once("study").chain(args.iter().copied()));
    runs.iter()
        .map(|(name, run)| {
            let report = run(&cli).unwrap_or_else(|err| panic!("{name}: {err:#}"));
            let report = comparable(&serde_json::to_value(report).unwrap());
            ((*name).to_owned(), report)
        })
        .collect()
}

/// Plays `args` on every runtime that fetches.
fn reports(args: &[&str]) -> Vec<(String, Value)> {
    reports_of(&AGREEING, args)
}

#[test]
fn the_default_run_agrees_and_a_disagreement_would_be_caught() {
    let mut reports = reports(&["--json", "--latency-ms", "50"]);
    assert_eq!(
        reports[0].1["concurrent"]["fetches"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_agree(&reports);
    // The same reports, but one runtime counts one byte more: the assertion must fail.
    let last = reports.len() - 1;
    let bytes = &mut reports[last].1["concurrent"]["fetches"][2]["bytes"];
    *bytes = Value::from(bytes.as_u64().unwrap() + 1);
    let caught = std::panic::catch_unwind(|| assert_agree(&reports));
    assert!(caught.is_err(), "a runtime that disagrees went unnoticed");
}

#[test]
fn errors_agree() {
    let fixture = Fixture::start(0, Duration::from_millis(10)).unwrap();
    let missing = fixture.url("/missing.pdf");
    let truncated = fixture.url("/fault/truncated");
    let stall = fixture.url("/fault/stall");
    let reports = reports(&[
        "--json",
        "--timeout",
        "0.5",
        "not a url",
        "http://127.0.0.1:1/",
        &missing,
        &truncated,
        &stall,
    ]);
    let errors = reports[0].1["concurrent"]["fetches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["error"].is_null())
        .count();
    assert_eq!(errors, 5);
    assert_agree(&reports);
}

#[test]
fn the_sleep_demo_agrees_and_so_does_the_minimal_executor() {
    let args = ["sleep", "--json"];
    let mut reports = reports(&args);
    assert_eq!(reports[0].1["sleep"]["events"].as_array().unwrap().len(), 6);
    reports.extend(reports_of(&AGREEING_WITHOUT_FETCHING, &args));
    assert_agree(&reports);
}

#[test]
fn the_reactive_demo_agrees() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, b"a small local file\n").unwrap();
    let path = file.path().to_str().unwrap();
    let mut reports = reports(&["reactive", "--json", "--file", path, "--latency-ms", "400"]);
    assert_eq!(reports[0].1["events"].as_array().unwrap().len(), 8);
    // Starts and ends compared apart: a task that is done at its first poll (a tiny file,
    // read on another thread while this one starts it) ends before the next one starts.
    for (_, report) in &mut reports {
        let order = |kind: &str| -> Vec<Value> {
            let events = report["events"].as_array().unwrap();
            let of_kind = events.iter().filter(|e| e["event"] == kind);
            of_kind.map(|e| e["task"].clone()).collect()
        };
        let (starts, ends) = (order("start"), order("end"));
        report["events"] = serde_json::json!({"starts": starts, "ends": ends});
    }
    assert_agree(&reports);
}

#[test]
fn the_load_demo_agrees() {
    let args = ["load", "--json", "--connections", "4", "--requests", "400"];
    let reports = reports(&args);
    assert_eq!(reports[0].1["succeeded"], 400);
    assert_eq!(reports[0].1["connections_opened"], 4);
    assert_agree(&reports);
}

#[test]
fn every_runtime_crate_is_in_the_agreement_test() {
    let crates = workspace::runtime_crates();
    let names = |fetches: bool| -> Vec<String> {
        let of_kind = crates.iter().filter(|c| c.fetches == fetches);
        of_kind.map(|c| c.package.clone()).collect()
    };
    let listed = |runs: &[(&str, Run)]| -> Vec<String> {
        let mut names: Vec<String> = runs.iter().map(|(name, _)| (*name).to_owned()).collect();
        names.sort();
        names
    };
    assert_eq!(listed(&AGREEING), names(true), "tests/agree.rs: AGREEING");
    assert_eq!(
        listed(&AGREEING_WITHOUT_FETCHING),
        names(false),
        "tests/agree.rs: AGREEING_WITHOUT_FETCHING"
    );
    // And the workspace's members are every runtime-* folder.
    let members: Vec<String> = crates.iter().map(|c| c.package.clone()).collect();
    let folders: Vec<String> = workspace::runtime_folders().into_iter().collect();
    assert_eq!(
        members, folders,
        "Cargo.toml's members vs the runtime-* folders"
    );
}

#[test]
fn every_runtime_that_fetches_has_its_rows_in_the_readme_census() {
    let lesson = workspace::readme_census(workspace::LESSON_CENSUS);
    let reactive = workspace::readme_census(workspace::REACTIVE_CENSUS);
    for runtime in workspace::runtime_crates().iter().filter(|c| c.fetches) {
        let has = |table: &[(String, String, _)], client: &str| {
            table
                .iter()
                .any(|(r, c, _)| *r == runtime.runtime && c == client)
        };
        for client in ClientKind::ALL_NAMES {
            assert!(
                has(&lesson, client),
                "README's lesson census has no row for {} with {client}",
                runtime.runtime
            );
        }
        assert!(
            has(&reactive, "hyper"),
            "README's reactive census has no row for {}",
            runtime.runtime
        );
    }
}

/// What each runtime crate that fetches must have, beside its `Cargo.toml` metadata: the
/// files every runtime crate has (ARCHITECTURE.md's checklist), each named here once.
const PER_RUNTIME_FILES: [(&str, &str); 9] = [
    ("src/lib.rs", "the runtime's handle and `run`"),
    ("src/main.rs", "the thin binary"),
    (
        "tests/lesson.rs",
        "every check of study-tests, through `study_tests::runtime_tests!`",
    ),
    (
        "examples/gather.rs",
        "the seed's two cells, the first file a learner reads",
    ),
    ("examples/will_wake.rs", "the waker finding"),
    (
        "examples/bare_hyper.rs",
        "the cost model's floor: the runtime and hyper alone",
    ),
    (
        "tests/busy_machine.rs",
        "the checks that load the machine, through `study_tests::busy_machine_tests!`",
    ),
    ("benches/micro.rs", "the micro-benchmarks"),
    (
        "benches/sentinel.rs",
        "CPU per fetch and per sleep against the previous run",
    ),
];

#[test]
fn every_runtime_crate_has_its_files_and_its_asyncio_column() {
    let root = workspace::root();
    let asyncio = std::fs::read_to_string(root.join("docs/ASYNCIO.md")).unwrap();
    let header = asyncio
        .lines()
        .find(|line| line.starts_with("| asyncio |"))
        .expect("docs/ASYNCIO.md has its table, headed | asyncio | …");
    let columns: Vec<&str> = header.trim_matches('|').split('|').map(str::trim).collect();
    let mut missing = Vec::new();
    for runtime in workspace::runtime_crates().iter().filter(|c| c.fetches) {
        for (file, what) in PER_RUNTIME_FILES {
            let path = root.join(&runtime.package).join(file);
            if !path.exists() {
                missing.push(format!("{}/{file} ({what})", runtime.package));
            }
        }
        let lesson = root.join(&runtime.package).join("tests/lesson.rs");
        let runs_the_checks = std::fs::read_to_string(&lesson)
            .is_ok_and(|text| text.contains("study_tests::runtime_tests!"));
        if lesson.exists() && !runs_the_checks {
            missing.push(format!(
                "{}/tests/lesson.rs does not call study_tests::runtime_tests!",
                runtime.package
            ));
        }
        if !columns.contains(&runtime.runtime.as_str()) {
            missing.push(format!(
                "a column for {} in docs/ASYNCIO.md's table",
                runtime.runtime
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "missing for a runtime crate (see ARCHITECTURE.md, adding a runtime):\n{}",
        missing.join("\n")
    );
}

/// The names of the functions `source` defines, in order.
fn function_names(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line.strip_prefix("pub ").unwrap_or(line);
            let line = line.strip_prefix("async ").unwrap_or(line);
            let name = line.strip_prefix("fn ")?;
            Some(name.split(['(', '<']).next()?.to_owned())
        })
        .collect()
}

#[test]
fn the_runtime_crates_define_the_same_functions_in_the_same_order() {
    let root = workspace::root();
    let crates: Vec<(String, String)> = workspace::runtime_crates()
        .iter()
        .filter(|c| c.fetches)
        .map(|c| {
            let source = std::fs::read_to_string(root.join(&c.package).join("src/lib.rs"));
            (c.package.clone(), source.unwrap())
        })
        .collect();
    assert!(
        crates.len() >= 5,
        "every runtime crate that fetches: {crates:?}"
    );
    let functions: Vec<Vec<String>> = crates.iter().map(|(_, s)| function_names(s)).collect();
    let items: Vec<Vec<String>> = crates.iter().map(|(_, s)| top_level_items(s)).collect();
    // The functions and the top-level items every crate has, in each crate's order.
    let shared = |names: &[String], all: &[Vec<String>]| -> Vec<String> {
        let in_all = |name: &String| all.iter().all(|theirs| theirs.contains(name));
        names.iter().filter(|name| in_all(name)).cloned().collect()
    };
    let first = &crates[0].0;
    assert!(
        shared(&functions[0], &functions).len() > 10,
        "{first}: {functions:?}"
    );
    for (n, (package, _)) in crates.iter().enumerate().skip(1) {
        assert_eq!(
            shared(&functions[n], &functions),
            shared(&functions[0], &functions),
            "{package}/src/lib.rs and {first}/src/lib.rs define their shared functions in \
             another order"
        );
        assert_eq!(
            shared(&items[n], &items),
            shared(&items[0], &items),
            "{package}/src/lib.rs and {first}/src/lib.rs have their shared items in another \
             order"
        );
    }
    // What one runtime alone needs comes after every shared item (ARCHITECTURE.md).
    for ((package, _), items_of) in crates.iter().zip(&items) {
        let mut own = false;
        for item in items_of {
            let alone = items.iter().filter(|theirs| theirs.contains(item)).count() == 1;
            let in_all = items.iter().all(|theirs| theirs.contains(item));
            own |= alone;
            assert!(
                !(own && in_all),
                "{package}/src/lib.rs: `{item}`, which every runtime crate has, comes after \
                 an item of its own: items only one runtime needs go after the shared ones"
            );
        }
    }
}

/// The top-level items of a runtime crate's `src/lib.rs`, in order, each as its first
/// words up to its name (`pub fn run`, `impl Runtime for`, `const ADAPTER_BUFFER`), with
/// the runtime's handle left out of `impl … for HANDLE`, so that the crates compare.
fn top_level_items(source: &str) -> Vec<String> {
    const KINDS: [&str; 8] = [
        "fn ", "struct ", "enum ", "const ", "static ", "type ", "trait ", "impl ",
    ];
    source
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("pub ").unwrap_or(line);
            let rest = rest.strip_prefix("async ").unwrap_or(rest);
            KINDS.iter().find(|kind| rest.starts_with(*kind))?;
            let words: Vec<&str> = rest
                .split(|c: char| c.is_whitespace() || matches!(c, '(' | '<' | ':' | '{' | ';'))
                .filter(|word| !word.is_empty())
                .collect();
            Some(match words.as_slice() {
                ["impl", name, "for", ..] => format!("impl {name} for"),
                // The handle's own struct and inherent impl differ in name only.
                ["struct", _, ..] => "struct HANDLE".to_owned(),
                ["impl", _, ..] => "impl HANDLE".to_owned(),
                [kind, name, ..] => format!("{kind} {name}"),
                _ => rest.to_owned(),
            })
        })
        .collect()
}

/// The longest a source file may be, and compare's `main.rs` (its flags and steps only):
/// past that, a file holds more than one job (ARCHITECTURE.md).
const MAX_LINES: usize = 600;
const MAX_COMPARE_MAIN_LINES: usize = 300;

#[test]
fn no_source_file_is_longer_than_one_job() {
    let root = workspace::root();
    let mut long = Vec::new();
    for path in workspace::files_ending_with(".rs") {
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        let relative = path.strip_prefix(&root).unwrap().to_path_buf();
        let limit = if relative == std::path::Path::new("compare/src/main.rs") {
            MAX_COMPARE_MAIN_LINES
        } else {
            MAX_LINES
        };
        if lines > limit {
            long.push(format!(
                "{} ({lines} lines, at most {limit})",
                relative.display()
            ));
        }
    }
    assert!(
        long.is_empty(),
        "files longer than one job:\n{}",
        long.join("\n")
    );
}
