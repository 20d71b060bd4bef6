//! hyper's own answers to a request head it cannot read, given a SOAP
//! fault body (issue 16, finding 11).
//!
//! hyper answers a head it cannot parse (400: a bad request line, header or
//! `Content-Length`), one over `max_buf_size` or with too many headers
//! (431), or a URI too long (414) by itself, before the gateway sees a
//! request, with an empty body, and closes the connection. It has no hook
//! for that answer, so a connection's writes pass through
//! [`FaultOnRefusal`]: when hyper writes such a head (a 4xx with
//! `content-length: 0` and nothing after it: the gateway's own 4xx answers
//! always carry a fault, so only hyper writes one), the head is taken and
//! the same status is written with a SOAP 1.1 `soap:Client` fault saying
//! what was wrong, and `connection: close` (hyper closes it next).
//!
//! Cost on every other write: one comparison of its first ten bytes.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::soap::{write_fault, Fault, SoapVersion};

/// What every head hyper writes starts with; a 4xx continues with `4`.
const CLIENT_ERROR_PREFIX: &[u8] = b"HTTP/1.1 4";
/// The header hyper writes on its bodiless answers.
const EMPTY_BODY: &[u8] = b"\r\ncontent-length: 0\r\n";
/// A longer write is never one of hyper's bodiless heads (status line,
/// `content-length`, `date`: under 100 bytes).
const MAX_REFUSAL_HEAD: usize = 512;

/// A connection whose writes are passed on, except hyper's bodiless
/// answer to a head it refused, which is written with a fault body.
#[derive(Debug)]
pub struct FaultOnRefusal<IO> {
    io: IO,
    /// The most bytes of request head a connection reads (named in the
    /// 431 fault).
    max_head_bytes: usize,
    /// The replacement answer still to be written, and how much of it has
    /// been.
    pending: Option<(Vec<u8>, usize)>,
}

impl<IO> FaultOnRefusal<IO> {
    /// Wraps `io`, whose request heads are at most `max_head_bytes`.
    pub fn new(io: IO, max_head_bytes: usize) -> Self {
        FaultOnRefusal {
            io,
            max_head_bytes,
            pending: None,
        }
    }
}

/// The status of `buf` when it is one of hyper's bodiless 4xx heads, whole.
fn refused_status(buf: &[u8]) -> Option<u16> {
    if !buf.starts_with(CLIENT_ERROR_PREFIX) || buf.len() > MAX_REFUSAL_HEAD {
        return None;
    }
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    if head_end != buf.len()
        || !buf[..head_end]
            .windows(EMPTY_BODY.len())
            .any(|w| w == EMPTY_BODY)
    {
        return None;
    }
    std::str::from_utf8(buf.get(9..12)?).ok()?.parse().ok()
}

/// The fault that says why hyper refused a head with `status`.
fn refusal_fault(status: u16, max_head_bytes: usize) -> Fault {
    let message = match status {
        400 => "the request head is not valid HTTP/1.1: its request line or a header \
                (Content-Length, Transfer-Encoding, a header name or value) could not be parsed"
            .to_string(),
        431 => format!(
            "the request head is too large: over {max_head_bytes} bytes or over 100 header fields"
        ),
        414 => "the request URI is too long".to_string(),
        other => format!("the request head was refused (HTTP {other})"),
    };
    Fault::invalid(message)
}

/// The whole answer written in place of hyper's head `original` (status
/// `status`): its status line and `date`, a SOAP 1.1 fault body.
fn refusal_answer(original: &[u8], status: u16, max_head_bytes: usize) -> Vec<u8> {
    let body = write_fault(SoapVersion::V11, &refusal_fault(status, max_head_bytes));
    let text = String::from_utf8_lossy(original);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("HTTP/1.1 400 Bad Request");
    let date = lines.find(|line| line.to_ascii_lowercase().starts_with("date:"));
    let mut answer = format!(
        "{status_line}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n",
        SoapVersion::V11.content_type(),
        body.len()
    );
    if let Some(date) = date {
        answer.push_str(date);
        answer.push_str("\r\n");
    }
    answer.push_str("\r\n");
    answer.push_str(&body);
    answer.into_bytes()
}

impl<IO: AsyncWrite + Unpin> FaultOnRefusal<IO> {
    /// Writes what is left of the replacement answer, if any.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((answer, written)) = &mut self.pending {
            if *written == answer.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &answer[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }

    /// Takes `buf` in place of hyper's refusal when it is one.
    fn take_refusal(&mut self, buf: &[u8]) -> bool {
        match refused_status(buf) {
            Some(status) => {
                self.pending = Some((refusal_answer(buf, status, self.max_head_bytes), 0));
                true
            }
            None => false,
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for FaultOnRefusal<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for FaultOnRefusal<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        if this.take_refusal(buf) {
            // Taken whole; what replaces it is written now or on flush.
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        // hyper's refusal has no body: it is one buffer.
        if let [only] = bufs {
            if this.take_refusal(only) {
                if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                    return Poll::Ready(Err(e));
                }
                return Poll::Ready(Ok(only.len()));
            }
        }
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const HYPER_431: &[u8] =
        b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\
                                date: Wed, 02 Dec 2026 10:00:00 GMT\r\n\r\n";

    #[test]
    fn hypers_bodiless_4xx_heads_are_recognised_with_their_status() {
        assert_eq!(refused_status(HYPER_431), Some(431));
        assert_eq!(
            refused_status(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"),
            Some(400)
        );
    }

    #[test]
    fn every_other_write_is_passed_on() {
        // A 4xx with a body (the gateway's own faults), a 200 with no body,
        // a head followed by body bytes in the same write, a partial head.
        for buf in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-length: 120\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\nextra",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
            b"<soap:Envelope>",
        ] {
            assert_eq!(
                refused_status(buf),
                None,
                "{}",
                String::from_utf8_lossy(buf)
            );
        }
    }

    #[test]
    fn a_head_is_taken_up_to_max_refusal_head_bytes_and_not_past() {
        let head_of = |len: usize| {
            let mut head = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nx: ".to_vec();
            head.resize(len - 4, b'a');
            head.extend_from_slice(b"\r\n\r\n");
            head
        };
        assert_eq!(refused_status(&head_of(MAX_REFUSAL_HEAD)), Some(400));
        assert_eq!(refused_status(&head_of(MAX_REFUSAL_HEAD + 1)), None);
    }

    #[test]
    fn the_answer_keeps_status_and_date_and_carries_a_fault() {
        let answer = String::from_utf8(refusal_answer(HYPER_431, 431, 16384)).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains("\r\ncontent-type: text/xml; charset=utf-8\r\n"));
        assert!(head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())));
        assert!(head.contains("\r\nconnection: close\r\n"));
        assert!(head.contains("\r\ndate: Wed, 02 Dec 2026 10:00:00 GMT"));
        assert!(
            body.contains("<faultcode>soap:Client</faultcode>"),
            "{body}"
        );
        assert!(body.contains("over 16384 bytes"), "{body}");
    }

    #[tokio::test]
    async fn a_refusal_is_replaced_on_the_wire_and_other_writes_pass() {
        let (near, mut far) = tokio::io::duplex(64);
        let mut io = FaultOnRefusal::new(near, 16384);
        let writer = tokio::spawn(async move {
            io.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
            io.write_all(HYPER_431).await.unwrap();
            io.flush().await.unwrap();
            io.shutdown().await.unwrap();
        });
        let mut seen = String::new();
        far.read_to_string(&mut seen).await.unwrap();
        writer.await.unwrap();
        let (first, rest) = seen.split_at("HTTP/1.1 200 OK\r\n\r\n".len());
        assert_eq!(first, "HTTP/1.1 200 OK\r\n\r\n");
        assert!(rest.starts_with("HTTP/1.1 431 "), "{rest}");
        assert!(rest.ends_with("</soap:Envelope>"), "{rest}");
    }
}
