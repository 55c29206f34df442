//! Reading a response body under the `--max-body` cap, the same way for every client.

use futures::{AsyncRead, AsyncReadExt};

use fetch_core::FetchError;

/// Refuses a body whose announced length (`Content-Length`) is already over the cap,
/// before reading any of it.
pub(crate) fn check_announced(announced: Option<u64>, max: u64) -> Result<(), FetchError> {
    match announced {
        Some(length) if length > max => Err(FetchError::BodyTooLarge { max }),
        _ => Ok(()),
    }
}

/// Reads `body` to its end, counting the bytes and keeping none, and stops with
/// [`FetchError::BodyTooLarge`] as soon as the count passes `max`. `explain` says what a
/// read error means, in the client's terms.
pub(crate) async fn read_capped(
    mut body: impl AsyncRead + Unpin,
    announced: Option<u64>,
    max: u64,
    explain: impl Fn(std::io::Error) -> FetchError,
) -> Result<u64, FetchError> {
    check_announced(announced, max)?;
    let mut buffer = vec![0; 64 * 1024];
    let mut bytes = 0;
    loop {
        let n = body.read(&mut buffer).await.map_err(&explain)?;
        if n == 0 {
            return Ok(bytes);
        }
        bytes += n as u64;
        if bytes > max {
            return Err(FetchError::BodyTooLarge { max });
        }
    }
}
