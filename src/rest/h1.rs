//! The REST client's HTTP/1.1 exchange: one request written and one
//! response read on a connection the calling task owns, with a pool of idle
//! keep-alive connections.
//!
//! Why not hyper's client: hyper-util's pooled client hands every request to
//! a separate connection task through channels and a pool checkout, and that
//! machinery cost about a tenth of the gateway's CPU per SOAP call under
//! load (bench/results/HISTORY.md, fix 14). The gateway makes one kind of call — a small
//! JSON request, a bounded JSON answer, one upstream — so the call's own task
//! writes the request and reads the answer; parsing is `httparse` (hyper's
//! parser), connecting (TCP, proxy route, TLS) is the [`UpstreamConnector`]
//! behind hyper-rustls as before.
//!
//! The client never sends `HEAD` (whose answers announce a length and
//! carry no body); `RestClient` has no way to.
//!
//! What it handles of HTTP/1.1 answers: `Content-Length`, `chunked` (with
//! extensions and trailers), close-delimited bodies, interim `1xx` answers,
//! bodiless statuses (`204`, `304`), `Connection: close` and HTTP/1.0. A
//! connection goes back to the pool only after a complete answer that allows
//! keep-alive and nothing unread after it, and is reused only within the
//! upstream's `Keep-Alive: timeout` (less a margin) as well as the pool's
//! idle timeout. An idle connection is checked before reuse (closed or
//! readable means discarded). A request on a reused connection is sent
//! again once, on a new connection, when the upstream cannot have acted on
//! it: it could not be written at all, or the upstream reset the connection
//! before any answer (a reset is what a server's TCP stack sends when it
//! closes a connection with the request still unread in its buffer: an
//! idle connection closed while the request was on its way; RFC 9112 §9.6).
//! One that closed cleanly before an answer (the upstream may have read
//! it) is sent again only when the request is safe to repeat (issue 16,
//! finding 7: 6–10% of Logins failed against an upstream closing idle
//! connections after 5 ms).

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use http::Uri;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};

use super::connect::{UpstreamConnector, UpstreamStream};

/// Largest response head (status line and headers) read.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most response headers parsed.
const MAX_HEADERS: usize = 96;
/// How often idle connections past the idle timeout are closed.
const REAP_EVERY: Duration = Duration::from_secs(15);

/// A connection to the upstream (or its proxy), TLS or plain.
type Io = TokioIo<MaybeHttpsStream<UpstreamStream>>;

/// Why an exchange failed.
#[derive(Debug)]
pub enum H1Error {
    /// No connection could be made (refused, DNS, TLS, proxy).
    Connect(String),
    /// The connection failed or closed before the whole answer arrived.
    Io {
        /// What happened, e.g. `Connection reset by peer (os error 104)`.
        reason: String,
        /// Whether the request may not have reached the upstream at all
        /// (nothing of an answer arrived): the exchange may be retried on
        /// a new connection when the request is safe to repeat.
        nothing_received: bool,
        /// Whether the upstream reset the connection (rather than closing
        /// it cleanly).
        reset: bool,
    },
    /// The answer is not HTTP/1.1 the client can read.
    Malformed(String),
    /// The answer's body is larger than the caller's limit.
    TooLarge(usize),
}

impl std::fmt::Display for H1Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            H1Error::Connect(reason) | H1Error::Malformed(reason) => f.write_str(reason),
            H1Error::Io { reason, .. } => f.write_str(reason),
            H1Error::TooLarge(limit) => write!(f, "response body larger than {limit} bytes"),
        }
    }
}

/// A complete answer.
#[derive(Debug)]
pub struct Answer {
    /// The final (non-1xx) status code.
    pub status: u16,
    /// The whole body, de-chunked.
    pub body: Bytes,
}

/// Idle keep-alive connections to the one upstream, most recently used
/// last. One per worker (no connection crosses threads).
pub struct H1Pool {
    connector: HttpsConnector<UpstreamConnector>,
    idle_timeout: Duration,
    idle: Arc<Mutex<Vec<Idle>>>,
    reaper_started: std::sync::atomic::AtomicBool,
}

struct Idle {
    conn: Box<Conn>,
    since: Instant,
    /// Past this the connection is not used: the pool's idle timeout, or
    /// sooner when the upstream's `Keep-Alive: timeout` says so.
    until: Instant,
}

/// How far a failed exchange got: what decides whether it may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reached {
    /// The request could not be written: the upstream has none of it.
    NotWritten,
    /// Written, and the upstream reset the connection before any answer:
    /// it closed the connection with the request unread.
    ResetUnanswered,
    /// Written, and the connection closed before any answer: the upstream
    /// may have read the request.
    ClosedUnanswered,
    /// Some of an answer arrived (or the answer was bad).
    Answered,
}

/// A connection and its read buffer. Always boxed: a TLS connection holds
/// rustls' state inline (kilobytes), and every future that holds a
/// connection would otherwise carry, and copy, all of it.
struct Conn<S = Io> {
    io: S,
    /// Bytes read and not yet consumed (empty between exchanges).
    buf: BytesMut,
}

impl H1Pool {
    /// An empty pool opening connections with `connector`; connections idle
    /// longer than `idle_timeout` are closed.
    pub fn new(connector: HttpsConnector<UpstreamConnector>, idle_timeout: Duration) -> Self {
        H1Pool {
            connector,
            idle_timeout,
            idle: Arc::new(Mutex::new(Vec::new())),
            reaper_started: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Writes `request` (a whole HTTP/1.1 request, head and body) to a
    /// connection to `uri`'s origin and reads the answer, whose body may
    /// not exceed `max_body` bytes. `repeatable`: the request may be sent
    /// again if a reused connection turns out to have been closed before
    /// any answer arrived (a GET; never a POST that creates something).
    pub async fn exchange(
        &self,
        uri: &Uri,
        request: &[u8],
        repeatable: bool,
        max_body: usize,
    ) -> Result<Answer, H1Error> {
        if let Some(conn) = self.checkout().await {
            match self.exchange_on(conn, request, max_body).await {
                Ok(answer) => return Ok(answer),
                Err((_, Reached::NotWritten | Reached::ResetUnanswered)) => {}
                Err((_, Reached::ClosedUnanswered)) if repeatable => {}
                Err((err, _)) => return Err(err),
            }
        }
        let conn = self.connect(uri).await?;
        self.exchange_on(conn, request, max_body)
            .await
            .map_err(|(err, _)| err)
    }

    async fn exchange_on(
        &self,
        mut conn: Box<Conn>,
        request: &[u8],
        max_body: usize,
    ) -> Result<Answer, (H1Error, Reached)> {
        if let Err(e) = conn.io.write_all(request).await {
            return Err((io_error(&e, true), Reached::NotWritten));
        }
        let (answer, reuse) = match read_answer(&mut conn, max_body).await {
            Ok(done) => done,
            Err(err) => {
                let reached = match &err {
                    H1Error::Io {
                        nothing_received: true,
                        reset: true,
                        ..
                    } => Reached::ResetUnanswered,
                    H1Error::Io {
                        nothing_received: true,
                        ..
                    } => Reached::ClosedUnanswered,
                    _ => Reached::Answered,
                };
                return Err((err, reached));
            }
        };
        if let Some(keep_alive) = reuse {
            self.checkin(conn, keep_alive);
        }
        Ok(answer)
    }

    /// The most recently used idle connection that is still open.
    async fn checkout(&self) -> Option<Box<Conn>> {
        loop {
            let idle = {
                let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
                idle.pop()?
            };
            if idle.since.elapsed() >= self.idle_timeout {
                // Everything below it is older still.
                self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
                return None;
            }
            if Instant::now() >= idle.until {
                // Past the upstream's keep-alive timeout: it may be closing.
                continue;
            }
            let mut conn = idle.conn;
            if still_open(&mut conn.io).await {
                return Some(conn);
            }
        }
    }

    /// Keeps `conn` for reuse; `keep_alive` is the upstream's `Keep-Alive:
    /// timeout`, if it sent one.
    fn checkin(&self, conn: Box<Conn>, keep_alive: Option<Duration>) {
        let since = Instant::now();
        let reuse_for = keep_alive.map_or(self.idle_timeout, |upstream| {
            self.idle_timeout.min(reuse_within(upstream))
        });
        if reuse_for.is_zero() {
            return;
        }
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Idle {
                conn,
                since,
                until: since + reuse_for,
            });
        self.start_reaper();
    }

    async fn connect(&self, uri: &Uri) -> Result<Box<Conn>, H1Error> {
        let mut connector = self.connector.clone();
        let connect =
            |e: Box<dyn std::error::Error + Send + Sync>| H1Error::Connect(root_cause(&*e));
        poll_fn(|cx| tower::Service::<Uri>::poll_ready(&mut connector, cx))
            .await
            .map_err(connect)?;
        let stream = tower::Service::<Uri>::call(&mut connector, uri.clone())
            .await
            .map_err(connect)?;
        Ok(Box::new(Conn {
            io: TokioIo::new(stream),
            buf: BytesMut::with_capacity(8 * 1024),
        }))
    }

    /// Closes idle connections past the idle timeout every [`REAP_EVERY`]
    /// (a task on the worker's runtime, started with the first idle
    /// connection, ending with the pool), so an upstream's closed
    /// connections do not linger between bursts.
    fn start_reaper(&self) {
        use std::sync::atomic::Ordering;
        if self.reaper_started.swap(true, Ordering::Relaxed) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.reaper_started.store(false, Ordering::Relaxed);
            return;
        };
        let idle: Weak<Mutex<Vec<Idle>>> = Arc::downgrade(&self.idle);
        let timeout = self.idle_timeout;
        runtime.spawn(async move {
            // (`interval` refuses a zero period.)
            let period = REAP_EVERY.min(timeout).max(Duration::from_millis(10));
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(idle) = idle.upgrade() else { return };
                let mut idle = idle.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                idle.retain(|entry| entry.since.elapsed() < timeout && now < entry.until);
            }
        });
    }
}

/// How long a connection may be reused when the upstream said `Keep-Alive:
/// timeout` = `upstream`: a second less (half of it under two seconds), so
/// a request is not on its way when the upstream's timer closes the
/// connection (Node.js servers say `timeout=5`, and close at 5 s).
fn reuse_within(upstream: Duration) -> Duration {
    if upstream >= Duration::from_secs(2) {
        upstream - Duration::from_secs(1)
    } else {
        upstream / 2
    }
}

/// Whether an idle connection can take a request: reading it would wait
/// (not closed by the upstream, no stray bytes).
async fn still_open(io: &mut Io) -> bool {
    poll_fn(|cx| {
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        match Pin::new(&mut *io).poll_read(cx, &mut buf) {
            Poll::Pending => Poll::Ready(true),
            Poll::Ready(_) => Poll::Ready(false),
        }
    })
    .await
}

/// How the body of an answer is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body (1xx, 204, 304).
    Empty,
    /// `Content-Length: n`.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the upstream closes the connection.
    UntilClose,
}

/// The parts of an answer's head the exchange needs.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    /// Bytes of the head, to consume.
    len: usize,
    framing: Framing,
    /// The connection may carry another request after this answer.
    keep_alive: bool,
    /// The upstream's `Keep-Alive: timeout=N`, if it sent one.
    keep_alive_timeout: Option<Duration>,
}

/// Parses an answer head at the start of `buf`: `None` until it is whole.
fn parse_head(buf: &[u8]) -> Result<Option<Head>, H1Error> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(H1Error::Malformed(format!("invalid HTTP answer head: {e}"))),
    };
    let status = response.code.unwrap_or(0);
    // httparse takes any three digits; HTTP's codes are 100-599 (found by
    // the h1_answer fuzz target: "HTTP/1.1 000" was an answer).
    if !(100..=599).contains(&status) {
        return Err(H1Error::Malformed(format!(
            "invalid HTTP status code {status:03} in the answer"
        )));
    }
    let mut keep_alive = response.version == Some(1);
    let mut length: Option<usize> = None;
    let mut chunked = None;
    let mut keep_alive_timeout = None;
    for header in response.headers.iter() {
        let value = std::str::from_utf8(header.value).unwrap_or("");
        if header.name.eq_ignore_ascii_case("content-length") {
            let n = value.trim().parse::<usize>().map_err(|_| {
                H1Error::Malformed(format!("invalid Content-Length {value:?} in the answer"))
            })?;
            if length.is_some_and(|seen| seen != n) {
                return Err(H1Error::Malformed(
                    "conflicting Content-Length headers in the answer".to_string(),
                ));
            }
            length = Some(n);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked only counts as the last coding; anything else means
            // the body runs until the connection closes (RFC 9112 §6.3).
            let last = value.rsplit(',').next().unwrap_or("").trim();
            chunked = Some(last.eq_ignore_ascii_case("chunked"));
        } else if header.name.eq_ignore_ascii_case("keep-alive") {
            // `timeout=5, max=100` (RFC 2068 §19.7.1.1); unreadable parts
            // are ignored, as browsers do.
            keep_alive_timeout = value
                .split(',')
                .filter_map(|part| part.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("timeout"))
                .and_then(|(_, n)| n.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .or(keep_alive_timeout);
        } else if header.name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case("keep-alive") && response.version == Some(0) {
                    keep_alive = true;
                }
            }
        }
    }
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else {
        match (chunked, length) {
            (Some(true), _) => Framing::Chunked,
            (Some(false), _) => Framing::UntilClose,
            (None, Some(n)) => Framing::Length(n),
            (None, None) => Framing::UntilClose,
        }
    };
    if framing == Framing::UntilClose {
        keep_alive = false;
    }
    Ok(Some(Head {
        status,
        len,
        framing,
        keep_alive,
        keep_alive_timeout,
    }))
}

/// Reads more of the answer into the connection's buffer; the upstream
/// closing the connection is an error (`received`: whether any of the
/// answer had arrived).
async fn fill<S: AsyncRead + Unpin>(conn: &mut Conn<S>, received: bool) -> Result<(), H1Error> {
    conn.buf.reserve(8 * 1024);
    match conn.io.read_buf(&mut conn.buf).await {
        Ok(0) => Err(H1Error::Io {
            reason: if received {
                "connection closed before the answer was complete".to_string()
            } else {
                "connection closed before an answer arrived".to_string()
            },
            nothing_received: !received,
            reset: false,
        }),
        Ok(_) => Ok(()),
        Err(e) => Err(io_error(&e, !received)),
    }
}

/// Reads one answer (skipping interim 1xx answers): the answer and, when
/// the connection can be reused, the upstream's keep-alive timeout (if it
/// gave one).
async fn read_answer<S: AsyncRead + Unpin>(
    conn: &mut Conn<S>,
    max_body: usize,
) -> Result<(Answer, Option<Option<Duration>>), H1Error> {
    let mut received = false;
    let head = loop {
        match parse_head(&conn.buf)? {
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
            Some(head) => break head,
            None => {
                if conn.buf.len() > MAX_HEAD_BYTES {
                    return Err(H1Error::Malformed(format!(
                        "answer head larger than {MAX_HEAD_BYTES} bytes"
                    )));
                }
                fill(conn, received || !conn.buf.is_empty()).await?;
            }
        }
    };
    conn.buf.advance(head.len);
    let body = match head.framing {
        Framing::Empty => Bytes::new(),
        Framing::Length(n) => {
            if n > max_body {
                return Err(H1Error::TooLarge(max_body));
            }
            while conn.buf.len() < n {
                fill(conn, true).await?;
            }
            conn.buf.split_to(n).freeze()
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

/// Reads a chunked body, extensions and trailers skipped.
async fn read_chunked<S: AsyncRead + Unpin>(
    conn: &mut Conn<S>,
    max_body: usize,
) -> Result<Bytes, H1Error> {
    let mut body = BytesMut::new();
    loop {
        let size = loop {
            match httparse::parse_chunk_size(&conn.buf) {
                Ok(httparse::Status::Complete((len, size))) => {
                    conn.buf.advance(len);
                    break size;
                }
                Ok(httparse::Status::Partial) => {
                    if conn.buf.len() > MAX_HEAD_BYTES {
                        return Err(H1Error::Malformed("chunk size line too long".to_string()));
                    }
                    fill(conn, true).await?
                }
                Err(_) => {
                    return Err(H1Error::Malformed(
                        "invalid chunk size in the answer".to_string(),
                    ))
                }
            }
        };
        if size == 0 {
            break;
        }
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size > max_body.saturating_sub(body.len()) {
            return Err(H1Error::TooLarge(max_body));
        }
        // The chunk's data and its CRLF.
        while conn.buf.len() < size + 2 {
            fill(conn, true).await?;
        }
        body.extend_from_slice(&conn.buf[..size]);
        if &conn.buf[size..size + 2] != b"\r\n" {
            return Err(H1Error::Malformed(
                "chunk data not followed by CRLF".to_string(),
            ));
        }
        conn.buf.advance(size + 2);
    }
    // Trailer fields, then the empty line that ends the message.
    loop {
        match conn.buf.windows(2).position(|w| w == b"\r\n") {
            Some(0) => {
                conn.buf.advance(2);
                return Ok(body.freeze());
            }
            Some(end) => conn.buf.advance(end + 2),
            None => {
                if conn.buf.len() > MAX_HEAD_BYTES {
                    return Err(H1Error::Malformed("chunked trailers too large".to_string()));
                }
                fill(conn, true).await?
            }
        }
    }
}

/// Reads one answer from `bytes` as from an upstream connection that sends
/// them and closes: the status, the body and whether the connection could
/// be reused, or the error. For the fuzz target `fuzz/fuzz_targets/
/// h1_answer.rs` (the answer parser is this project's own); not part of the
/// API.
#[doc(hidden)]
pub async fn read_answer_from(bytes: &[u8], max_body: usize) -> Result<(u16, Bytes, bool), String> {
    let mut conn = Conn {
        io: bytes,
        buf: BytesMut::new(),
    };
    read_answer(&mut conn, max_body)
        .await
        .map(|(answer, reuse)| (answer.status, answer.body, reuse.is_some()))
        .map_err(|e| e.to_string())
}

fn io_error(e: &io::Error, nothing_received: bool) -> H1Error {
    H1Error::Io {
        reason: root_cause(e),
        nothing_received,
        reset: e.kind() == io::ErrorKind::ConnectionReset,
    }
}

/// The innermost error message, which names no URL or credential.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::connect::Route;

    fn head(text: &str) -> Head {
        parse_head(text.as_bytes()).unwrap().unwrap()
    }

    #[test]
    fn framing_and_keep_alive_follow_the_answer_head() {
        let cases = [
            (
                "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n",
                Framing::Length(5),
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
                Framing::Length(5),
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n",
                Framing::Chunked,
                true,
            ),
            // Chunked wins over a length (RFC 9112 §6.3).
            (
                "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n",
                Framing::Chunked,
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n",
                Framing::UntilClose,
                false,
            ),
            ("HTTP/1.1 200 OK\r\n\r\n", Framing::UntilClose, false),
            (
                "HTTP/1.1 200 OK\r\nconnection: keep-alive, close\r\ncontent-length: 0\r\n\r\n",
                Framing::Length(0),
                false,
            ),
            (
                "HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n",
                Framing::Length(0),
                false,
            ),
            (
                "HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n",
                Framing::Length(0),
                true,
            ),
            (
                "HTTP/1.1 204 No Content\r\ncontent-length: 7\r\n\r\n",
                Framing::Empty,
                true,
            ),
            (
                "HTTP/1.1 304 Not Modified\r\ntransfer-encoding: chunked\r\n\r\n",
                Framing::Empty,
                true,
            ),
            ("HTTP/1.1 100 Continue\r\n\r\n", Framing::Empty, true),
        ];
        for (text, framing, keep_alive) in cases {
            let parsed = head(text);
            assert_eq!(
                (parsed.framing, parsed.keep_alive),
                (framing, keep_alive),
                "{text:?}"
            );
            assert_eq!(parsed.len, text.len(), "{text:?}");
        }
    }

    #[test]
    fn the_upstreams_keep_alive_timeout_is_read_and_kept_with_a_margin() {
        let cases = [
            ("keep-alive: timeout=5\r\n", Some(5)),
            ("Keep-Alive: max=100, timeout = 75\r\n", Some(75)),
            ("keep-alive: max=3\r\n", None),
            ("keep-alive: timeout=soon\r\n", None),
            ("", None),
        ];
        for (header, timeout) in cases {
            let text = format!("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n{header}\r\n");
            assert_eq!(
                head(&text).keep_alive_timeout,
                timeout.map(Duration::from_secs),
                "{header:?}"
            );
        }
        assert_eq!(reuse_within(Duration::from_secs(5)), Duration::from_secs(4));
        assert_eq!(
            reuse_within(Duration::from_secs(1)),
            Duration::from_millis(500)
        );
        assert_eq!(reuse_within(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn an_incomplete_head_asks_for_more_and_a_bad_one_is_refused() {
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-le").unwrap(), None);
        for bad in [
            "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
            "HTTP/2 200\r\n\r\n",
            "SSH-2.0-OpenSSH\r\n\r\n",
            "HTTP/1.1 000 Zero\r\n\r\n",
            "HTTP/1.1 099 Low\r\n\r\n",
            "HTTP/1.1 600 High\r\n\r\n",
        ] {
            assert!(
                matches!(parse_head(bad.as_bytes()), Err(H1Error::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    /// A pool whose idle timeout has passed closes its idle connections
    /// even when no call comes to notice (the reaper), and the upstream
    /// sees them closed.
    #[tokio::test]
    async fn idle_connections_past_the_timeout_are_closed_without_a_call() {
        use tokio::net::TcpListener;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf).await.unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                .await
                .unwrap();
            // The next read ends when the client closes the connection.
            let started = Instant::now();
            let n = stream.read(&mut buf).await.unwrap();
            (n, started.elapsed())
        });
        let connector =
            crate::rest::client::connector(Arc::new(Route::Direct), Duration::from_secs(2), &[])
                .unwrap();
        let pool = H1Pool::new(connector, Duration::from_millis(100));
        let uri: Uri = format!("http://{addr}").parse().unwrap();
        let answer = pool
            .exchange(&uri, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", true, 1024)
            .await
            .unwrap();
        assert_eq!((answer.status, &answer.body[..]), (200, &b"{}"[..]));
        assert_eq!(pool.idle.lock().unwrap().len(), 1, "kept for reuse");
        let (n, waited) = tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the idle connection was never closed")
            .unwrap();
        assert_eq!(n, 0, "closed, not written to");
        assert!(
            waited >= Duration::from_millis(90),
            "closed after {waited:?}"
        );
        assert!(pool.idle.lock().unwrap().is_empty());
    }
}
