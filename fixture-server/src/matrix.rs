//! The fault matrix, the one table of the fixture's own routes: each path with what the
//! server does there, what every client must make of it, and, for the paths that no
//! pattern of [`crate::routes`] answers, the answer itself. The router serves the faults
//! from it, study-tests checks every client against it, and `compare reliability` makes
//! docs/RELIABILITY.md's table from it.

use std::borrow::Cow;

use crate::answers::Answer;

/// The flags every run of the fault matrix takes besides `--client`: a 2 s timeout, where
/// the stalls and the drips end, and a 1 MB body cap, where the endless and the huge bodies
/// end. `compare reliability` and study-tests' fault matrix both run with them.
pub const MATRIX_FLAGS: [&str; 4] = ["--timeout", "2", "--max-body", "1000000"];

/// What a route of the matrix must give every client, run with [`MATRIX_FLAGS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Success with exactly these body bytes: a valid answer.
    Bytes(u64),
    /// A valid answer that surf cannot read: exactly these bytes with hyper and isahc, and
    /// with surf an error that names its limitation.
    BytesUnlessSurf(u64),
    /// An error whose message starts with one of these.
    Error(&'static [&'static str]),
}

/// One route of the matrix.
#[derive(Debug)]
pub struct Route {
    /// The path and query to request.
    pub path: &'static str,
    /// What the server does there, in one line.
    pub does: &'static str,
    /// What every client must make of it.
    pub expect: Expect,
    /// The answer, where this table gives it; `None` where a pattern of the router
    /// answers the path (`/doc/N`, `/status/N`, `/redirect/N`, `/redirect?to=URL`).
    answer: Option<Answer>,
}

/// The routes of the fault matrix: the polite faults, then the hostile server's.
/// `compare reliability` runs every runtime and client against them, and study-tests' fault
/// matrix checks what each client makes of each.
pub const MATRIX: [Route; 28] = [
    Route {
        path: "/doc/1",
        does: "200, 1 KiB (a good answer)",
        expect: Expect::Bytes(1024),
        answer: None,
    },
    Route {
        path: "/redirect/9",
        does: "nine redirects, then 200 (a good answer)",
        expect: Expect::Bytes(1024),
        answer: None,
    },
    Route {
        path: "/fault/reset",
        does: "resets the connection right after the request",
        expect: Expect::Error(&["HTTP error", "response cut short"]),
        answer: Some(Answer::Reset),
    },
    Route {
        path: "/fault/reset-body",
        does: "headers, half the body, then a reset",
        expect: Expect::Error(&["HTTP error", "response cut short"]),
        answer: Some(Answer::ResetBody),
    },
    Route {
        path: "/fault/stall",
        does: "headers, then silence",
        expect: Expect::Error(&["timed out after 2 s"]),
        answer: Some(Answer::Stall),
    },
    Route {
        path: "/fault/drip",
        does: "headers, then the body one byte a second",
        expect: Expect::Error(&["timed out after 2 s"]),
        answer: Some(Answer::Drip),
    },
    Route {
        path: "/fault/garbage",
        does: "a garbage status line",
        expect: Expect::Error(&["HTTP error"]),
        answer: Some(Answer::Garbage),
    },
    Route {
        path: "/fault/huge-headers",
        does: "more than 1 MiB of headers",
        expect: Expect::Error(&["HTTP error", "response cut short"]),
        answer: Some(Answer::HugeHeaders),
    },
    Route {
        path: "/fault/truncated",
        does: "Content-Length longer than the body, then close",
        expect: Expect::Error(&["response cut short"]),
        answer: Some(Answer::Truncated),
    },
    Route {
        path: "/fault/endless",
        does: "a chunked body that never ends",
        expect: Expect::Error(&["body larger than the 1000000 byte cap"]),
        answer: Some(Answer::Endless),
    },
    Route {
        path: "/status/404",
        does: "404",
        expect: Expect::Error(&["server answered HTTP 404"]),
        answer: None,
    },
    Route {
        path: "/status/500",
        does: "500",
        expect: Expect::Error(&["server answered HTTP 500"]),
        answer: None,
    },
    Route {
        path: "/fault/redirect-loop",
        does: "a redirect to itself",
        expect: Expect::Error(&["redirect loop"]),
        answer: Some(Answer::Redirect(Cow::Borrowed("/fault/redirect-loop"))),
    },
    Route {
        path: "/redirect/10",
        does: "ten redirects, then 200: one too many",
        expect: Expect::Error(&["more than 10 redirects"]),
        answer: None,
    },
    Route {
        path: "/redirect?to=ftp://127.0.0.1/f",
        does: "a redirect to ftp://",
        expect: Expect::Error(&["bad redirect: to ftp://"]),
        answer: None,
    },
    Route {
        path: "/redirect?to=http://127.0.0.1:1/",
        does: "a redirect to a closed port",
        expect: Expect::Error(&["cannot connect to 127.0.0.1:1"]),
        answer: None,
    },
    Route {
        path: "/hostile/silent",
        does: "reads the request, never answers",
        expect: Expect::Error(&["timed out after 2 s"]),
        answer: Some(Answer::Silent),
    },
    Route {
        path: "/hostile/drip-headers",
        does: "the head, one byte a second",
        expect: Expect::Error(&["timed out after 2 s"]),
        answer: Some(Answer::DripHeaders),
    },
    Route {
        path: "/hostile/close-delimited",
        does: "no Content-Length, 512 bytes, then close (valid)",
        expect: Expect::BytesUnlessSurf(512),
        answer: Some(Answer::CloseDelimited),
    },
    Route {
        path: "/hostile/two-lengths",
        does: "two different Content-Length headers",
        expect: Expect::Error(&["HTTP error", "invalid framing"]),
        answer: Some(Answer::TwoLengths),
    },
    Route {
        path: "/hostile/http10",
        does: "an HTTP/1.0 answer, 512 bytes (valid)",
        expect: Expect::BytesUnlessSurf(512),
        answer: Some(Answer::Http10),
    },
    Route {
        path: "/hostile/early-hints",
        does: "103 Early Hints, then 200 with 512 bytes (valid)",
        expect: Expect::BytesUnlessSurf(512),
        answer: Some(Answer::EarlyHints),
    },
    Route {
        path: "/hostile/http09",
        does: "a body with no status line (HTTP/0.9)",
        expect: Expect::Error(&["HTTP error"]),
        answer: Some(Answer::Http09),
    },
    Route {
        path: "/hostile/bad-chunk",
        does: "a chunk size that is not hexadecimal",
        expect: Expect::Error(&["HTTP error", "response cut short"]),
        answer: Some(Answer::BadChunk),
    },
    Route {
        path: "/hostile/huge-length",
        does: "announces 5 GB and streams as fast as it can",
        expect: Expect::Error(&["body larger than the 1000000 byte cap"]),
        answer: Some(Answer::HugeLength),
    },
    Route {
        path: "/hostile/file-redirect",
        does: "a redirect to file:///etc/passwd",
        expect: Expect::Error(&["bad redirect: to file:///etc/passwd"]),
        answer: Some(Answer::Redirect(Cow::Borrowed("file:///etc/passwd"))),
    },
    // Decoded (isahc) or not (hyper, surf), the body is over the cap long before its end.
    Route {
        path: "/hostile/gzip-bomb",
        does: "gzip: about 10 MB that inflate to 10 GiB",
        expect: Expect::Error(&["body larger than the 1000000 byte cap"]),
        answer: Some(Answer::GzipBomb),
    },
    Route {
        path: "/hostile/no-close-notify",
        does: "512 bytes, then no TLS close_notify (valid; no TLS over http)",
        expect: Expect::Bytes(512),
        answer: Some(Answer::NoCloseNotify),
    },
];

/// The answer the table gives for `path`, if it is one of its own.
pub(crate) fn answer_of(path: &str) -> Option<Answer> {
    MATRIX
        .iter()
        .find(|route| route.path == path)
        .and_then(|route| route.answer.clone())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The number of each fault answer, or `None` for the answers that patterns give. The
    /// match is exhaustive: a new answer does not compile until it has its number here, and
    /// then the test below asks for a route that serves it.
    fn fault_number(answer: &Answer) -> Option<usize> {
        Some(match answer {
            Answer::Document(_) | Answer::Body(_) | Answer::Status(_) => return None,
            Answer::Redirect(location) if location == "/fault/redirect-loop" => 0,
            Answer::Redirect(location) if location == "file:///etc/passwd" => 1,
            Answer::Redirect(_) => return None,
            Answer::Reset => 2,
            Answer::ResetBody => 3,
            Answer::Stall => 4,
            Answer::Drip => 5,
            Answer::Garbage => 6,
            Answer::HugeHeaders => 7,
            Answer::Truncated => 8,
            Answer::Endless => 9,
            Answer::Silent => 10,
            Answer::DripHeaders => 11,
            Answer::CloseDelimited => 12,
            Answer::TwoLengths => 13,
            Answer::Http10 => 14,
            Answer::EarlyHints => 15,
            Answer::Http09 => 16,
            Answer::BadChunk => 17,
            Answer::HugeLength => 18,
            Answer::GzipBomb => 19,
            Answer::NoCloseNotify => 20,
        })
    }

    #[test]
    fn every_fault_answer_is_served_by_one_route_of_the_matrix() {
        let served: Vec<usize> = MATRIX
            .iter()
            .filter_map(|route| route.answer.as_ref().and_then(fault_number))
            .collect();
        let missing: Vec<usize> = (0..=20).filter(|n| !served.contains(n)).collect();
        assert!(
            missing.is_empty(),
            "no route of MATRIX serves the fault answers numbered {missing:?} in fault_number"
        );
        assert_eq!(served.len(), 21, "a fault answer is served twice");
    }

    #[test]
    fn the_reliability_table_has_the_matrix_routes_in_its_order() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/RELIABILITY.md");
        let doc = std::fs::read_to_string(path).unwrap();
        let rows: Vec<&str> = doc
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|line| line.split_once("` | ").map(|(path, _)| path))
            .collect();
        let paths: Vec<&str> = MATRIX.iter().map(|route| route.path).collect();
        assert_eq!(
            rows, paths,
            "docs/RELIABILITY.md's table is not MATRIX's: run `cargo run --release -p compare \
             -- reliability` and put its table there"
        );
        let unique: BTreeSet<&str> = paths.iter().copied().collect();
        assert_eq!(unique.len(), paths.len(), "a path is in MATRIX twice");
    }
}
