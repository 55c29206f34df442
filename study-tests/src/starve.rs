//! The starvation demo's checks: a hog starves the victims, and the fixes work.

use serde_json::Value;

use crate::Binary;

/// The names of the blocking pools' threads: tokio's, the blocking crate's (smol and
/// async-std), the minimal executor's, and compio's, which start unnamed and keep the
/// program's name.
const POOL_PREFIXES: [&str; 4] = ["tokio-r", "blocking-", "minimal-blockin", "runtime-compio"];

/// The starvation demo: a hog that keeps the thread makes the victims late by most of its
/// 500 ms; with no hog, with yield points, or with the work off the thread, they are not.
pub fn check_starvation(binary: Binary) -> Value {
    let _cpu = crate::cpu::keep_busy();
    let (output, report) = binary.run_json(&["starve"]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    let worst = |hog: &str| {
        let scenarios = report["scenarios"].as_array().unwrap();
        let scenario = scenarios.iter().find(|s| s["hog"] == hog).unwrap();
        scenario["worst_late_ms"].as_f64().unwrap()
    };
    for hog in ["busy-loop", "thread-sleep"] {
        assert!(
            worst(hog) > 350.0,
            "{hog}: victims only {} ms late",
            worst(hog)
        );
    }
    for hog in ["none", "yielding-loop", "off-thread"] {
        assert!(worst(hog) < 150.0, "{hog}: victims {} ms late", worst(hog));
    }
    let pool_threads = |hog: &str| -> Vec<String> {
        let scenarios = report["scenarios"].as_array().unwrap();
        let scenario = scenarios.iter().find(|s| s["hog"] == hog).unwrap();
        let names = scenario["other_threads"].as_array().unwrap().iter();
        let names = names.map(|t| t.as_str().unwrap().to_owned());
        names
            .filter(|name| POOL_PREFIXES.iter().any(|p| name.starts_with(p)))
            .collect()
    };
    assert!(
        !pool_threads("off-thread").is_empty(),
        "spawn_blocking's thread shows in the off-thread scenario: {report}"
    );
    // The pool's thread outlives the off-thread scenario, idle: it is not at work in the
    // next one, and its column does not name it.
    assert_eq!(pool_threads("ready-loop"), Vec::<String>::new(), "{report}");
    report
}

/// `--debug`, asyncio's debug mode: `starve` warns of the hog's long polls in one sentence
/// each, naming the task and saying how long the poll took; the lesson, whose polls take a
/// few milliseconds at most (2.5 ms in a debug build here, against the 100 ms limit), warns
/// of nothing.
pub fn check_debug_mode(binary: Binary) {
    let _cpu = crate::cpu::keep_busy();
    let output = binary.run(&["starve", "--debug"]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    for hog in ["busy-loop", "thread-sleep"] {
        let prefix = format!("warning: executing task \"hog ({hog})\" took ");
        let line = output
            .stderr
            .lines()
            .find(|line| line.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no warning for the {hog} hog:\n{}", output.stderr));
        let seconds: f64 = line[prefix.len()..]
            .split(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no time in {line:?}"));
        assert!((0.4..5.0).contains(&seconds), "{line}");
        assert!(line.ends_with("as asyncio's debug mode does)"), "{line}");
    }
    assert!(
        !output.stderr.contains("executing task \"ticker"),
        "a victim's poll is never long: {}",
        output.stderr
    );
    let lesson = binary.run(&["--debug", "--latency-ms", "50"]);
    assert_eq!(lesson.code, Some(0), "{}", lesson.stderr);
    assert!(
        !lesson.stderr.contains("warning: executing task"),
        "{}",
        lesson.stderr
    );
}
