//! Which answer a request gets: the patterns below, then the fault matrix's own routes
//! ([`crate::MATRIX`], the one table of them), then 404.
//!
//! | path | answer |
//! | --- | --- |
//! | `/pub/irs-pdf/f1040*.pdf` | 200, one of [`crate::DOCUMENTS`] |
//! | `/doc/N` | 200, a 1 KiB body that depends on N |
//! | `/status/N` | status N (400 to 599) with a short text body |
//! | `/redirect/N` | 302 to `/redirect/N-1`; `/redirect/0` redirects to `/doc/0` |
//! | `/redirect?to=URL` | 302 to URL |
//! | `/stats/accepted` | 200, the number of connections the server has accepted, this one included |
//! | `/stats/peak-open` | 200, the most connections open at once since the last such request (this one included) |
//! | a path of [`crate::MATRIX`] | its fault, or its hostile answer |
//! | anything else | 404 |
//!
//! Every answer comes after the latency. A connection closes after one answer, with
//! `Connection: close`, unless the server keeps connections alive (`connection::Settings`): then a
//! valid answer (a document, a status, a redirect) leaves it open for the next request,
//! unless the client asked to close it. Every other answer closes it.

use crate::answers::Answer;
use crate::documents::{document, small_document};
use crate::matrix::answer_of;

/// Chooses the answer for a path (and a `to` target, for `/redirect`).
pub(crate) fn route(path: &str, to: Option<String>) -> Answer {
    if let Some(body) = document(path) {
        return Answer::Document(body);
    }
    let number = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|n| n.parse::<u64>().ok())
    };
    if let Some(n) = number("/doc/") {
        return Answer::Body(small_document(n));
    }
    if let Some(status) = number("/status/").filter(|s| (400..600).contains(s)) {
        return Answer::Status(status as u16);
    }
    if let Some(n) = number("/redirect/") {
        return match n {
            0 => Answer::Redirect("/doc/0".into()),
            n => Answer::Redirect(format!("/redirect/{}", n - 1).into()),
        };
    }
    match (path, to) {
        ("/redirect", Some(to)) => Answer::Redirect(to.into()),
        (path, _) => answer_of(path).unwrap_or(Answer::Status(404)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::SMALL_DOC_BYTES;
    use crate::matrix::MATRIX;

    #[test]
    fn routes_cover_the_table() {
        assert!(matches!(route("/doc/7", None), Answer::Body(b) if b.len() == SMALL_DOC_BYTES));
        assert!(matches!(route("/status/500", None), Answer::Status(500)));
        assert!(matches!(route("/status/200", None), Answer::Status(404)));
        assert!(matches!(route("/redirect/2", None), Answer::Redirect(to) if to == "/redirect/1"));
        assert!(matches!(route("/redirect/0", None), Answer::Redirect(to) if to == "/doc/0"));
        assert!(matches!(route("/fault/endless", None), Answer::Endless));
        assert!(matches!(route("/nowhere", None), Answer::Status(404)));
    }

    #[test]
    fn every_route_of_the_matrix_gets_its_own_answer_not_a_404() {
        for route_of_matrix in &MATRIX {
            let (path, query) = route_of_matrix
                .path
                .split_once('?')
                .unwrap_or((route_of_matrix.path, ""));
            let to = query.strip_prefix("to=").map(str::to_owned);
            let answer = route(path, to);
            // `/status/404` asks for its 404; any other path got it for want of a route.
            let asked = path.starts_with("/status/");
            assert!(
                asked || !matches!(answer, Answer::Status(404)),
                "{} gets a 404",
                route_of_matrix.path
            );
        }
    }
}
