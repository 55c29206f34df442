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

/// The flags a piece of text names: each `--word`.
fn flags_named(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|word| word.starts_with("--") && word.len() > 2)
        .map(str::to_owned)
        .collect()
}

/// Every refusal says what to do with the flags of the subcommand that refused, and says
/// its cause once: too many sockets for the open-files limit, on each subcommand that opens
/// them by the thousand, and a `--trace` file that cannot be written.
pub fn check_refusals_name_their_own_flags(binary: Binary) {
    let refusals: [&[&str]; 3] = [
        &["load", "--connections", "1000000", "--requests", "1"],
        &["scale", "--count", "100000000"],
        &["--trace", "/nonexistent/folder/t.json"],
    ];
    for args in refusals {
        let output = binary.run(args);
        assert_eq!(output.code, Some(2), "{args:?}: {}", output.stderr);
        let said = output.stderr.trim();
        assert_eq!(said.lines().count(), 1, "{args:?}: {said}");
        let help_args: Vec<&str> = match args[0] {
            "load" | "scale" => vec![args[0], "--help"],
            _ => vec!["--help"],
        };
        let help = binary.run(&help_args).stdout;
        for flag in flags_named(said) {
            assert!(
                help.contains(&flag),
                "{args:?}: the advice names {flag}, which `{}` does not take: {said}",
                help_args.join(" ")
            );
        }
        // The cause once: no clause said twice.
        let clauses: Vec<&str> = said.split(": ").collect();
        for (n, clause) in clauses.iter().enumerate() {
            assert!(
                !clauses[n + 1..].contains(clause),
                "{args:?}: {clause:?} is said twice: {said}"
            );
        }
    }
}
