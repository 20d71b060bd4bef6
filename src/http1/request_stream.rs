//! A request whose body is streamed from its source as it arrives (the
//! legacy route's uploads: the SOAP client's body passed on frame by
//! frame, never held whole): [`H1Pool::exchange_streaming_request`].
//!
//! The request's head and the body's first bytes go out in one write; then
//! each data frame of the source is written as it comes, framed by
//! `Content-Length` (checked: the frames must add up to it exactly) or as
//! `chunked`. While the body is being written the connection is watched for
//! an answer: interim `1xx` answers are skipped, and a final answer that
//! arrives before the body is complete (an upstream refusing an upload
//! early, e.g. 413) ends the writing and is returned as the answer; its
//! connection is then never reused (the upstream has an unfinished request
//! on it). A wait for the upstream to take more bytes, and for the answer's
//! head once the body is written, is bounded by the caller's `wait`; waits
//! for the source are the source's own to bound (it is the client's body
//! with its deadline).
//!
//! Retry: only the first write (head and first bytes) may go again on a
//! new connection, when it could not be written to a reused one; once any
//! of the source's frames has been taken the request cannot be repeated.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use http::Uri;
use hyper::body::Body;
use tokio::io::AsyncWrite;
use tokio::time::{Instant, Sleep};

use super::head::{parse_head, Framing, MAX_HEAD_BYTES};
use super::pool::{write_request, H1Pool};
use super::stream::{poll_fill_up_to, AnswerBody, StreamedAnswer};
use super::whole::read_head;
use super::{io_error, Conn, H1Error};

/// How much is read at a time while watching for an early answer.
const WATCH_CHUNK: usize = 2 * 1024;

/// How a streamed request body is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// `Content-Length: n`: the body is exactly `n` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

impl BodyFraming {
    /// The framing's header line (`content-length: n\r\n` or
    /// `transfer-encoding: chunked\r\n`), appended to `head`.
    pub fn write_header(self, head: &mut Vec<u8>) {
        match self {
            BodyFraming::Length(n) => {
                head.extend_from_slice(b"content-length: ");
                head.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
                head.extend_from_slice(b"\r\n");
            }
            BodyFraming::Chunked => head.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        }
    }
}

/// Why a streamed-request exchange failed.
#[derive(Debug)]
pub enum SendError<E> {
    /// The upstream failed: no connection, the connection failed or
    /// closed, a bad answer, or a body that does not match its framing.
    Upstream(H1Error),
    /// The upstream took no more of the request, or sent no answer head,
    /// within this long.
    Timeout(Duration),
    /// The body's source failed (for the legacy route: the SOAP client's
    /// body was too large, too slow or broken).
    Body(E),
}

/// How the writing of a body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    /// All of it was written and flushed.
    Complete,
    /// The upstream's final answer began before all of it was written.
    AnsweredEarly,
}

impl H1Pool {
    /// Writes `head` (the request line and headers, the framing header of
    /// `framing` included, ending in the blank line), then `first` (the
    /// body's first bytes) and the data frames of `body` as they come, to a
    /// connection to `uri`'s origin, and returns once the answer's head has
    /// arrived, its body to stream (see the module doc). `wait` bounds each
    /// wait for the upstream.
    pub async fn exchange_streaming_request<B>(
        self: &Arc<Self>,
        uri: &Uri,
        head: &[u8],
        first: &[u8],
        body: &mut B,
        framing: BodyFraming,
        wait: Duration,
    ) -> Result<StreamedAnswer, SendError<B::Error>>
    where
        B: Body<Data = Bytes> + Unpin,
    {
        let mut opening = Vec::with_capacity(head.len() + first.len() + 16);
        opening.extend_from_slice(head);
        write_piece(&mut opening, framing, first);
        let mut conn = self.opened_with(uri, &opening, wait).await?;
        let mut pump = Pump {
            conn: &mut conn,
            framing,
            written: first.len() as u64,
            pending: Pending::default(),
            source_done: false,
            stall: Box::pin(tokio::time::sleep(wait)),
            stalled: false,
            wait,
        };
        let sent = poll_fn(|cx| pump.poll(cx, &mut *body)).await?;
        let mut headers = http::HeaderMap::new();
        let head = match tokio::time::timeout(wait, read_head(&mut conn, Some(&mut headers))).await
        {
            Ok(Ok(head)) => head,
            Ok(Err(err)) => return Err(SendError::Upstream(err)),
            Err(_) => return Err(SendError::Timeout(wait)),
        };
        // An early answer leaves an unfinished request on the connection.
        let reuse =
            (sent == Sent::Complete && head.keep_alive && head.framing != Framing::UntilClose)
                .then(|| (self.clone(), head.keep_alive_timeout));
        Ok(StreamedAnswer {
            status: head.status,
            headers,
            body: AnswerBody::new(conn, head.framing, reuse),
        })
    }

    /// A connection with `opening` written on it: a reused one, or, when
    /// there is none or it could not be written to, a new one.
    async fn opened_with<E>(
        &self,
        uri: &Uri,
        opening: &[u8],
        wait: Duration,
    ) -> Result<Box<Conn>, SendError<E>> {
        if let Some(mut conn) = self.checkout().await {
            let written = tokio::time::timeout(wait, write_request(&mut conn, &[opening])).await;
            match written {
                Ok(Ok(())) => return Ok(conn),
                // Not written: the upstream has none of it; a new connection.
                Ok(Err(_)) => {}
                Err(_) => return Err(SendError::Timeout(wait)),
            }
        }
        // The connection (TCP, a proxy's CONNECT, TLS) within `wait` too.
        let mut conn = match tokio::time::timeout(wait, self.connect(uri)).await {
            Ok(connected) => connected.map_err(SendError::Upstream)?,
            Err(_) => return Err(SendError::Timeout(wait)),
        };
        match tokio::time::timeout(wait, write_request(&mut conn, &[opening])).await {
            Ok(Ok(())) => Ok(conn),
            Ok(Err((err, _))) => Err(SendError::Upstream(err)),
            Err(_) => Err(SendError::Timeout(wait)),
        }
    }
}

/// `data` as the body's next piece under `framing`, appended to `out`.
fn write_piece(out: &mut Vec<u8>, framing: BodyFraming, data: &[u8]) {
    match framing {
        BodyFraming::Length(_) => out.extend_from_slice(data),
        BodyFraming::Chunked if data.is_empty() => {}
        BodyFraming::Chunked => {
            out.extend_from_slice(chunk_size_line(data.len()).as_bytes());
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// `{size in hex}\r\n`, a chunk's first line.
fn chunk_size_line(len: usize) -> String {
    format!("{len:x}\r\n")
}

/// Up to three pieces still to write (a chunk's size line, its data, its
/// CRLF), the first `offset` bytes of the first one written already.
#[derive(Default)]
struct Pending {
    parts: Vec<Bytes>,
    offset: usize,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// `n` more bytes were written.
    fn advance(&mut self, mut n: usize) {
        while n > 0 {
            let first_left = self.parts[0].len() - self.offset;
            if n < first_left {
                self.offset += n;
                return;
            }
            n -= first_left;
            self.parts.remove(0);
            self.offset = 0;
        }
        while self.parts.first().is_some_and(Bytes::is_empty) {
            self.parts.remove(0);
        }
    }
}

/// The writing of a body's frames, watching for an early answer.
struct Pump<'c> {
    conn: &'c mut Box<Conn>,
    framing: BodyFraming,
    /// Body bytes written (or queued in `pending`) so far.
    written: u64,
    pending: Pending,
    /// The source ended; what is pending is the end of the body.
    source_done: bool,
    /// The wait for the upstream to take more bytes, armed while a write
    /// cannot go on.
    stall: Pin<Box<Sleep>>,
    stalled: bool,
    wait: Duration,
}

impl Pump<'_> {
    fn poll<B>(
        &mut self,
        cx: &mut Context<'_>,
        body: &mut B,
    ) -> Poll<Result<Sent, SendError<B::Error>>>
    where
        B: Body<Data = Bytes> + Unpin,
    {
        loop {
            match self.poll_answer(cx) {
                Poll::Ready(Ok(())) => return Poll::Ready(Ok(Sent::AnsweredEarly)),
                Poll::Ready(Err(err)) => return Poll::Ready(Err(SendError::Upstream(err))),
                Poll::Pending => {}
            }
            if !self.pending.is_empty() {
                let slices: Vec<std::io::IoSlice<'_>> = self
                    .pending
                    .parts
                    .iter()
                    .enumerate()
                    .map(|(i, part)| {
                        let skip = if i == 0 { self.pending.offset } else { 0 };
                        std::io::IoSlice::new(&part[skip..])
                    })
                    .collect();
                match Pin::new(&mut self.conn.io).poll_write_vectored(cx, &slices) {
                    Poll::Ready(Ok(0)) => {
                        let err = std::io::Error::from(std::io::ErrorKind::WriteZero);
                        return Poll::Ready(Err(SendError::Upstream(io_error(&err, false))));
                    }
                    Poll::Ready(Ok(n)) => {
                        self.pending.advance(n);
                        self.stalled = false;
                        continue;
                    }
                    Poll::Ready(Err(e)) => {
                        return Poll::Ready(Err(SendError::Upstream(io_error(&e, false))))
                    }
                    Poll::Pending => return self.poll_stall(cx),
                }
            }
            if self.source_done {
                return match Pin::new(&mut self.conn.io).poll_flush(cx) {
                    Poll::Ready(Ok(())) => Poll::Ready(Ok(Sent::Complete)),
                    Poll::Ready(Err(e)) => {
                        Poll::Ready(Err(SendError::Upstream(io_error(&e, false))))
                    }
                    Poll::Pending => self.poll_stall(cx),
                };
            }
            match Pin::new(&mut *body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    if data.is_empty() {
                        continue;
                    }
                    self.written += data.len() as u64;
                    if let BodyFraming::Length(declared) = self.framing {
                        if self.written > declared {
                            return Poll::Ready(Err(SendError::Upstream(mismatch(
                                self.written,
                                declared,
                            ))));
                        }
                        self.pending.parts.push(data);
                    } else {
                        self.pending.parts.push(chunk_size_line(data.len()).into());
                        self.pending.parts.push(data);
                        self.pending.parts.push(Bytes::from_static(b"\r\n"));
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(SendError::Body(e))),
                Poll::Ready(None) => {
                    match self.framing {
                        BodyFraming::Length(declared) if self.written != declared => {
                            return Poll::Ready(Err(SendError::Upstream(mismatch(
                                self.written,
                                declared,
                            ))));
                        }
                        BodyFraming::Length(_) => {}
                        BodyFraming::Chunked => {
                            self.pending.parts.push(Bytes::from_static(b"0\r\n\r\n"));
                        }
                    }
                    self.source_done = true;
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// A write cannot go on: the upstream has `wait` to take more.
    fn poll_stall<T, E>(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, SendError<E>>> {
        if !self.stalled {
            self.stalled = true;
            self.stall.as_mut().reset(Instant::now() + self.wait);
        }
        match self.stall.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(SendError::Timeout(self.wait))),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Ready once the upstream's final answer has begun (its head, or the
    /// start of it, is in the connection's buffer); interim `1xx` answers
    /// are consumed. Pending while the upstream says nothing.
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), H1Error>> {
        loop {
            if self.conn.buf.len() > MAX_HEAD_BYTES {
                // Reading the head will refuse it.
                return Poll::Ready(Ok(()));
            }
            match poll_fill_up_to(self.conn, cx, WATCH_CHUNK) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(io_error(&e, false))),
                Poll::Ready(Ok(0)) if self.conn.buf.is_empty() => {
                    return Poll::Ready(Err(H1Error::Io {
                        reason: "the upstream closed the connection while the request body was \
                                 being sent"
                            .to_string(),
                        nothing_received: false,
                        reset: false,
                    }))
                }
                // Closed after some of an answer: reading its head will say
                // whether it is whole.
                Poll::Ready(Ok(0)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(_)) => {}
            }
            match parse_head(&self.conn.buf, None)? {
                Some(head) if (100..200).contains(&head.status) && head.status != 101 => {
                    self.conn.buf.advance(head.len);
                }
                Some(_) => return Poll::Ready(Ok(())),
                None => {}
            }
        }
    }
}

fn mismatch(written: u64, declared: u64) -> H1Error {
    H1Error::Malformed(format!(
        "the request body ({written} bytes or more) does not match its Content-Length ({declared})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::connect::Route;
    use std::collections::VecDeque;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A body of these frames, then its end; with a pause before the
    /// second frame.
    struct Frames(VecDeque<Bytes>, Option<Pin<Box<Sleep>>>);

    impl Body for Frames {
        type Data = Bytes;
        type Error = String;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, String>>> {
            let this = &mut *self;
            if this.0.len() == 2 {
                if let Some(pause) = &mut this.1 {
                    std::task::ready!(pause.as_mut().poll(cx));
                    this.1 = None;
                }
            }
            Poll::Ready(this.0.pop_front().map(|b| Ok(hyper::body::Frame::data(b))))
        }
    }

    fn frames(parts: &[&'static [u8]]) -> Frames {
        Frames(parts.iter().map(|p| Bytes::from_static(p)).collect(), None)
    }

    /// A listener on a free loopback port, and its URI.
    async fn bound() -> (TcpListener, Uri) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        (listener, uri)
    }

    /// The head of a chunked `POST /`.
    const CHUNKED_HEAD: &[u8] = b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n";

    /// [`H1Pool::exchange_streaming_request`] of [`CHUNKED_HEAD`], `first`
    /// and `body`, chunked, each wait bounded by `wait`.
    async fn chunked<B>(
        pool: &Arc<H1Pool>,
        uri: &Uri,
        first: &[u8],
        body: &mut B,
        wait: Duration,
    ) -> Result<StreamedAnswer, SendError<String>>
    where
        B: Body<Data = Bytes, Error = String> + Unpin,
    {
        pool.exchange_streaming_request(uri, CHUNKED_HEAD, first, body, BodyFraming::Chunked, wait)
            .await
    }

    fn pool() -> Arc<H1Pool> {
        let connector =
            crate::rest::client::connector(Arc::new(Route::Direct), Duration::from_secs(2), &[])
                .unwrap();
        Arc::new(H1Pool::new(connector, Duration::from_secs(5)))
    }

    /// An upstream that sends `interim` once the head arrived, reads until
    /// the body ends with `end`, answers 200 and returns what it read.
    async fn upstream(
        interim: &'static [u8],
        end: &'static [u8],
    ) -> (Uri, tokio::task::JoinHandle<Vec<u8>>) {
        upstream_answering(
            interim,
            end,
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
        )
        .await
    }

    /// [`upstream`] answering `answer` at the end.
    async fn upstream_answering(
        interim: &'static [u8],
        end: &'static [u8],
        answer: &'static [u8],
    ) -> (Uri, tokio::task::JoinHandle<Vec<u8>>) {
        let (listener, uri) = bound().await;
        let task = tokio::spawn(async move {
            let accepted = tokio::time::timeout(Duration::from_secs(20), listener.accept());
            let (mut stream, _) = accepted.await.expect("never connected").unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            let mut told = false;
            while !got.ends_with(end) {
                let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf));
                let n = read.await.expect("nothing more came").unwrap();
                assert!(n > 0, "closed early: {:?}", String::from_utf8_lossy(&got));
                got.extend_from_slice(&buf[..n]);
                if !told && got.windows(4).any(|w| w == b"\r\n\r\n") {
                    stream.write_all(interim).await.unwrap();
                    told = true;
                }
            }
            stream.write_all(answer).await.unwrap();
            // Held open (as a keep-alive upstream does) until the client
            // closes it or a while has passed.
            let _ = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await;
            got
        });
        (uri, task)
    }

    /// Reads a streamed answer's body to its end.
    async fn body_of(answer: StreamedAnswer) -> Vec<u8> {
        use http_body_util::BodyExt;
        answer.body.collect().await.unwrap().to_bytes().to_vec()
    }

    #[tokio::test]
    async fn a_chunked_body_goes_out_as_it_comes_past_an_interim_answer() {
        let (uri, seen) = upstream(b"HTTP/1.1 100 Continue\r\n\r\n", b"0\r\n\r\n").await;
        // The interim answer arrives while the body waits for its second
        // frame: the pump must skip it, not take it for an early answer
        // (then it would wait for a final answer the upstream sends only
        // after the body).
        let mut body = frames(&[b"two", b"", b"three"]);
        body.1 = Some(Box::pin(tokio::time::sleep(Duration::from_millis(300))));
        let pool = pool();
        let answer = chunked(&pool, &uri, b"one", &mut body, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(body_of(answer).await, b"ok");
        assert_eq!(pool.idle_count(), 1, "a complete exchange is reused");
        drop(pool); // closes the idle connection: the upstream's read ends
        let seen = seen.await.unwrap();
        let body_start = seen.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert_eq!(
            &seen[body_start..],
            b"3\r\none\r\n3\r\ntwo\r\n5\r\nthree\r\n0\r\n\r\n"
        );
    }

    #[tokio::test]
    async fn frames_must_add_up_to_the_content_length() {
        for (parts, length) in [(&[&b"12345"[..], b"678"][..], 6), (&[&b"1"[..]][..], 6)] {
            let (uri, _seen) = upstream(b"", b"never").await;
            let head = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 6\r\n\r\n";
            let mut body = frames(parts);
            let failed = pool()
                .exchange_streaming_request(
                    &uri,
                    head,
                    b"",
                    &mut body,
                    BodyFraming::Length(length),
                    Duration::from_secs(5),
                )
                .await
                .unwrap_err();
            assert!(
                matches!(&failed, SendError::Upstream(H1Error::Malformed(m)) if m.contains("Content-Length (6)")),
                "{failed:?}"
            );
        }
    }

    #[tokio::test]
    async fn an_early_answer_ends_the_writing_and_its_connection_is_not_reused() {
        // The upstream answers once the head is in, before the body.
        let (uri, _seen) = upstream_answering(
            b"HTTP/1.1 413 Too Large\r\ncontent-length: 4\r\n\r\nbig!",
            b"\r\n\r\n",
            b"",
        )
        .await;
        let head = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 6\r\n\r\n";
        let mut body = frames(&[b"12", b"34", b"56"]);
        body.1 = Some(Box::pin(tokio::time::sleep(Duration::from_secs(30))));
        let pool = pool();
        let answer = tokio::time::timeout(
            Duration::from_secs(10),
            pool.exchange_streaming_request(
                &uri,
                head,
                b"",
                &mut body,
                BodyFraming::Length(6),
                Duration::from_secs(5),
            ),
        )
        .await
        .expect("the early answer must end the wait for the body")
        .unwrap();
        assert_eq!(answer.status, 413);
        assert_eq!(body_of(answer).await, b"big!");
        assert_eq!(body.0.len(), 2, "the body's rest was not taken");
        assert_eq!(pool.idle_count(), 0, "an unfinished request's connection");
    }

    /// Endless 64 KiB frames.
    struct Endless;

    impl Body for Endless {
        type Data = Bytes;
        type Error = String;

        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, String>>> {
            static PIECE: [u8; 64 * 1024] = [b'A'; 64 * 1024];
            Poll::Ready(Some(Ok(hyper::body::Frame::data(Bytes::from_static(
                &PIECE,
            )))))
        }
    }

    #[tokio::test]
    async fn an_upstream_that_stops_taking_the_body_times_out() {
        let (listener, uri) = bound().await;
        // Accepts, reads nothing, holds the connection.
        let held = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(20)).await;
            drop(stream);
        });
        let started = std::time::Instant::now();
        let failed = tokio::time::timeout(
            Duration::from_secs(15),
            chunked(&pool(), &uri, b"", &mut Endless, Duration::from_millis(300)),
        )
        .await
        .expect("a stalled upstream must not hold the request")
        .unwrap_err();
        assert!(
            matches!(failed, SendError::Timeout(d) if d == Duration::from_millis(300)),
            "{failed:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        held.abort();
    }

    #[tokio::test]
    async fn frames_larger_than_a_write_arrive_whole_and_in_order() {
        // 4 MiB frames: more than the socket takes in one write, so each
        // goes out in parts, resumed where the last write stopped.
        let (uri, seen) = upstream(b"", b"\r\n0\r\n\r\n").await;
        let frames: Vec<Bytes> = (0..3u8)
            .map(|i| Bytes::from(vec![b'a' + i; 4 * 1024 * 1024]))
            .collect();
        let mut body = Frames(frames.iter().cloned().collect(), None);
        let pool = pool();
        let answer = chunked(&pool, &uri, b"first", &mut body, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(answer.status, 200);
        drop(answer);
        drop(pool);
        let seen = seen.await.unwrap();
        let mut wire = &seen[seen.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
        let mut got = Vec::new();
        loop {
            let line = wire.windows(2).position(|w| w == b"\r\n").unwrap();
            let size =
                usize::from_str_radix(std::str::from_utf8(&wire[..line]).unwrap(), 16).unwrap();
            wire = &wire[line + 2..];
            if size == 0 {
                break;
            }
            got.extend_from_slice(&wire[..size]);
            assert_eq!(&wire[size..size + 2], b"\r\n");
            wire = &wire[size + 2..];
        }
        let mut expected = b"first".to_vec();
        for frame in &frames {
            expected.extend_from_slice(frame);
        }
        assert!(
            got == expected,
            "{} bytes arrived, {} sent",
            got.len(),
            expected.len()
        );
    }

    #[tokio::test]
    async fn an_upstream_slow_but_taking_the_body_is_not_cut_off() {
        // Takes up to 512 KiB every 20 ms: each wait far under the 1 s
        // bound, the whole 48 MiB (at least 96 reads, 1.9 s) over it, and
        // what the socket buffers hold when the last byte is written (a
        // few MiB) is read well within it.
        let (listener, uri) = bound().await;
        let slow = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut buf = vec![0u8; 512 * 1024];
            while !got.ends_with(b"\r\n0\r\n\r\n") {
                let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
                    .await
                    .expect("nothing more came")
                    .unwrap();
                assert!(n > 0, "closed early");
                got.extend_from_slice(&buf[..n]);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
            got.len()
        });
        let frames: Vec<Bytes> = (0..12).map(|_| Bytes::from(vec![b'z'; 4 << 20])).collect();
        let mut body = Frames(frames.into_iter().collect(), None);
        let started = std::time::Instant::now();
        let answer = chunked(&pool(), &uri, b"", &mut body, Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(answer.status, 200);
        assert!(slow.await.unwrap() > 48 << 20);
        // (Only meaningful when the transfer outlasted one wait.)
        assert!(
            started.elapsed() > Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn an_endless_answer_head_during_the_body_is_refused() {
        let (listener, uri) = bound().await;
        // A head that never ends: one header value, 1 MiB long.
        let flood = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nx-long: ")
                .await
                .unwrap();
            let piece = vec![b'v'; 64 * 1024];
            for _ in 0..16 {
                if stream.write_all(&piece).await.is_err() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_secs(20)).await;
        });
        let failed = tokio::time::timeout(
            Duration::from_secs(15),
            chunked(&pool(), &uri, b"", &mut Endless, Duration::from_secs(5)),
        )
        .await
        .expect("an endless head must not hold the request")
        .unwrap_err();
        assert!(
            matches!(&failed, SendError::Upstream(H1Error::Malformed(m)) if m.contains("head")),
            "{failed:?}"
        );
        flood.abort();
    }

    #[tokio::test]
    async fn an_upstream_closing_mid_body_says_so_and_a_cut_answer_head_too() {
        for (sends, says) in [
            (
                &b""[..],
                "closed the connection while the request body was being sent",
            ),
            (
                &b"HTTP/1.1 200 OK\r\ncontent-"[..],
                "before the answer was complete",
            ),
        ] {
            let (listener, uri) = bound().await;
            tokio::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(sends).await;
                // Closed with the request unfinished.
            });
            let mut body = frames(&[b"a", b"b"]);
            body.1 = Some(Box::pin(tokio::time::sleep(Duration::from_secs(30))));
            let failed = tokio::time::timeout(
                Duration::from_secs(10),
                chunked(&pool(), &uri, b"", &mut body, Duration::from_secs(5)),
            )
            .await
            .expect("a closed connection must end the exchange")
            .unwrap_err();
            assert!(
                matches!(&failed, SendError::Upstream(e) if e.to_string().contains(says)),
                "{failed:?}"
            );
        }
    }

    #[test]
    fn pending_pieces_advance_across_parts() {
        let mut pending = Pending {
            parts: vec![
                Bytes::from_static(b"ab"),
                Bytes::from_static(b"cde"),
                Bytes::from_static(b"f"),
            ],
            offset: 0,
        };
        pending.advance(1);
        assert_eq!((pending.parts.len(), pending.offset), (3, 1));
        pending.advance(3);
        assert_eq!((pending.parts.len(), pending.offset), (2, 2));
        pending.advance(2);
        assert!(pending.is_empty());
        let mut framed = Vec::new();
        write_piece(&mut framed, BodyFraming::Chunked, b"0123456789abcdef!");
        write_piece(&mut framed, BodyFraming::Chunked, b"");
        assert_eq!(framed, b"11\r\n0123456789abcdef!\r\n");
        let mut line = Vec::new();
        BodyFraming::Length(42).write_header(&mut line);
        assert_eq!(line, b"content-length: 42\r\n");
    }
}
