//! The command line's checks: `--help` explains, bad flags are refused with exit code 2.

use crate::Binary;

/// `--help` explains every flag, and a bad flag is a clear error with exit code 2.
pub fn check_cli(binary: Binary) {
    let help = binary.run(&["--help"]);
    assert_eq!(help.code, Some(0));
    for flag in [
        "--gather",
        "--timeout",
        "--latency-ms",
        "--json",
        "[URL]...",
    ] {
        assert!(
            help.stdout.contains(flag),
            "--help does not explain {flag}:\n{}",
            help.stdout
        );
    }
    let bad = binary.run(&["--timeout", "0"]);
    assert_eq!(bad.code, Some(2));
    assert!(bad.stderr.contains("out of range"), "{}", bad.stderr);
    let bad = binary.run(&["--gather", "threads"]);
    assert_eq!(bad.code, Some(2));
    assert!(
        bad.stderr.contains("possible values: join, spawn"),
        "{}",
        bad.stderr
    );
    let bad = binary.run(&["--timeout", "-1"]);
    assert_eq!(bad.code, Some(2));
    assert!(bad.stderr.contains("-1 is out of range"), "{}", bad.stderr);
}

/// Each subcommand takes only the flags it honours, and says so in its `--help`: a flag
/// that would do nothing there is refused with exit code 2 and a sentence that names it.
pub fn check_flags_per_subcommand(binary: Binary) {
    let help = binary.run(&["sleep", "--help"]);
    assert_eq!(help.code, Some(0));
    assert!(help.stdout.contains("--json"), "{}", help.stdout);
    assert!(!help.stdout.contains("--client"), "{}", help.stdout);
    let help = binary.run(&["scale", "--help"]);
    for flag in ["--gather", "--client", "--base", "--concurrency"] {
        assert!(help.stdout.contains(flag), "scale --help: {flag}");
    }
    let help = binary.run(&["load", "--help"]);
    for flag in [
        "--connections",
        "--requests",
        "--rate",
        "--timeout",
        "[URL]",
    ] {
        assert!(help.stdout.contains(flag), "load --help: {flag}");
    }
    // The load demo runs hyper on the runtime's sockets: no other client.
    assert!(!help.stdout.contains("--client"), "{}", help.stdout);
    let refused: [(&[&str], &str); 7] = [
        (&["sleep", "--client", "isahc"], "--client"),
        (&["starve", "--timeout", "3"], "--timeout"),
        (&["--json", "sleep"], "`sleep` is a subcommand"),
        (
            &["http://127.0.0.1:1/", "--latency-ms", "5"],
            "--latency-ms",
        ),
        (
            &["scale", "--base", "http://127.0.0.1:1", "--latency-ms", "5"],
            "--latency-ms",
        ),
        (&["load", "--client", "isahc"], "--client"),
        (&["load", "--rate", "-5"], "--rate"),
    ];
    for (args, named) in refused {
        let bad = binary.run(args);
        assert_eq!(bad.code, Some(2), "{args:?}: {}", bad.stderr);
        assert!(bad.stderr.contains(named), "{args:?}: {}", bad.stderr);
    }
}
