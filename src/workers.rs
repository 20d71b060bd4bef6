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
//! BENCHMARKS.md (about a quarter less CPU per request than one shared
//! multi-thread runtime).
//!
//! The acceptor ([`serve`]) runs on the caller's runtime, accepts on the one
//! listener (bound normally, so a second gateway on the same port still gets
//! "address in use") and hands each connection to the next worker in turn.
//! Each worker serves its connections with `axum::serve` over a
//! [`HandedOff`] listener, so connection handling and graceful shutdown are
//! axum's.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};

/// A connection on its way to a worker.
type Handoff = (std::net::TcpStream, SocketAddr);

/// Worker threads, each serving the connections handed to it with its own
/// [`Router`] on its own single-threaded runtime.
pub struct WorkerPool {
    workers: Vec<mpsc::UnboundedSender<Handoff>>,
    next: usize,
    stop: watch::Sender<bool>,
    finished: Vec<oneshot::Receiver<()>>,
}

impl WorkerPool {
    /// Starts one worker thread per router (`ecgrid-worker-N`). `local_addr`
    /// is what the workers report as their listen address.
    pub fn start(routers: Vec<Router>, local_addr: SocketAddr) -> io::Result<Self> {
        if routers.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "at least one worker is needed",
            ));
        }
        let (stop, _) = watch::channel(false);
        let mut workers = Vec::with_capacity(routers.len());
        let mut finished = Vec::with_capacity(routers.len());
        for (index, router) in routers.into_iter().enumerate() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (handoff, connections) = mpsc::unbounded_channel();
            let (done, done_rx) = oneshot::channel();
            let listener = HandedOff {
                connections,
                local_addr,
            };
            let stopped = stop_signal(stop.subscribe());
            std::thread::Builder::new()
                .name(format!("ecgrid-worker-{index}"))
                .spawn(move || {
                    let served = runtime.block_on(async move {
                        axum::serve(listener, router)
                            .with_graceful_shutdown(stopped)
                            .await
                    });
                    if let Err(e) = served {
                        tracing::error!(worker = index, error = %e, "worker stopped with an error");
                    }
                    let _ = done.send(());
                })?;
            workers.push(handoff);
            finished.push(done_rx);
        }
        Ok(WorkerPool {
            workers,
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
    pub fn dispatch(&mut self, stream: TcpStream, peer: SocketAddr) {
        let mut handoff = match stream.into_std() {
            Ok(stream) => (stream, peer),
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
    /// requests finish (axum's graceful shutdown) and ends its thread.
    /// Returns once every worker has finished.
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

/// Resolves when the pool says stop, or when the pool is gone.
async fn stop_signal(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
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
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => pool.dispatch(stream, peer),
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

/// A worker's side of the handoff, as an axum [`Listener`]: its "accepted"
/// connections are the ones the acceptor hands it.
///
/// [`Listener`]: axum::serve::Listener
pub struct HandedOff {
    connections: mpsc::UnboundedReceiver<Handoff>,
    local_addr: SocketAddr,
}

impl axum::serve::Listener for HandedOff {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.connections.recv().await {
                Some((stream, peer)) => match TcpStream::from_std(stream) {
                    Ok(stream) => return (stream, peer),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not take over a handed-off connection; closed it")
                    }
                },
                // The acceptor is gone: nothing more will come. The worker
                // ends through its shutdown signal.
                None => std::future::pending::<()>().await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::Notify;

    /// A router that answers with the name of the thread serving it.
    fn thread_name_router() -> Router {
        Router::new().route(
            "/",
            get(|| async { std::thread::current().name().unwrap_or("?").to_string() }),
        )
    }

    async fn start(
        workers: usize,
    ) -> (
        SocketAddr,
        oneshot::Sender<()>,
        tokio::task::JoinHandle<io::Result<()>>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let routers = (0..workers).map(|_| thread_name_router()).collect();
        let pool = WorkerPool::start(routers, addr).unwrap();
        assert_eq!(pool.len(), workers);
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, pool, stopped));
        (addr, stop, task)
    }

    /// One HTTP/1.1 GET on its own connection; the body.
    async fn get_body(addr: SocketAddr) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        response.split("\r\n\r\n").nth(1).unwrap().to_string()
    }

    #[tokio::test]
    async fn connections_go_to_every_worker_in_turn() {
        let (addr, stop, task) = start(3).await;
        let mut names = Vec::new();
        for _ in 0..6 {
            names.push(get_body(addr).await);
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
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
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
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let pool = WorkerPool::start(vec![slow], addr).unwrap();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, pool, stopped));

        let request = tokio::spawn(get_body(addr));
        tokio::time::timeout(Duration::from_secs(10), entered.notified())
            .await
            .expect("the request reaches the handler");
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("shutdown finishes")
            .unwrap()
            .unwrap();
        assert_eq!(request.await.unwrap(), "finished");
        assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
    }

    #[test]
    fn an_empty_pool_is_refused() {
        let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert!(WorkerPool::start(Vec::new(), addr).is_err());
    }
}
