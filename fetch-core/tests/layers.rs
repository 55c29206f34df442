//! Checks fetch-core's layers: each module imports only modules of its own layer or below,
//! and no two modules import each other. ARCHITECTURE.md draws the same layers.

use std::collections::BTreeMap;
use std::path::Path;

/// fetch-core's modules, bottom layer first. A new module goes in one of these lists.
const LAYERS: [&[&str]; 4] = [
    // What every demo shares.
    &[
        "census", "cli", "fetch", "limits", "report", "runtime", "seed", "timeout", "trace",
    ],
    // One fetch under its timeout, and the phases that gather fetches.
    &["session"],
    // The demos, each with its own report.
    &["lesson", "load", "reactive", "scale", "sleep", "starve"],
    // Whichever demo ran.
    &["run_report"],
];

/// The modules of fetch-core that `module`'s source names as `crate::other`.
fn imports(module: &str, source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in source.match_indices("crate::") {
        let rest = &source[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name != module && !name.is_empty() && !found.contains(&name) {
            found.push(name);
        }
    }
    found
}

#[test]
fn every_module_imports_only_its_layer_or_below_and_none_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer_of: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(layer, modules)| modules.iter().map(move |m| (*m, layer)))
        .collect();
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(&src).expect("src/ reads") {
        let path = entry.expect("an entry").path();
        let module = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if matches!(module, "lib" | "testing") {
            continue;
        }
        let layer = *layer_of
            .get(module)
            .unwrap_or_else(|| panic!("src/{module}.rs is in no layer of tests/layers.rs"));
        let source = std::fs::read_to_string(&path).expect("a module reads");
        // Unit tests may reach anywhere: only the module's own code is layered.
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        let used = imports(module, code);
        for other in &used {
            // `crate::LESSON_LATENCY` and the like are lib.rs's re-exports of the bottom.
            let Some(&other_layer) = layer_of.get(other.as_str()) else {
                continue;
            };
            assert!(
                other_layer <= layer,
                "src/{module}.rs (layer {layer}) imports crate::{other} (layer {other_layer}): \
                 an import that climbs back up"
            );
        }
        graph.insert(module.to_owned(), used);
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
