//! The gzip bomb of `/hostile/gzip-bomb`: a valid gzip stream of about 10 MB that inflates
//! to 10 GiB of zeros.
//!
//! It is made once, from three pieces that flate2 compresses: the first MiB of zeros, one
//! more MiB (which, once the window is all zeros and each piece ends on a sync flush,
//! compresses to the same bytes every time, so it is repeated rather than compressed again),
//! and the end of the stream. The gzip header and trailer (CRC-32 and length) are RFC 1952's.

use std::sync::OnceLock;

use flate2::{Compress, Compression, Crc, FlushCompress};

/// How many zeros each repeated piece inflates to.
const PIECE: usize = 1 << 20;

/// How many pieces the bomb has: 10 GiB once inflated.
const PIECES: u64 = 10 * 1024;

/// A gzip header: magic, deflate, no flags, no time, no extra flags, unknown OS.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// A gzip stream of `pieces` MiB of zeros, as the bytes of its start, of the piece repeated
/// `pieces - 1` times after it, and of its end.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Bomb {
    /// The gzip header and the first piece.
    pub(crate) start: Vec<u8>,
    /// One more piece, sent `pieces - 1` times.
    pub(crate) repeated: Vec<u8>,
    /// How many times `repeated` is sent.
    pub(crate) repeats: u64,
    /// The end of the deflate stream and the gzip trailer.
    pub(crate) end: Vec<u8>,
}

impl Bomb {
    /// The whole stream's length in bytes, for `Content-Length`.
    pub(crate) fn len(&self) -> u64 {
        self.start.len() as u64 + self.repeated.len() as u64 * self.repeats + self.end.len() as u64
    }
}

/// The bomb `/hostile/gzip-bomb` serves, made on first use.
pub(crate) fn bomb() -> &'static Bomb {
    static BOMB: OnceLock<Bomb> = OnceLock::new();
    BOMB.get_or_init(|| make(PIECES))
}

/// Makes a gzip stream of `pieces` (at least 1) MiB of zeros.
fn make(pieces: u64) -> Bomb {
    let zeros = vec![0_u8; PIECE];
    let mut deflate = Compress::new(Compression::best(), false);
    let mut compress = |input: &[u8], flush| {
        // A MiB of zeros compresses to about a KiB: 64 KiB is room enough, and a piece that
        // did not fit would fail the tests below (they inflate the stream).
        let mut out = Vec::with_capacity(64 * 1024);
        let status = deflate.compress_vec(input, &mut out, flush);
        debug_assert!(status.is_ok(), "deflate refused a piece: {status:?}");
        out
    };
    let mut start = HEADER.to_vec();
    start.extend(compress(&zeros, FlushCompress::Sync));
    let repeated = compress(&zeros, FlushCompress::Sync);
    let mut end = compress(&[], FlushCompress::Finish);
    let mut piece_crc = Crc::new();
    piece_crc.update(&zeros);
    let mut crc = Crc::new();
    for _ in 0..pieces {
        crc.combine(&piece_crc);
    }
    end.extend(crc.sum().to_le_bytes());
    end.extend(crc.amount().to_le_bytes());
    Bomb {
        start,
        repeated,
        repeats: pieces - 1,
        end,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// The bytes of a bomb of `pieces` MiB, whole.
    fn whole(bomb: &Bomb) -> Vec<u8> {
        let mut bytes = bomb.start.clone();
        for _ in 0..bomb.repeats {
            bytes.extend(&bomb.repeated);
        }
        bytes.extend(&bomb.end);
        bytes
    }

    #[test]
    fn a_small_bomb_inflates_to_its_zeros_and_its_trailer_checks() {
        let bomb = make(5);
        let mut inflated = Vec::new();
        // GzDecoder checks the CRC-32 and the length in the trailer.
        flate2::read::GzDecoder::new(&whole(&bomb)[..])
            .read_to_end(&mut inflated)
            .unwrap();
        assert_eq!(inflated.len(), 5 * PIECE);
        assert!(inflated.iter().all(|&byte| byte == 0));
    }

    #[test]
    fn the_repeated_piece_is_what_compressing_again_gives() {
        // Were the later pieces' bytes not the second's, repeating it would not be valid.
        let mut deflate = Compress::new(Compression::best(), false);
        let zeros = vec![0_u8; PIECE];
        let mut pieces = Vec::new();
        for _ in 0..5 {
            let mut out = Vec::with_capacity(64 * 1024);
            deflate
                .compress_vec(&zeros, &mut out, FlushCompress::Sync)
                .unwrap();
            pieces.push(out);
        }
        assert_eq!(deflate.total_in(), 5 * PIECE as u64);
        for later in &pieces[2..] {
            assert_eq!(later, &pieces[1]);
        }
        assert_eq!(pieces[1], make(2).repeated);
    }

    #[test]
    fn the_served_bomb_is_about_ten_megabytes_for_ten_gibibytes() {
        let bomb = bomb();
        assert_eq!((bomb.repeats + 1) * PIECE as u64, 10 << 30);
        assert!(bomb.len() < 20_000_000, "{}", bomb.len());
    }
}
