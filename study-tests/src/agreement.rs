//! What the agreement test compares: reports with what may differ between runtimes and
//! runs removed, and an assertion that names the runtime that disagrees.

use serde_json::Value;

/// The report with what may differ between runtimes and runs removed: every timing and
/// rate (the `_ms`, `_us` and `_per_second` fields, and `speedup`), thread ids, the census,
/// the runtime's name and driver, the peak memory, the polls (each executor wakes its own
/// way), and the fixture's port in URLs.
pub fn comparable(report: &Value) -> Value {
    let mut report = report.clone();
    if let Some(fields) = report.as_object_mut() {
        for field in [
            "census",
            "runtime",
            "driver",
            "speedup",
            "peak_rss_kib",
            "polls_per_fetch",
            "polls_per_request",
        ] {
            fields.remove(field);
        }
    }
    strip(&mut report);
    report
}

/// Removes timings and thread ids, and replaces loopback ports, everywhere in `value`.
fn strip(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            let timing = |key: &str| {
                ["_ms", "_us", "_per_second"]
                    .iter()
                    .any(|t| key.ends_with(t))
            };
            fields.retain(|key, _| !timing(key) && key != "polled_on");
            fields.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        Value::String(text) => {
            if let Some(rest) = text.strip_prefix("http://127.0.0.1:") {
                let path = rest.find('/').map_or("", |at| &rest[at..]);
                *text = format!("http://127.0.0.1:PORT{path}");
            }
        }
        _ => {}
    }
}

/// Asserts that every report equals the first, naming the first runtime that differs.
/// Each report is a runtime's name and its [`comparable`] report.
pub fn assert_agree(reports: &[(String, Value)]) {
    let Some(((first, expected), rest)) = reports.split_first() else {
        panic!("no reports to compare");
    };
    for (name, report) in rest {
        assert_eq!(
            report,
            expected,
            "{name} disagrees with {first}:\n{name}: {}\n{first}: {}",
            serde_json::to_string_pretty(report).unwrap(),
            serde_json::to_string_pretty(expected).unwrap()
        );
    }
}
