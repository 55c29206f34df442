//! The sleep demo's checks: entries in input order, exits by duration, results in order.

use serde_json::Value;

use crate::Binary;

/// The sleep demo: entries in input order, exits by duration, results in input order, and
/// the three sleeps overlapping (1.5 s in all, not 3 s).
pub fn check_sleep_demo(report: &Value) {
    let sleep = &report["sleep"];
    let events: Vec<(String, f64)> = sleep["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let kind = e["event"].as_str().unwrap().to_owned();
            (kind, e["duration"].as_f64().unwrap())
        })
        .collect();
    let expected = [
        ("enter", 1.0),
        ("enter", 0.5),
        ("enter", 1.5),
        ("exit", 0.5),
        ("exit", 1.0),
        ("exit", 1.5),
    ];
    let expected: Vec<(String, f64)> = expected.iter().map(|(k, d)| (k.to_string(), *d)).collect();
    assert_eq!(events, expected);
    assert_eq!(sleep["results"], serde_json::json!([1.0, 0.25, 2.25]));
    let total = sleep["total_ms"].as_f64().unwrap();
    assert!(
        (1400.0..2500.0).contains(&total),
        "the sleeps took {total} ms: they did not overlap"
    );
}

/// The sleep demo alone, as a subcommand.
pub fn check_sleep_subcommand(binary: Binary) {
    let (output, report) = binary.run_json(&["sleep"]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    check_sleep_demo(&report);
}
