//! The docs' cross-references hold: code and docs cite a section of the docs by its heading,
//! never by a number that moves, and every heading cited exists; every invariant of
//! ARCHITECTURE.md names a test that exists.
//!
//! Run with: `cargo test -p study-tests --test docs`

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed test"
)]

use std::collections::BTreeSet;
use std::path::Path;

use study_tests::workspace;

/// The text of a source file with its comments' markers taken out and its lines joined, so
/// that a citation broken over two comment lines reads as one.
fn flattened(source: &str) -> String {
    let words: Vec<&str> = source
        .lines()
        .map(|line| {
            let line = line.trim();
            ["//!", "///", "//"]
                .iter()
                .find_map(|marker| line.strip_prefix(marker))
                .unwrap_or(line)
        })
        .flat_map(str::split_whitespace)
        .collect();
    words.join(" ")
}

/// The headings of a markdown document: their text, and their text without a leading
/// label such as `6. ` or `10a. `.
fn headings(markdown: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in markdown.lines() {
        let Some(text) = line.strip_prefix('#') else {
            continue;
        };
        let text = text.trim_start_matches('#').trim();
        found.insert(text.to_owned());
        if let Some((label, rest)) = text.split_once(". ")
            && label.chars().next().is_some_and(|c| c.is_ascii_digit())
            && label.chars().all(|c| c.is_ascii_alphanumeric())
        {
            found.insert(rest.to_owned());
        }
    }
    found
}

/// The anchor a heading gets on GitHub: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a markdown document's headings.
fn anchors(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter_map(|line| line.strip_prefix('#'))
        .map(|text| slug(text.trim_start_matches('#').trim()))
        .collect()
}

#[test]
fn nothing_cites_a_section_of_the_docs_by_its_number() {
    let mut found = Vec::new();
    for path in workspace::files_ending_with(".rs")
        .into_iter()
        .chain(workspace::files_ending_with(".md"))
    {
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let lower = line.to_lowercase();
            for (at, _) in lower.match_indices("section ") {
                let after = &lower[at + "section ".len()..];
                if after.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                    found.push(format!("{}:{}: {line}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "cite a section by its heading, not its number:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_heading_the_code_cites_exists() {
    let root = workspace::root();
    let mut cited = 0;
    let mut missing = Vec::new();
    for path in workspace::files_ending_with(".rs") {
        let text = flattened(&std::fs::read_to_string(&path).unwrap());
        for (at, _) in text.match_indices(".md, \"") {
            let start = text[..at].rfind([' ', '(']).map_or(0, |i| i + 1);
            let document = &text[start..at + ".md".len()];
            let rest = &text[at + ".md, \"".len()..];
            let Some(heading) = rest.split('"').next() else {
                continue;
            };
            let markdown = std::fs::read_to_string(root.join(document))
                .unwrap_or_else(|err| panic!("{}: {document}: {err}", path.display()));
            cited += 1;
            if !headings(&markdown).contains(heading) {
                missing.push(format!("{}: {document}, \"{heading}\"", path.display()));
            }
        }
    }
    assert!(cited >= 5, "the citations were not found: {cited}");
    assert!(
        missing.is_empty(),
        "cited headings that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_link_to_a_heading_of_the_docs_lands() {
    let mut linked = 0;
    let mut missing = Vec::new();
    for path in workspace::files_ending_with(".md") {
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices("](") {
            let Some(target) = text[at + 2..].split(')').next() else {
                continue;
            };
            let Some((document, anchor)) = target.split_once('#') else {
                continue;
            };
            if document.contains("://") {
                continue;
            }
            let markdown = if document.is_empty() {
                text.clone()
            } else {
                let target_path = path.parent().unwrap_or(Path::new("")).join(document);
                std::fs::read_to_string(&target_path)
                    .unwrap_or_else(|err| panic!("{}: {document}: {err}", path.display()))
            };
            linked += 1;
            if !anchors(&markdown).contains(anchor) {
                missing.push(format!("{}: {target}", path.display()));
            }
        }
    }
    assert!(linked >= 5, "the links were not found: {linked}");
    assert!(
        missing.is_empty(),
        "links to headings that do not exist:\n{}",
        missing.join("\n")
    );
}

/// The names of the workspace's tests: each `fn` right after a `#[test]` (or a
/// `#[tokio::test…]`), in any source file, the `runtime_tests!` macro's included.
fn test_names() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for path in workspace::files_ending_with(".rs") {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut after_test = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("#[test]") || line.starts_with("#[tokio::test") {
                after_test = true;
            } else if let Some(rest) = line.strip_prefix("fn ").filter(|_| after_test) {
                names.insert(rest.split(['(', '<']).next().unwrap_or_default().to_owned());
                after_test = false;
            }
        }
    }
    names
}

#[test]
fn every_invariant_of_the_architecture_names_a_test_that_exists() {
    let architecture = std::fs::read_to_string(workspace::root().join("ARCHITECTURE.md")).unwrap();
    let section = architecture
        .split("\n## Invariants\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("ARCHITECTURE.md has an Invariants section");
    let tests = test_names();
    let invariants: Vec<&str> = section.split("\n- ").skip(1).map(str::trim).collect();
    assert!(invariants.len() >= 10, "{invariants:?}");
    let mut unnamed = Vec::new();
    for invariant in &invariants {
        let named: Vec<&str> = invariant
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|name| tests.contains(*name))
            .collect();
        if named.is_empty() {
            unnamed.push(invariant.lines().next().unwrap_or_default());
        }
    }
    assert!(
        unnamed.is_empty(),
        "invariants of ARCHITECTURE.md that name no test of the workspace:\n{}",
        unnamed.join("\n")
    );
}

/// `asyncstd` names nothing but the crate and what cargo names after it: the runtime is
/// `async-std` in the docs, the scripts' arguments and their tables.
#[test]
fn asyncstd_names_only_the_crate_and_the_runtime_is_async_std() {
    let crate_names = [
        "runtime-asyncstd",
        "runtime_asyncstd",
        "gather-asyncstd",
        "will-wake-asyncstd",
        "bare-hyper-asyncstd",
        // The crates' folders, as a shell would list them.
        "runtime-{tokio,asyncstd,",
        // The scripts' one mapping from the runtime's name to its crate's.
        "${1/async-std/asyncstd}",
    ];
    let root = workspace::root();
    let mut files: Vec<std::path::PathBuf> = workspace::files_ending_with(".md");
    for script in std::fs::read_dir(root.join("scripts")).unwrap() {
        files.push(script.unwrap().path());
    }
    let mut stray = Vec::new();
    for path in files {
        let mut text = std::fs::read_to_string(&path).unwrap();
        for name in crate_names {
            text = text.replace(name, "");
        }
        for (number, line) in text.lines().enumerate() {
            if line.contains("asyncstd") {
                stray.push(format!("{}:{}: {line}", path.display(), number + 1));
            }
        }
    }
    assert!(
        stray.is_empty(),
        "asyncstd for the runtime:\n{}",
        stray.join("\n")
    );
}
