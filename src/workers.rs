//! Thread-per-core serving: one listener, connections handed to worker
//! threads that each run a single-threaded tokio runtime.
//!
//! Why: a SOAP call is a client connection's request plus an upstream REST
//! call. On tokio's multi-thread runtime those two halves (the connection
//! task and the pooled upstream connection's task) often sit on different
//! threads, so every call pays cross-thread wake-ups and work stealing. A
//! worker owns its connections *and* its own upstream client (its own
//! connection pool), so everything a call touches stays on one thread; the
//! session store is the only state shared between workers. Measured in
//! bench/results/HISTORY.md (about a quarter less CPU per request than one shared
//! multi-thread runtime).
//!
//! The acceptor ([`serve`]) runs on the caller's runtime, accepts on the one
//! listener (bound normally, so a second gateway on the same port still gets
//! "address in use") and hands each connection to the next worker in turn.
//! Each worker serves its connections with hyper's HTTP/1 connection
//! builder and the gateway's request [`Handler`] as the service, with a timeout
//! on reading a request head (a client that never finishes one cannot hold
//! a connection forever; the same clock closes idle keep-alive
//! connections, after 120 s as IIS does).
//!
//! Hostile clients (issue 16, findings 3 and 4): a connection's read
//! buffer is at most [`WorkerSettings::max_head_bytes`] (a request head
//! longer than that is refused by hyper, and an unfinished one holds no
//! more; hyper's own answer to such a head, 431, or to one it cannot
//! parse, 400, is given a fault body by `head_refusal`), and at most [`WorkerSettings::max_connections`] connections are
//! open at once: the acceptor takes a permit before it accepts, so past the
//! cap new connections wait in the kernel's listen backlog, which costs the
//! gateway nothing. Body deadlines are the request handler's
//! (`request_body::read_body`).
//!
//! Shutdown: the acceptor stops accepting, every worker asks its
//! connections to finish (idle ones close at once, in-flight requests are
//! answered), and after [`WorkerSettings::shutdown_grace`] the connections
//! still open are closed.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::head_refusal::FaultOnRefusal;

/// What a worker answers each request with: the gateway's
/// `server::handler` (no router in between; measured in bench/results/HISTORY.md, fix
/// 15).
pub type Handler = Arc<
    dyn Fn(http::Request<Incoming>) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync,
>;

/// A connection on its way to a worker, with its place under
/// `--max-connections` (given back when the connection ends).
type Handoff = (std::net::TcpStream, SocketAddr, OwnedSemaphorePermit);

/// How workers treat their connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerSettings {
    /// A connection is closed when a whole request head has not arrived
    /// this long after the connection became ready for one: this bounds
    /// both slow clients and idle keep-alive connections (hyper starts the
    /// clock when it starts waiting for the next request).
    pub header_read_timeout: Duration,
    /// How long a shutdown waits for open connections to finish before it
    /// closes them.
    pub shutdown_grace: Duration,
    /// Most bytes a connection buffers while reading a request head
    /// (hyper's `max_buf_size`; its least is 8 KiB). A longer head is
    /// refused with 431.
    pub max_head_bytes: usize,
    /// Most connections open at once (`--max-connections`).
    pub max_connections: usize,
}

impl Default for WorkerSettings {
    /// 120 s for a request head, which is also the keep-alive idle timeout:
    /// IIS's default connection timeout, which the legacy ASMX service's
    /// clients were tuned against (.NET keeps an idle connection for 100 s
    /// and fails a call sent on one the server has just closed, so a shorter
    /// idle timeout here would surface as "connection closed" errors).
    /// 30 s of shutdown grace (what orchestrators commonly allow before
    /// they kill). 16 KiB of request head (IIS's default limit for request
    /// headers; the legacy clients' heads are well under 1 KiB), and the
    /// least of the default `--max-connections` range.
    fn default() -> Self {
        WorkerSettings {
            header_read_timeout: Duration::from_secs(120),
            shutdown_grace: Duration::from_secs(30),
            max_head_bytes: 16 * 1024,
            max_connections: crate::config::DEFAULT_MAX_CONNECTIONS_RANGE.0,
        }
    }
}

/// Worker threads, each serving the connections handed to it with its own
/// [`Handler`] on its own single-threaded runtime.
pub struct WorkerPool {
    workers: Vec<mpsc::UnboundedSender<Handoff>>,
    /// Places under `--max-connections`.
    permits: Arc<Semaphore>,
    next: usize,
    stop: watch::Sender<bool>,
    finished: Vec<oneshot::Receiver<()>>,
}

impl WorkerPool {
    /// Starts one worker thread per handler (`ecgrid-worker-N`).
    pub fn start(handlers: Vec<Handler>, settings: WorkerSettings) -> io::Result<Self> {
        if handlers.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "at least one worker is needed",
            ));
        }
        let (stop, _) = watch::channel(false);
        let mut workers = Vec::with_capacity(handlers.len());
        let mut finished = Vec::with_capacity(handlers.len());
        for (index, handler) in handlers.into_iter().enumerate() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (handoff, connections) = mpsc::unbounded_channel();
            let (done, done_rx) = oneshot::channel();
            let stop = stop.subscribe();
            std::thread::Builder::new()
                .name(format!("ecgrid-worker-{index}"))
                .spawn(move || {
                    runtime.block_on(run_worker(connections, handler, stop, settings));
                    let _ = done.send(());
                })?;
            workers.push(handoff);
            finished.push(done_rx);
        }
        Ok(WorkerPool {
            workers,
            permits: Arc::new(Semaphore::new(settings.max_connections.max(1))),
            next: 0,
            stop,
            finished,
        })
    }

    /// How many workers serve connections.
    pub fn len(&self) -> usize {
        self.workers.len()
    }

    /// Always false: a pool has at least one worker.
    pub fn is_empty(&self) -> bool {
        self.workers.is_empty()
    }

    /// Hands an accepted connection to the next worker (round robin); a
    /// worker that is gone is skipped. The connection is closed, with an
    /// error logged, only when no worker can take it.
    pub fn dispatch(&mut self, stream: TcpStream, peer: SocketAddr, permit: OwnedSemaphorePermit) {
        let mut handoff = match stream.into_std() {
            Ok(stream) => (stream, peer, permit),
            Err(e) => {
                tracing::warn!(error = %e, "could not hand a connection to a worker; closed it");
                return;
            }
        };
        for _ in 0..self.workers.len() {
            let worker = &self.workers[self.next];
            self.next = (self.next + 1) % self.workers.len();
            match worker.send(handoff) {
                Ok(()) => return,
                Err(mpsc::error::SendError(back)) => handoff = back,
            }
        }
        tracing::error!("no worker thread is running; closed a connection");
    }

    /// Stops the workers: each stops taking connections, lets its in-flight
    /// requests finish within the shutdown grace, closes what is left and
    /// ends its thread. Returns once every worker has finished.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        drop(self.workers);
        for (index, finished) in self.finished.into_iter().enumerate() {
            if finished.await.is_err() {
                tracing::warn!(worker = index, "worker thread ended abnormally");
            }
        }
    }
}

/// One worker: serves handed-off connections until told to stop (or the
/// pool is gone), then shuts its connections down within the grace.
async fn run_worker(
    mut connections: mpsc::UnboundedReceiver<Handoff>,
    handler: Handler,
    mut stop: watch::Receiver<bool>,
    settings: WorkerSettings,
) {
    let (closing, _) = watch::channel(false);
    let mut open = JoinSet::new();
    loop {
        tokio::select! {
            handed = connections.recv() => match handed {
                Some((stream, peer, permit)) => match take_over(stream) {
                    Ok(stream) => {
                        let served = serve_connection(stream, handler.clone(), closing.subscribe(), settings);
                        open.spawn(async move {
                            served.await;
                            drop(permit);
                        });
                    }
                    Err(e) => {
                        tracing::warn!(%peer, error = %e, "could not take over a handed-off connection; closed it");
                    }
                },
                None => break,
            },
            _ = stop.wait_for(|stop| *stop) => break,
            Some(_) = open.join_next(), if !open.is_empty() => {}
        }
    }
    let _ = closing.send(true);
    let drained = tokio::time::timeout(settings.shutdown_grace, async {
        while open.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = open.len(),
            grace_s = settings.shutdown_grace.as_secs_f64(),
            "connections still open after the shutdown grace; closing them"
        );
        open.shutdown().await;
    }
}

/// A handed-off connection on this worker's runtime, with Nagle's
/// algorithm off (as nginx's `tcp_nodelay`): a response split over several
/// writes is never held back waiting for the client's delayed ACK.
fn take_over(stream: std::net::TcpStream) -> io::Result<TcpStream> {
    stream.set_nodelay(true)?;
    TcpStream::from_std(stream)
}

/// Serves one connection (HTTP/1.1, keep-alive) until the client closes it,
/// it fails, or `closing` turns true; then finishes the request in flight,
/// if any, and closes.
async fn serve_connection(
    stream: TcpStream,
    handler: Handler,
    mut closing: watch::Receiver<bool>,
    settings: WorkerSettings,
) {
    let service = hyper::service::service_fn(move |request| {
        let answer = handler(request);
        async move { Ok::<_, Infallible>(answer.await) }
    });
    let max_head_bytes = settings.max_head_bytes.max(8 * 1024);
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout)
        .max_buf_size(max_head_bytes)
        .serve_connection(
            TokioIo::new(FaultOnRefusal::new(stream, max_head_bytes)),
            service,
        );
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        served = connection.as_mut() => {
            if let Err(e) = served {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            return;
        }
        _ = closing.wait_for(|closing| *closing) => connection.as_mut().graceful_shutdown(),
    }
    if let Err(e) = connection.await {
        tracing::debug!(error = %e, "connection ended with an error during shutdown");
    }
}

/// Accepts on `listener` and hands every connection to `pool` until `stop`
/// resolves (or its sender is dropped); then stops accepting and shuts the
/// pool down gracefully.
pub async fn serve(
    listener: TcpListener,
    mut pool: WorkerPool,
    stop: oneshot::Receiver<()>,
) -> io::Result<()> {
    let mut stop = std::pin::pin!(stop);
    let permits = pool.permits.clone();
    loop {
        // A place first: past --max-connections, connections wait in the
        // listen backlog, unaccepted.
        let permit = tokio::select! {
            _ = &mut stop => break,
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let accepted = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => pool.dispatch(stream, peer, permit),
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                // Out of file descriptors and the like: retrying at once
                // would spin (as axum::serve and hyper do, wait a second).
                tracing::error!(error = %e, "accept failed; retrying in 1 s");
                tokio::select! {
                    _ = &mut stop => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
    drop(listener);
    pool.shutdown().await;
    Ok(())
}

/// Errors that concern one connection, not the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use std::time::Instant;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::Notify;

    /// A running acceptor + pool, stopped through `stop`.
    struct Running {
        addr: SocketAddr,
        stop: oneshot::Sender<()>,
        task: tokio::task::JoinHandle<io::Result<()>>,
    }

    impl Running {
        async fn start(routers: Vec<Router>, settings: WorkerSettings) -> Running {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let workers = routers.len();
            let handlers = routers.into_iter().map(router_handler).collect();
            let pool = WorkerPool::start(handlers, settings).unwrap();
            assert_eq!(pool.len(), workers);
            let (stop, stopped) = oneshot::channel();
            let task = tokio::spawn(serve(listener, pool, stopped));
            Running { addr, stop, task }
        }

        /// Stops and waits for the shutdown (at most `limit`); how long it took.
        async fn shut_down_within(self, limit: Duration) -> Duration {
            let started = Instant::now();
            self.stop.send(()).unwrap();
            tokio::time::timeout(limit, self.task)
                .await
                .expect("shutdown finishes in time")
                .unwrap()
                .unwrap();
            started.elapsed()
        }
    }

    /// A [`Handler`] that answers with `router`.
    fn router_handler(router: axum::Router) -> Handler {
        Arc::new(move |request: http::Request<Incoming>| {
            let router = router.clone();
            Box::pin(async move {
                let request = request.map(Body::new);
                match tower::ServiceExt::oneshot(router, request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            })
        })
    }

    /// A router that answers with the name of the thread serving it.
    fn thread_name_router() -> Router {
        Router::new().route(
            "/",
            get(|| async { std::thread::current().name().unwrap_or("?").to_string() }),
        )
    }

    /// A new connection to `addr` on which `bytes` have been sent.
    async fn connect_and_send(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        stream
    }

    /// A client that sends half a request head and then nothing.
    async fn half_a_request_head(addr: SocketAddr) -> TcpStream {
        connect_and_send(addr, b"POST / HTTP/1.1\r\nHost: x\r\n").await
    }

    /// One HTTP/1.1 GET on its own connection; the body.
    async fn get_body(addr: SocketAddr) -> String {
        let request = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        let mut stream = connect_and_send(addr, request).await;
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        response.split("\r\n\r\n").nth(1).unwrap().to_string()
    }

    #[tokio::test]
    async fn connections_go_to_every_worker_in_turn() {
        let routers = (0..3).map(|_| thread_name_router()).collect();
        let running = Running::start(routers, WorkerSettings::default()).await;
        let mut names = Vec::new();
        for _ in 0..6 {
            names.push(get_body(running.addr).await);
        }
        assert_eq!(
            names,
            [
                "ecgrid-worker-0",
                "ecgrid-worker-1",
                "ecgrid-worker-2",
                "ecgrid-worker-0",
                "ecgrid-worker-1",
                "ecgrid-worker-2"
            ]
        );
        running.shut_down_within(Duration::from_secs(10)).await;
    }

    #[tokio::test]
    async fn shutdown_lets_in_flight_requests_finish_then_stops_accepting() {
        let entered = Arc::new(Notify::new());
        let handler_entered = entered.clone();
        let slow = Router::new().route(
            "/",
            get(move || async move {
                handler_entered.notify_one();
                tokio::time::sleep(Duration::from_millis(300)).await;
                "finished"
            }),
        );
        let running = Running::start(vec![slow], WorkerSettings::default()).await;
        let addr = running.addr;
        let request = tokio::spawn(get_body(addr));
        tokio::time::timeout(Duration::from_secs(10), entered.notified())
            .await
            .expect("the request reaches the handler");
        running.shut_down_within(Duration::from_secs(10)).await;
        assert_eq!(request.await.unwrap(), "finished");
        assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
    }

    #[tokio::test]
    async fn a_request_head_that_never_finishes_is_cut_off() {
        let settings = WorkerSettings {
            header_read_timeout: Duration::from_millis(300),
            ..WorkerSettings::default()
        };
        let running = Running::start(vec![thread_name_router()], settings).await;
        let mut stream = half_a_request_head(running.addr).await;
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest))
            .await
            .expect("the server closes the connection")
            .ok();
        // The worker still serves everyone else.
        assert_eq!(get_body(running.addr).await, "ecgrid-worker-0");
        running.shut_down_within(Duration::from_secs(10)).await;
    }

    #[tokio::test]
    async fn shutdown_closes_what_is_still_open_after_the_grace() {
        // The head timeout is far away; only the grace can end this.
        let settings = WorkerSettings {
            header_read_timeout: Duration::from_secs(600),
            shutdown_grace: Duration::from_millis(300),
            ..WorkerSettings::default()
        };
        let running = Running::start(vec![thread_name_router()], settings).await;
        let mut stuck = half_a_request_head(running.addr).await;
        // Make sure the worker holds the connection before stopping.
        assert_eq!(get_body(running.addr).await, "ecgrid-worker-0");
        let took = running.shut_down_within(Duration::from_secs(10)).await;
        assert!(took >= Duration::from_millis(300), "{took:?}");
        // Closed by the server: end of stream or a reset, but no waiting.
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), stuck.read_to_end(&mut rest))
            .await
            .expect("the stuck connection is closed")
            .ok();
    }

    #[tokio::test]
    async fn an_idle_keep_alive_connection_is_closed_after_the_head_timeout() {
        // Legacy .NET clients keep idle connections for 100 s: the default
        // must outlast that, as IIS's 120 s did.
        assert_eq!(
            WorkerSettings::default().header_read_timeout,
            Duration::from_secs(120)
        );
        let settings = WorkerSettings {
            header_read_timeout: Duration::from_millis(300),
            ..WorkerSettings::default()
        };
        let running = Running::start(vec![thread_name_router()], settings).await;
        let mut stream = connect_and_send(running.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        // Kept alive at first ...
        let early = tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await;
        assert!(early.is_err(), "closed too early: {early:?}");
        // ... closed once idle past the timeout.
        let later = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("closed after the timeout");
        assert_eq!(later.unwrap(), 0);
        running.shut_down_within(Duration::from_secs(10)).await;
    }

    #[tokio::test]
    async fn a_taken_over_connection_has_nagle_off() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        accepted.set_nonblocking(true).unwrap();
        assert!(!accepted.nodelay().unwrap(), "the default has Nagle on");
        assert!(take_over(accepted).unwrap().nodelay().unwrap());
    }

    #[tokio::test]
    async fn past_max_connections_new_connections_wait_until_one_closes() {
        let settings = WorkerSettings {
            max_connections: 1,
            ..WorkerSettings::default()
        };
        let running = Running::start(vec![thread_name_router()], settings).await;
        let holder = half_a_request_head(running.addr).await;
        // Make sure the first connection holds the one place.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let waiting = tokio::spawn(get_body(running.addr));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiting.is_finished(), "served past --max-connections");
        drop(holder);
        let body = tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("served once the first connection closed")
            .unwrap();
        assert_eq!(body, "ecgrid-worker-0");
        running.shut_down_within(Duration::from_secs(10)).await;
    }

    #[tokio::test]
    async fn a_request_head_past_max_head_bytes_is_refused_not_buffered() {
        let running = Running::start(vec![thread_name_router()], WorkerSettings::default()).await;
        let mut stream = connect_and_send(running.addr, b"GET / HTTP/1.1\r\nHost: x\r\n").await;
        // 64 KiB of header lines, four times the limit, never finished.
        let line = format!("X-Pad: {}\r\n", "a".repeat(1000));
        let mut refused = false;
        for _ in 0..64 {
            if stream.write_all(line.as_bytes()).await.is_err() {
                refused = true;
                break;
            }
        }
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
            .await
            .expect("the connection is closed")
            .ok();
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            refused || answer.starts_with("HTTP/1.1 431"),
            "a 64 KiB head was taken: {answer}"
        );
        running.shut_down_within(Duration::from_secs(10)).await;
    }

    #[test]
    fn an_empty_pool_is_refused() {
        assert!(WorkerPool::start(Vec::new(), WorkerSettings::default()).is_err());
    }
}
