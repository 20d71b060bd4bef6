//! An answer read whole, within the caller's size limit (the REST client's
//! JSON answers, a download's up to its bound).

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::chunked::{Decoder, Step};
use super::head::{parse_head, Framing, Head, MAX_HEAD_BYTES};
use super::{io_error, Conn, H1Error};

/// A complete answer.
#[derive(Debug)]
pub struct Answer {
    /// The final (non-1xx) status code.
    pub status: u16,
    /// The whole body, de-chunked.
    pub body: Bytes,
}

/// Reads more of the answer into the connection's buffer; the upstream
/// closing the connection is an error (`received`: whether any of the
/// answer had arrived).
pub(super) async fn fill<S: AsyncRead + Unpin>(
    conn: &mut Conn<S>,
    received: bool,
) -> Result<(), H1Error> {
    conn.buf.reserve(8 * 1024);
    match conn.io.read_buf(&mut conn.buf).await {
        Ok(0) => Err(closed(received)),
        Ok(_) => Ok(()),
        Err(e) => Err(io_error(&e, !received)),
    }
}

/// The error of a connection the upstream closed mid-answer (`received`)
/// or before any of it.
pub(super) fn closed(received: bool) -> H1Error {
    H1Error::Io {
        reason: if received {
            "connection closed before the answer was complete".to_string()
        } else {
            "connection closed before an answer arrived".to_string()
        },
        nothing_received: !received,
        reset: false,
    }
}

/// Reads the head of the final answer (skipping interim 1xx answers),
/// consuming it from the buffer; with `headers`, its end-to-end headers
/// are put there ([`parse_head`]).
pub(super) async fn read_head<S: AsyncRead + Unpin>(
    conn: &mut Conn<S>,
    mut headers: Option<&mut http::HeaderMap>,
) -> Result<Head, H1Error> {
    let mut received = false;
    loop {
        if conn.buf.is_empty() {
            // Nothing to parse yet (a reused connection's buffer is empty).
            fill(conn, received).await?;
        }
        if let Some(map) = headers.as_deref_mut() {
            map.clear();
        }
        match parse_head(&conn.buf, headers.as_deref_mut())? {
            Some(head) if head.status == 101 => {
                return Err(H1Error::Malformed(
                    "the upstream switched protocols (101), which the client never asks for"
                        .to_string(),
                ))
            }
            Some(head) if (100..200).contains(&head.status) => {
                conn.buf.advance(head.len);
                received = true;
            }
            Some(head) => {
                conn.buf.advance(head.len);
                return Ok(head);
            }
            None => {
                if conn.buf.len() > MAX_HEAD_BYTES {
                    return Err(H1Error::Malformed(format!(
                        "answer head larger than {MAX_HEAD_BYTES} bytes"
                    )));
                }
                fill(conn, received || !conn.buf.is_empty()).await?;
            }
        }
    }
}

/// Reads one answer (skipping interim 1xx answers): the answer and, when
/// the connection can be reused, the upstream's keep-alive timeout (if it
/// gave one).
pub(super) async fn read_answer<S: AsyncRead + Unpin>(
    conn: &mut Conn<S>,
    max_body: usize,
) -> Result<(Answer, Option<Option<Duration>>), H1Error> {
    let head = read_head(conn, None).await?;
    let body = match head.framing {
        Framing::Empty => Bytes::new(),
        Framing::Length(n) => {
            if n > max_body {
                return Err(H1Error::TooLarge(max_body));
            }
            // Room for the whole body at once: grown 8 KiB at a time, a
            // download's 67 MiB of base64 was reallocated (old and new copy
            // held together) as it arrived.
            // (`fill` reserves 8 KiB more each time: keep that room too.)
            if conn.buf.len() < n {
                conn.buf.reserve(n - conn.buf.len() + 8 * 1024);
            }
            while conn.buf.len() < n {
                fill(conn, true).await?;
            }
            let body = conn.buf.split_to(n).freeze();
            if n > 64 * 1024 && conn.buf.is_empty() {
                // The rest of the buffer shares the body's allocation: an
                // idle connection would keep a large answer alive.
                conn.buf = BytesMut::new();
            }
            body
        }
        Framing::Chunked => read_chunked(conn, max_body).await?,
        Framing::UntilClose => {
            loop {
                if conn.buf.len() > max_body {
                    return Err(H1Error::TooLarge(max_body));
                }
                conn.buf.reserve(8 * 1024);
                match conn.io.read_buf(&mut conn.buf).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => return Err(io_error(&e, false)),
                }
            }
            conn.buf.split().freeze()
        }
    };
    // Anything after the answer (which nothing asked for) makes the
    // connection unusable.
    let reusable = head.keep_alive && conn.buf.is_empty();
    Ok((
        Answer {
            status: head.status,
            body,
        },
        reusable.then_some(head.keep_alive_timeout),
    ))
}

/// Reads a chunked body whole, within `max_body`.
async fn read_chunked<S: AsyncRead + Unpin>(
    conn: &mut Conn<S>,
    max_body: usize,
) -> Result<Bytes, H1Error> {
    let mut body = BytesMut::new();
    let mut decoder = Decoder::new();
    loop {
        match decoder.step(&mut conn.buf)? {
            Step::Data(data) => {
                if data.len() > max_body - body.len() {
                    return Err(H1Error::TooLarge(max_body));
                }
                body.extend_from_slice(&data);
            }
            Step::More => {
                // A chunk declared larger than what is left of the limit
                // is refused before it is waited for.
                if decoder.chunk_left() > (max_body - body.len()) as u64 {
                    return Err(H1Error::TooLarge(max_body));
                }
                fill(conn, true).await?
            }
            Step::Done => return Ok(body.freeze()),
        }
    }
}
