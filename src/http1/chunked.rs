//! The `chunked` transfer coding (RFC 9112 §7.1), decoded incrementally from
//! a connection's read buffer: each step takes what the buffer holds and
//! says whether it got data, needs more bytes, or reached the end. Chunk
//! extensions and trailer fields are read and dropped. Each byte is looked
//! at a bounded number of times (a size line or trailer field is searched
//! again only while it is incomplete, within [`MAX_HEAD_BYTES`]).

use bytes::{Buf, Bytes, BytesMut};

use super::head::MAX_HEAD_BYTES;
use super::H1Error;

/// Where the decoder is in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before a chunk size line.
    Size,
    /// Inside a chunk's data: this many bytes to go.
    Data(u64),
    /// After a chunk's data: its CRLF.
    DataEnd,
    /// After the last chunk: trailer fields, then the empty line.
    Trailers,
    /// The whole body has been read.
    Done,
}

/// The outcome of one [`Decoder::step`].
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Body bytes (the buffer's own, split off it).
    Data(Bytes),
    /// The buffer holds no more of the body: read more into it.
    More,
    /// The body is complete; the buffer holds what follows it.
    Done,
}

/// A chunked body's decoder.
#[derive(Debug)]
pub(super) struct Decoder {
    state: State,
}

impl Decoder {
    /// A decoder at the start of a body.
    pub(super) fn new() -> Self {
        Decoder { state: State::Size }
    }

    /// The bytes of the current chunk still to come, as its size line
    /// declared (0 between chunks): what lets a reader refuse a chunk too
    /// large before waiting for it.
    pub(super) fn chunk_left(&self) -> u64 {
        match self.state {
            State::Data(left) => left,
            _ => 0,
        }
    }

    /// Decodes from the front of `buf` until it has data, needs more, or
    /// the body ends; what it consumed is removed from `buf`.
    pub(super) fn step(&mut self, buf: &mut BytesMut) -> Result<Step, H1Error> {
        loop {
            match self.state {
                State::Size => match httparse::parse_chunk_size(buf) {
                    Ok(httparse::Status::Complete((len, size))) => {
                        buf.advance(len);
                        self.state = if size == 0 {
                            State::Trailers
                        } else {
                            State::Data(size)
                        };
                    }
                    Ok(httparse::Status::Partial) => {
                        if buf.len() > MAX_HEAD_BYTES {
                            return Err(H1Error::Malformed("chunk size line too long".to_string()));
                        }
                        return Ok(Step::More);
                    }
                    Err(_) => {
                        return Err(H1Error::Malformed(
                            "invalid chunk size in the answer".to_string(),
                        ))
                    }
                },
                State::Data(left) => {
                    if buf.is_empty() {
                        return Ok(Step::More);
                    }
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    let data = buf.split_to(n).freeze();
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                    return Ok(Step::Data(data));
                }
                State::DataEnd => {
                    if buf.len() < 2 {
                        return Ok(Step::More);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(H1Error::Malformed(
                            "chunk data not followed by CRLF".to_string(),
                        ));
                    }
                    buf.advance(2);
                    self.state = State::Size;
                }
                State::Trailers => match buf.windows(2).position(|w| w == b"\r\n") {
                    Some(0) => {
                        buf.advance(2);
                        self.state = State::Done;
                    }
                    Some(end) => buf.advance(end + 2),
                    None => {
                        if buf.len() > MAX_HEAD_BYTES {
                            return Err(H1Error::Malformed(
                                "chunked trailers too large".to_string(),
                            ));
                        }
                        return Ok(Step::More);
                    }
                },
                State::Done => return Ok(Step::Done),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `wire` fed in pieces of `piece` bytes: the body, and what
    /// was left after it.
    fn decode(wire: &[u8], piece: usize) -> Result<(Vec<u8>, Vec<u8>), H1Error> {
        let mut decoder = Decoder::new();
        let mut buf = BytesMut::new();
        let mut body = Vec::new();
        let mut rest = wire.chunks(piece);
        loop {
            match decoder.step(&mut buf)? {
                Step::Data(data) => body.extend_from_slice(&data),
                Step::More => match rest.next() {
                    Some(more) => buf.extend_from_slice(more),
                    None => return Err(H1Error::Malformed("ran out".into())),
                },
                Step::Done => return Ok((body, buf.to_vec())),
            }
        }
    }

    #[test]
    fn chunks_extensions_and_trailers_in_any_pieces() {
        let wire = b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\nNEXT";
        for piece in 1..wire.len() {
            let (body, after) = decode(wire, piece).unwrap();
            assert_eq!(body, b"hello, world", "piece {piece}");
            // What follows the body stays in the buffer (as much of it as
            // had been read).
            assert!(b"NEXT".starts_with(&after), "piece {piece}: {after:?}");
        }
    }

    #[test]
    fn bad_chunks_are_refused() {
        for bad in [&b"zz\r\n"[..], b"3\r\nabcX\r\n", b"3\r\nabc\r\nq\r\n"] {
            assert!(
                matches!(decode(bad, 64), Err(H1Error::Malformed(m)) if m != "ran out"),
                "{bad:?}"
            );
        }
    }
}
