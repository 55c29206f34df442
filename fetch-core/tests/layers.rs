//! Checks fetch-core's layers: each module imports only modules of its own layer or below,
//! and no two modules import each other. ARCHITECTURE.md draws the same layers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// fetch-core's modules, bottom layer first. A new module goes in one of these lists.
const LAYERS: [&[&str]; 4] = [
    // What every demo shares.
    &[
        "census",
        "cli",
        "fetch",
        "open_files",
        "polls",
        "report",
        "runtime",
        "seed",
        "sweep",
        "timeout",
        "trace",
    ],
    // One fetch under its timeout, and the phases that gather fetches.
    &["session"],
    // The demos, each with its own report.
    &["lesson", "load", "reactive", "scale", "sleep", "starve"],
    // Whichever demo ran.
    &["run_report"],
];

/// The modules of fetch-core that `source` names through `prefix` (`crate::`, or `super::`
/// in a top-level module), in every form a path can take: `crate::a::b`, `crate::a`,
/// `crate::{a, b::c}` and `crate::{a::{b, c}, d}`.
fn imports(module: &str, source: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in source.match_indices(prefix) {
        // Only a path that starts with the prefix counts: not `other_crate::x`, nor
        // `self::super::x`.
        let before = source[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &source[at + prefix.len()..];
        let names = match rest.strip_prefix('{') {
            Some(group) => top_level_names(group),
            None => vec![leading_name(rest)],
        };
        for name in names {
            if name != module && !name.is_empty() && !found.contains(&name) {
                found.push(name);
            }
        }
    }
    found
}

/// The identifier `text` starts with.
fn leading_name(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The first name of each path in a `{…}` group, whose opening brace is already consumed:
/// `a, b::c, d::{e, f}}` gives `a`, `b`, `d`.
fn top_level_names(group: &str) -> Vec<String> {
    let mut names = vec![leading_name(group)];
    let mut depth = 0usize;
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => names.push(leading_name(&group[at + 1..])),
            _ => {}
        }
    }
    names.retain(|name| !name.is_empty() && name != "self");
    names
}

/// Every `.rs` file under `dir`, with the top-level module it belongs to (`trace` for
/// `src/trace/chrome.rs`) and whether it is that module's top file.
fn source_files(dir: &Path, module: Option<&str>, out: &mut Vec<(String, bool, PathBuf)>) {
    for entry in std::fs::read_dir(dir).expect("a source folder reads") {
        let path = entry.expect("an entry").path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        if path.is_dir() {
            source_files(&path, Some(module.unwrap_or(&stem)), out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            match module {
                Some(module) => out.push((module.to_owned(), false, path)),
                None => out.push((stem, true, path)),
            }
        }
    }
}

#[test]
fn the_checker_reads_every_form_of_a_crate_path() {
    let source = "use crate::census::current_tid;\nuse crate::{fetch, report::{Live, Summary}, self};\n\
                  use crate::{\n    seed,\n    session::{self, fetch_one},\n};\nlet x = crate::timeout::timeout;";
    assert_eq!(
        imports("lesson", source, "crate::"),
        ["census", "fetch", "report", "seed", "session", "timeout"]
    );
    assert_eq!(
        imports("trace", "use super::record::Event;", "super::"),
        ["record"]
    );
}

#[test]
fn every_module_imports_only_its_layer_or_below_and_none_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer_of: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(layer, modules)| modules.iter().map(move |m| (*m, layer)))
        .collect();
    let mut files = Vec::new();
    source_files(&src, None, &mut files);
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (module, top, path) in files {
        if matches!(module.as_str(), "lib" | "testing") {
            continue;
        }
        let layer = *layer_of
            .get(module.as_str())
            .unwrap_or_else(|| panic!("src/{module} is in no layer of tests/layers.rs"));
        let source = std::fs::read_to_string(&path).expect("a module reads");
        // Unit tests may reach anywhere: only the module's own code is layered.
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        let mut used = imports(&module, code, "crate::");
        if top {
            // In a top-level module, `super::` is the crate.
            used.extend(imports(&module, code, "super::"));
        }
        for other in &used {
            // `crate::LESSON_LATENCY` and the like are lib.rs's re-exports of the bottom.
            let Some(&other_layer) = layer_of.get(other.as_str()) else {
                continue;
            };
            assert!(
                other_layer <= layer,
                "{} (module {module}, layer {layer}) imports crate::{other} (layer \
                 {other_layer}): an import that climbs back up",
                path.display()
            );
        }
        let known = graph.entry(module).or_default();
        for other in used {
            if !known.contains(&other) {
                known.push(other);
            }
        }
    }
    for (module, used) in &graph {
        for other in used {
            let back = graph
                .get(other)
                .is_some_and(|theirs| theirs.contains(module));
            assert!(
                !back,
                "src/{module}.rs and src/{other}.rs import each other"
            );
        }
    }
}
