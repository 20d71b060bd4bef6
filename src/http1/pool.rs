//! [`H1Pool`]: the idle keep-alive connections to one upstream, and the
//! exchange on them (the retry rule is in the module doc of [`super`]).

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use http::{HeaderMap, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

use super::head::Framing;
use super::stream::{AnswerBody, StreamedAnswer};
use super::whole::{read_answer, read_head, Answer};
use super::{io_error, root_cause, Conn, H1Error, Io};
use crate::rest::connect::UpstreamConnector;

/// How often idle connections past the idle timeout are closed.
const REAP_EVERY: Duration = Duration::from_secs(15);

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
pub(super) enum Reached {
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

impl Reached {
    /// How far an exchange that failed with `err` after writing got.
    fn after_writing(err: &H1Error) -> Reached {
        match err {
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
        }
    }

    /// Whether the request may go again on a new connection.
    fn may_retry(self, repeatable: bool) -> bool {
        match self {
            Reached::NotWritten | Reached::ResetUnanswered => true,
            Reached::ClosedUnanswered => repeatable,
            Reached::Answered => false,
        }
    }
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

    /// Writes `request` (a whole HTTP/1.1 request, head and body, in parts
    /// written one after the other: an upload's base64 is a part of its own,
    /// never copied into the request) to a connection to `uri`'s origin and
    /// reads the answer, whose body may not exceed `max_body` bytes.
    /// `repeatable`: the request may be sent again if a reused connection
    /// turns out to have been closed before any answer arrived (a GET;
    /// never a POST that creates something).
    pub async fn exchange(
        &self,
        uri: &Uri,
        request: &[&[u8]],
        repeatable: bool,
        max_body: usize,
    ) -> Result<Answer, H1Error> {
        if let Some(conn) = self.checkout().await {
            match self.exchange_on(conn, request, max_body).await {
                Ok(answer) => return Ok(answer),
                Err((_, reached)) if reached.may_retry(repeatable) => {}
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
        request: &[&[u8]],
        max_body: usize,
    ) -> Result<Answer, (H1Error, Reached)> {
        write_request(&mut conn, request).await?;
        let (answer, reuse) = read_answer(&mut conn, max_body).await.map_err(|err| {
            let reached = Reached::after_writing(&err);
            (err, reached)
        })?;
        if let Some(keep_alive) = reuse {
            self.checkin(conn, keep_alive);
        }
        Ok(answer)
    }

    /// [`H1Pool::exchange`] for an answer whose body is streamed: returns
    /// once the answer's head has arrived, with the body to read as it
    /// comes ([`AnswerBody`]); the connection goes back to this pool when
    /// the body has been read to its end (and the answer allows reuse).
    pub async fn exchange_streamed(
        self: &Arc<Self>,
        uri: &Uri,
        request: &[&[u8]],
        repeatable: bool,
    ) -> Result<StreamedAnswer, H1Error> {
        if let Some(conn) = self.checkout().await {
            match self.streamed_on(conn, request).await {
                Ok(answer) => return Ok(answer),
                Err((_, reached)) if reached.may_retry(repeatable) => {}
                Err((err, _)) => return Err(err),
            }
        }
        let conn = self.connect(uri).await?;
        self.streamed_on(conn, request)
            .await
            .map_err(|(err, _)| err)
    }

    async fn streamed_on(
        self: &Arc<Self>,
        mut conn: Box<Conn>,
        request: &[&[u8]],
    ) -> Result<StreamedAnswer, (H1Error, Reached)> {
        write_request(&mut conn, request).await?;
        let mut headers = HeaderMap::new();
        let head = read_head(&mut conn, Some(&mut headers))
            .await
            .map_err(|err| {
                let reached = Reached::after_writing(&err);
                (err, reached)
            })?;
        let reuse = (head.keep_alive && head.framing != Framing::UntilClose)
            .then(|| (self.clone(), head.keep_alive_timeout));
        Ok(StreamedAnswer {
            status: head.status,
            headers,
            body: AnswerBody::new(conn, head.framing, reuse),
        })
    }

    /// How many idle connections the pool holds (tests).
    #[cfg(test)]
    pub(super) fn idle_count(&self) -> usize {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The most recently used idle connection that is still open.
    pub(super) async fn checkout(&self) -> Option<Box<Conn>> {
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
    pub(super) fn checkin(&self, conn: Box<Conn>, keep_alive: Option<Duration>) {
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

    pub(super) async fn connect(&self, uri: &Uri) -> Result<Box<Conn>, H1Error> {
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

/// Writes the request's parts. A write that fails in any part leaves the
/// upstream an incomplete request, which it cannot act on: not written.
pub(super) async fn write_request(
    conn: &mut Conn,
    request: &[&[u8]],
) -> Result<(), (H1Error, Reached)> {
    for part in request {
        if let Err(e) = conn.io.write_all(part).await {
            return Err((io_error(&e, true), Reached::NotWritten));
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::connect::Route;
    use tokio::io::AsyncReadExt;

    #[test]
    fn the_upstreams_keep_alive_timeout_is_kept_with_a_margin() {
        assert_eq!(reuse_within(Duration::from_secs(5)), Duration::from_secs(4));
        assert_eq!(
            reuse_within(Duration::from_secs(1)),
            Duration::from_millis(500)
        );
        assert_eq!(reuse_within(Duration::ZERO), Duration::ZERO);
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
            .exchange(&uri, &[b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"], true, 1024)
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
