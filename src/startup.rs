//! Putting the gateway together: the REST client, the session store, the
//! optional in-process sandbox, the request handlers and the listener.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::body_memory::BodyMemory;
use crate::config::{Config, Upstream};
use crate::legacy::LegacyClient;
use crate::legacy_demo::{self, LegacyDemoHandle};
use crate::ops::{Clock, Context};
use crate::request_body::{BodyDeadline, BodyLimits};
use crate::rest::RestClient;
use crate::routing::stats::MigrationStats;
use crate::routing::table::LegacyService;
use crate::routing::{RouteTable, Router};
use crate::sandbox::{self, SandboxConfig, SandboxHandle};
use crate::server::{handler, AppState};
use crate::session::SessionStore;
use crate::soap::Limits;
use crate::workers::{self, WorkerPool, WorkerSettings};

/// A running gateway (and its sandbox, with `--sandbox`).
pub struct Gateway {
    addr: SocketAddr,
    sandbox: Option<SandboxHandle>,
    /// The legacy ECGridOS base URL (`--legacy`), if any.
    legacy: Option<String>,
    /// The legacy emulator, with `--sandbox --legacy sandbox`.
    legacy_demo: Option<LegacyDemoHandle>,
    upstream: String,
    /// Where sessions live, as the banner says it (password masked).
    sessions: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Gateway {
    /// The address the gateway listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` of the gateway.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The upstream base URL in use.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The in-process sandbox, with `--sandbox`.
    pub fn sandbox(&self) -> Option<&SandboxHandle> {
        self.sandbox.as_ref()
    }

    /// The legacy ECGridOS base URL in use (`--legacy`), if any.
    pub fn legacy(&self) -> Option<&str> {
        self.legacy.as_deref()
    }

    /// The one line printed on start.
    pub fn banner(&self) -> String {
        let endpoints = "SOAP endpoints /v4.1/prod/ECGridOS.asmx and /v3.2/prod/ecgridos.asmx";
        let legacy = match (&self.legacy, &self.legacy_demo) {
            (Some(url), Some(_)) => {
                format!("; legacy: embedded ECGridOS emulator at {url}; migration page /migration")
            }
            (Some(url), None) => format!("; legacy: {url}; migration page /migration"),
            _ => String::new(),
        };
        let sessions = match &self.sessions {
            Some(shown) => format!("; sessions: shared in {shown}"),
            None => String::new(),
        };
        self.banner_without_legacy(endpoints) + &legacy + &sessions
    }

    fn banner_without_legacy(&self, endpoints: &str) -> String {
        match &self.sandbox {
            Some(_) => format!(
                "ecgrid-gateway listening on {} ({endpoints}); upstream: embedded sandbox at {} (accounts: {}; demo and partner are interconnected)",
                self.base_url(),
                self.upstream,
                sandbox::parties_summary(&sandbox::Account::builtins()),
            ),
            None => format!(
                "ecgrid-gateway listening on {} ({endpoints}); upstream: {}",
                self.base_url(),
                self.upstream
            ),
        }
    }

    /// Stops accepting, lets in-flight requests finish (closing what is
    /// still open after `--shutdown-grace`), then stops the sandbox (which
    /// finishes or reports its in-flight deliveries).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "gateway server ended with an error"),
            Err(e) => tracing::warn!(error = %e, "gateway server task failed"),
        }
        if let Some(demo) = self.legacy_demo.take() {
            demo.shutdown();
        }
        if let Some(sandbox) = self.sandbox.take() {
            let report = sandbox.shutdown().await;
            tracing::info!(?report, "sandbox stopped");
        }
    }
}

/// Starts the gateway on `listener` (and the sandbox with `--sandbox`).
pub async fn start(config: &Config, listener: TcpListener) -> Result<Gateway, String> {
    start_with_clock(config, listener, time::OffsetDateTime::now_utc).await
}

/// [`start`] with a chosen clock (snapshot tests freeze it).
pub async fn start_with_clock(
    config: &Config,
    listener: TcpListener,
    clock: Clock,
) -> Result<Gateway, String> {
    let (upstream, sandbox) = match &config.upstream {
        Upstream::Url(url) => (url.clone(), None),
        Upstream::Sandbox {
            allow_http_callbacks,
        } => {
            let sandbox_listener = TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| format!("cannot start the sandbox: {e}"))?;
            let handle = sandbox::start(
                sandbox_listener,
                SandboxConfig {
                    allow_http_callbacks: *allow_http_callbacks,
                    max_parcel_bytes: config.sandbox_max_parcel_bytes,
                    ..SandboxConfig::default()
                },
            )
            .await
            .map_err(|e| format!("cannot start the sandbox: {e}"))?;
            (handle.base_url(), Some(handle))
        }
    };
    crate::metrics::init(crate::ops::OPERATIONS.iter().map(|spec| spec.name));
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listen address: {e}"))?;
    // One handler per worker, each with its own upstream client (and so its
    // own connection pool, driven on that worker's thread); the session
    // store is shared.
    let sessions = SessionStore::open(
        &config.sessions,
        config.session_idle_timeout,
        config.session_capacity,
    )
    .await?;
    let rest = RestClient::new(&upstream, config.upstream_timeout, &config.upstream_ca)?;
    let (legacy_url, legacy_demo) = match &config.routing.legacy {
        None => (None, None),
        Some(LegacyService::Url(url)) => (Some(url.clone()), None),
        Some(LegacyService::Sandbox) => {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| format!("cannot start the legacy emulator: {e}"))?;
            let handle = legacy_demo::start(listener, SandboxConfig::default().accounts)
                .await
                .map_err(|e| format!("cannot start the legacy emulator: {e}"))?;
            (Some(handle.base_url()), Some(handle))
        }
    };
    let legacy = legacy_url
        .as_deref()
        .map(|url| LegacyClient::new(url, config.upstream_timeout, &config.upstream_ca))
        .transpose()?;
    let table = Arc::new(RouteTable::new(&config.routing));
    let stats = Arc::new(MigrationStats::new());
    let body_memory = BodyMemory::new(config.max_body_memory, config.max_body);
    let mut handlers = Vec::with_capacity(config.workers);
    for _ in 0..config.workers {
        let legacy = legacy.as_ref().map(LegacyClient::with_own_pool);
        handlers.push(handler(AppState {
            ctx: Context {
                rest: rest.with_own_pool(),
                sessions: sessions.clone(),
                clock,
                call_deadline: config.upstream_timeout,
                legacy: legacy.clone(),
            },
            public_url: config.public_url.as_deref().map(Arc::from),
            body_limits: BodyLimits {
                base: config.max_body,
                upload: config.max_upload_body,
            },
            body_deadline: BodyDeadline {
                grace: config.body_read_timeout,
                min_rate: config.body_min_rate,
            },
            body_memory: body_memory.clone(),
            limits: Limits::default(),
            router: Router::new(
                table.clone(),
                &config.routing,
                legacy,
                stats.clone(),
                sessions.clone(),
            ),
            sandbox_metrics: sandbox.is_some(),
        }));
    }
    let settings = WorkerSettings {
        shutdown_grace: config.shutdown_grace,
        max_connections: config.max_connections,
        ..WorkerSettings::default()
    };
    let pool = WorkerPool::start(handlers, settings)
        .map_err(|e| format!("cannot start the worker threads (--workers): {e}"))?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(workers::serve(listener, pool, stopped));
    Ok(Gateway {
        addr,
        sandbox,
        legacy: legacy_url,
        legacy_demo,
        upstream,
        sessions: sessions.redis().map(|r| r.shown().to_string()),
        stop: Some(stop),
        task,
    })
}

/// `ecgrid-gateway serve`: bind, print the banner, serve until Ctrl-C or
/// SIGTERM, shut down gracefully.
pub async fn run(config: Config) -> Result<(), String> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {} (--listen): {e}", config.listen))?;
    let gateway = start(&config, listener).await?;
    println!("{}", gateway.banner());
    shutdown_signal().await;
    tracing::info!("shutting down");
    gateway.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
