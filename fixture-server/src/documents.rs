//! The documents the fixture serves: deterministic bodies, generated once.

use std::sync::OnceLock;

use fetch_core::SEED_PATHS;

/// The lesson's four documents: path and body size in bytes, in the seed's order.
///
/// The sizes are of the order of the real forms', and all different, so that a mix-up
/// between two fetches shows in the byte counts.
pub const DOCUMENTS: [(&str, usize); 4] = [
    (SEED_PATHS[0], 147_298),
    (SEED_PATHS[1], 52_716),
    (SEED_PATHS[2], 311_904),
    (SEED_PATHS[3], 78_153),
];

/// The body size of every `/doc/N` document.
pub const SMALL_DOC_BYTES: usize = 1024;

/// The body of one of the lesson's documents, if `path` names one.
pub fn document(path: &str) -> Option<&'static [u8]> {
    static BODIES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let bodies = BODIES.get_or_init(|| {
        DOCUMENTS
            .iter()
            .map(|(path, size)| generate(path, *size))
            .collect()
    });
    DOCUMENTS
        .iter()
        .position(|(known, _)| *known == path)
        .map(|index| bodies[index].as_slice())
}

/// The body of `/doc/N`.
pub(crate) fn small_document(n: u64) -> Vec<u8> {
    generate(&format!("/doc/{n}"), SMALL_DOC_BYTES)
}

/// A deterministic body of `size` bytes for `name`: a PDF-like header, printable filler
/// from a xorshift generator seeded by the name, and a PDF trailer.
pub(crate) fn generate(name: &str, size: usize) -> Vec<u8> {
    let mut body = format!("%PDF-1.4\n% fixture document {name}\n").into_bytes();
    let trailer = b"\n%%EOF\n";
    // FNV-1a of the name seeds the filler, so each document differs.
    let mut state = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    while body.len() < size.saturating_sub(trailer.len()) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        body.push(b' ' + (state % 95) as u8);
    }
    body.extend_from_slice(trailer);
    body.truncate(size);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_deterministic_and_sized() {
        for (path, size) in DOCUMENTS {
            let body = document(path).unwrap();
            assert_eq!(body.len(), size);
            assert_eq!(body, generate(path, size));
            assert!(body.starts_with(b"%PDF-1.4\n"));
            assert!(body.ends_with(b"%%EOF\n"));
        }
        assert_ne!(document(SEED_PATHS[0]), document(SEED_PATHS[1]));
        assert_eq!(document("/nope"), None);
        assert_eq!(small_document(3).len(), SMALL_DOC_BYTES);
        assert_ne!(small_document(3), small_document(4));
    }
}
