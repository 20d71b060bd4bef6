//! An answer whose body is streamed: [`AnswerBody`] decodes the framing
//! (`Content-Length`, `chunked`, close-delimited) from the connection as
//! its reader polls it, passes each piece on as it arrives (never
//! collecting the body), and gives the connection back to its pool once the
//! last byte of an answer that allows keep-alive has been decoded. A body
//! dropped before its end closes the connection.
//!
//! The body sets no deadline of its own: its reader bounds each wait (the
//! legacy route's `AnswerStream`, `--upstream-timeout`).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, ReadBuf};

use super::chunked::{Decoder, Step};
use super::head::Framing;
use super::pool::H1Pool;
use super::whole::closed;
use super::{io_error, Conn, H1Error};

/// How much is read from the connection at a time while streaming.
const READ_CHUNK: usize = 16 * 1024;

/// An answer's head, and its body to stream.
#[derive(Debug)]
pub struct StreamedAnswer {
    /// The final (non-1xx) status code (100-599).
    pub status: u16,
    /// The answer's headers as received, less the hop-by-hop ones and
    /// those its `Connection` header names. `Content-Length` is kept;
    /// `Transfer-Encoding` is not (the body is decoded).
    pub headers: HeaderMap,
    /// The body, decoded as it is read.
    pub body: AnswerBody,
}

/// Where the body's framing is.
#[derive(Debug)]
enum Left {
    /// This many bytes to go (`Content-Length`).
    Length(u64),
    /// A chunked body.
    Chunked(Decoder),
    /// Until the upstream closes.
    UntilClose,
}

/// A streamed answer body (see the module doc).
pub struct AnswerBody {
    /// The connection, until the body ends.
    conn: Option<Box<Conn>>,
    left: Left,
    /// Where the connection goes back to, and the upstream's keep-alive
    /// timeout; `None` when the answer does not allow reuse.
    reuse: Option<(Arc<H1Pool>, Option<Duration>)>,
}

impl std::fmt::Debug for AnswerBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerBody")
            .field("open", &self.conn.is_some())
            .field("left", &self.left)
            .finish()
    }
}

impl AnswerBody {
    /// The body that follows a head with `framing` on `conn`; `reuse` as
    /// on the field. An empty body is complete at once.
    pub(super) fn new(
        conn: Box<Conn>,
        framing: Framing,
        reuse: Option<(Arc<H1Pool>, Option<Duration>)>,
    ) -> Self {
        let left = match framing {
            Framing::Empty => Left::Length(0),
            Framing::Length(n) => Left::Length(n as u64),
            Framing::Chunked => Left::Chunked(Decoder::new()),
            Framing::UntilClose => Left::UntilClose,
        };
        let mut body = AnswerBody {
            conn: Some(conn),
            left,
            reuse,
        };
        if matches!(body.left, Left::Length(0)) {
            body.finish();
        }
        body
    }

    /// The body is complete: the connection goes back to the pool when the
    /// answer allows it and nothing unread follows, else it is closed.
    fn finish(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if let Some((pool, keep_alive)) = self.reuse.take() {
            if conn.buf.is_empty() {
                pool.checkin(conn, keep_alive);
            }
        }
    }

    /// Fails the body: the connection is closed.
    fn fail(&mut self, err: H1Error) -> Poll<Option<Result<Frame<Bytes>, H1Error>>> {
        self.conn = None;
        self.reuse = None;
        Poll::Ready(Some(Err(err)))
    }
}

/// Reads what the connection has into its buffer: the number of bytes (0
/// when the upstream closed it).
fn poll_fill(conn: &mut Conn, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
    poll_fill_up_to(conn, cx, READ_CHUNK)
}

/// [`poll_fill`] of at most `most` bytes.
pub(super) fn poll_fill_up_to(
    conn: &mut Conn,
    cx: &mut Context<'_>,
    most: usize,
) -> Poll<std::io::Result<usize>> {
    // Zeroed room rather than uninitialised memory (no `unsafe`): only
    // reads past the bytes that came with the head get here, each of up to
    // `most`.
    let start = conn.buf.len();
    conn.buf.resize(start + most, 0);
    let mut read = ReadBuf::new(&mut conn.buf[start..]);
    let polled = Pin::new(&mut conn.io).poll_read(cx, &mut read);
    let n = read.filled().len();
    conn.buf.truncate(start + n);
    polled.map_ok(|()| n)
}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = H1Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, H1Error>>> {
        let this = &mut *self;
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match &mut this.left {
                Left::Length(0) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Left::Length(left) if !conn.buf.is_empty() => {
                    let n = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(conn.buf.len());
                    let data = conn.buf.split_to(n).freeze();
                    *left -= n as u64;
                    if *left == 0 {
                        this.finish();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Left::Chunked(decoder) => match decoder.step(&mut conn.buf) {
                    Ok(Step::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(Step::Done) => {
                        this.finish();
                        return Poll::Ready(None);
                    }
                    Ok(Step::More) => {}
                    Err(err) => return this.fail(err),
                },
                Left::UntilClose if !conn.buf.is_empty() => {
                    let data = conn.buf.split().freeze();
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Left::Length(_) | Left::UntilClose => {}
            }
            // The buffer holds nothing more of the body: read.
            match poll_fill(conn, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) if matches!(this.left, Left::UntilClose) => {
                    this.conn = None;
                    return Poll::Ready(None);
                }
                Poll::Ready(Ok(0)) => return this.fail(closed(true)),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return this.fail(io_error(&e, false)),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.conn.is_none() || matches!(self.left, Left::Length(0))
    }

    fn size_hint(&self) -> SizeHint {
        match (&self.conn, &self.left) {
            (None, _) => SizeHint::with_exact(0),
            (Some(_), Left::Length(left)) => SizeHint::with_exact(*left),
            _ => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use http::Uri;
    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::rest::connect::Route;

    const REQUEST: &[u8] = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n";

    /// An upstream that answers each request with the next of `answers`,
    /// each written in pieces with a pause between them, and closes the
    /// connection after the last; how many connections it accepted.
    async fn upstream(answers: Vec<Vec<&'static [u8]>>) -> (Uri, tokio::task::JoinHandle<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        let server = tokio::spawn(async move {
            let mut accepted = 0;
            let mut answers = answers.into_iter().peekable();
            'conns: while let Ok(Ok((mut stream, _))) =
                tokio::time::timeout(Duration::from_millis(500), listener.accept()).await
            {
                accepted += 1;
                loop {
                    let mut buf = [0u8; 1024];
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => continue 'conns,
                        Ok(_) => {}
                    }
                    let Some(pieces) = answers.next() else {
                        break 'conns;
                    };
                    for piece in pieces {
                        stream.write_all(piece).await.unwrap();
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    if answers.peek().is_none() {
                        break 'conns;
                    }
                }
            }
            accepted
        });
        (uri, server)
    }

    fn pool() -> Arc<H1Pool> {
        let connector =
            crate::rest::client::connector(Arc::new(Route::Direct), Duration::from_secs(2), &[])
                .unwrap();
        Arc::new(H1Pool::new(connector, Duration::from_secs(30)))
    }

    /// Reads a streamed body: its pieces as they came.
    async fn pieces(mut body: AnswerBody) -> Result<Vec<Vec<u8>>, H1Error> {
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            out.push(frame?.into_data().unwrap().to_vec());
        }
        Ok(out)
    }

    #[tokio::test]
    async fn bodies_stream_in_pieces_and_the_connection_is_reused_after_each_complete_one() {
        let (uri, server) = upstream(vec![
            vec![
                b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\nx-a: 1\r\n\r\nhello",
                b"world",
            ],
            vec![
                b"HTTP/1.1 500 Internal Server Error\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n",
                b"2\r\nde\r\n0\r\n\r\n",
            ],
            vec![b"HTTP/1.1 204 No Content\r\n\r\n"],
        ])
        .await;
        let pool = pool();
        let first = pool
            .exchange_streamed(&uri, &[REQUEST], false)
            .await
            .unwrap();
        assert_eq!(first.status, 200);
        assert_eq!(first.headers["x-a"], "1");
        assert_eq!(first.body.size_hint().exact(), Some(10));
        assert_eq!(pieces(first.body).await.unwrap(), [&b"hello"[..], b"world"]);
        let second = pool
            .exchange_streamed(&uri, &[REQUEST], false)
            .await
            .unwrap();
        assert_eq!(second.status, 500);
        assert!(!second.headers.contains_key("transfer-encoding"));
        assert_eq!(pieces(second.body).await.unwrap(), [&b"abc"[..], b"de"]);
        let third = pool
            .exchange_streamed(&uri, &[REQUEST], false)
            .await
            .unwrap();
        assert_eq!(third.status, 204);
        assert!(third.body.is_end_stream());
        assert!(pieces(third.body).await.unwrap().is_empty());
        assert_eq!(server.await.unwrap(), 1, "one connection for all three");
    }

    #[tokio::test]
    async fn a_body_dropped_midway_or_cut_short_closes_its_connection() {
        let (uri, server) = upstream(vec![
            vec![
                b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello",
                b"world",
            ],
            vec![b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhel"],
        ])
        .await;
        let pool = pool();
        let mut first = pool
            .exchange_streamed(&uri, &[REQUEST], false)
            .await
            .unwrap();
        let piece = first.body.frame().await.unwrap().unwrap();
        assert_eq!(piece.into_data().unwrap(), "hello");
        drop(first);
        assert!(pool.checkout().await.is_none(), "not given back");
        let second = pool
            .exchange_streamed(&uri, &[REQUEST], false)
            .await
            .unwrap();
        // The upstream closes after "hel" (it has no more answers).
        let cut = pieces(second.body).await;
        assert!(
            matches!(&cut, Err(H1Error::Io { reason, .. }) if reason.contains("before the answer was complete")),
            "{cut:?}"
        );
        assert_eq!(server.await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_close_delimited_body_ends_with_the_connection() {
        let (uri, server) = upstream(vec![vec![
            b"HTTP/1.0 200 OK\r\ncontent-type: text/xml\r\n\r\n<a>",
            b"</a>",
        ]])
        .await;
        let pool = pool();
        let answer = pool
            .exchange_streamed(&uri, &[REQUEST], false)
            .await
            .unwrap();
        let body: Vec<u8> = pieces(answer.body).await.unwrap().concat();
        assert_eq!(body, b"<a></a>");
        assert!(pool.checkout().await.is_none());
        server.await.unwrap();
    }
}
