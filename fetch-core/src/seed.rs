//! What the seed fetches: the paths of its four documents, and about how long each took.

use std::time::Duration;

use url::Url;

/// The paths of the four documents the lesson fetches (`http://www.irs.gov/pub/irs-pdf/…`).
///
/// The binaries fetch them from the local fixture server by default, so that a first run
/// works offline and its numbers do not depend on someone else's network.
pub const SEED_PATHS: [&str; 4] = [
    "/pub/irs-pdf/f1040.pdf",
    "/pub/irs-pdf/f1040ez.pdf",
    "/pub/irs-pdf/f1040es.pdf",
    "/pub/irs-pdf/f1040sb.pdf",
];

/// The fixture's latency for the lesson, unless told otherwise: about one transatlantic
/// fetch, so that four in turn take a second or so.
pub const LESSON_LATENCY: Duration = Duration::from_millis(300);

/// The URLs of the lesson's four documents on the server at `base`.
pub fn seed_urls(base: &Url) -> Vec<String> {
    SEED_PATHS
        .iter()
        .filter_map(|path| base.join(path).ok())
        .map(String::from)
        .collect()
}
