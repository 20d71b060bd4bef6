//! Embedded ECGrid REST v2 sandbox: an in-memory emulator of the endpoints in
//! `docs/REST.md` (auth, users/me, callbacks, events, parcels, mailboxes,
//! networks, trading-partner IDs, interchanges) with real webhook delivery.
//!
//! * Two parties are built in (`demo` and `partner`, interconnected); an
//!   upload is routed by `ecGridIdTo` or its ISA/UNB header
//!   (`edi_route.rs`, `upload_route.rs`) into the recipient's inbox, kept in
//!   a bounded store (`parcel_store.rs`), and fires `InBox`/`OutBox`/
//!   `ConfirmDelivery`/`OutBoxError` callbacks (`parcel_events.rs`).
//!
//! * [`start`] serves the API on a bound listener and returns a
//!   [`SandboxHandle`]; [`SandboxHandle::shutdown`] stops it gracefully and
//!   reports deliveries that could not finish ([`ShutdownReport`]).
//! * `POST /sandbox/events` fires events; a background worker POSTs the
//!   webhook payload to every matching callback, with retries, exponential
//!   backoff with jitter, `Retry-After` handling for 429, and dead-lettering
//!   (see [`DeliveryPolicy`]).
//! * [`cli::SandboxCommand`] is the `ecgrid-gateway sandbox` subcommand.
//!
//! Secrets (passwords, API keys, tokens, `Authorization` headers) are never
//! logged nor returned.

#![warn(missing_docs)]

mod accounts;
mod accounts_file;
mod auth;
mod callbacks;
pub mod cli;
mod delivery;
mod directory;
mod directory_reads;
mod edi_route;
mod edifact_header;
pub mod envelope;
mod interchanges;
mod parcel_access;
mod parcel_events;
mod parcel_json;
mod parcel_lists;
mod parcel_status;
mod parcel_store;
mod parcels;
mod routes;
mod state;
mod store;
mod upload_body;
mod upload_route;
pub mod url_rule;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use accounts::{
    parties_summary, Account, DEMO_API_KEY, DEMO_ECGRID_ID, DEMO_LOGIN, DEMO_PASSWORD,
    PARTNER_API_KEY, PARTNER_ECGRID_ID, PARTNER_LOGIN, PARTNER_PASSWORD,
};
pub use accounts_file::{load_accounts, validate_accounts};
pub use cli::SandboxCommand;
pub use delivery::{backoff_delay, delivery_counts};

use crate::domain::DeliveryStatus;

/// How queued webhook deliveries are attempted and retried.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryPolicy {
    /// Timeout of one delivery attempt (connect to end of response body).
    pub timeout: Duration,
    /// First retry delay; doubles with every failed attempt.
    pub backoff_base: Duration,
    /// Upper bound of a retry delay, and of an honoured `Retry-After`.
    pub backoff_max: Duration,
    /// Randomise each delay within [delay/2, delay] ("equal jitter").
    pub jitter: bool,
    /// After this many 429 answers a delivery gives up (dead_letter).
    pub max_rate_limited_attempts: u32,
    /// Most deliveries attempted at the same time.
    pub max_in_flight: usize,
    /// How long [`SandboxHandle::shutdown`] lets in-flight attempts finish.
    pub shutdown_grace: Duration,
}

impl Default for DeliveryPolicy {
    /// 10 s timeout, 1 s base delay doubling up to 60 s, jitter on, 10
    /// rate-limited attempts, 32 in flight, 5 s shutdown grace.
    fn default() -> Self {
        DeliveryPolicy {
            timeout: Duration::from_secs(10),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            jitter: true,
            max_rate_limited_attempts: 10,
            max_in_flight: 32,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Everything the sandbox needs to run.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Allow `http://` callback URLs to loopback hosts (for local testing).
    pub allow_http_callbacks: bool,
    /// The accounts that may log in (logins and API keys must be unique).
    pub accounts: Vec<Account>,
    /// Lifetime of a bearer token.
    pub token_ttl: Duration,
    /// How long after expiry a token may still be refreshed.
    pub refresh_grace: Duration,
    /// Webhook delivery policy.
    pub delivery: DeliveryPolicy,
    /// Most bytes of parcel file content held in memory (oldest evicted
    /// first; `--max-parcel-bytes`).
    pub max_parcel_bytes: usize,
}

/// Default of [`SandboxConfig::max_parcel_bytes`]: 256 MiB.
pub const DEFAULT_MAX_PARCEL_BYTES: usize = 256 * 1024 * 1024;

impl Default for SandboxConfig {
    /// The demo and partner accounts, HTTPS-only callbacks, 1 h tokens
    /// refreshable for 5 min after expiry, default delivery policy, 256 MiB
    /// of parcel content.
    fn default() -> Self {
        SandboxConfig {
            allow_http_callbacks: false,
            accounts: Account::builtins(),
            token_ttl: Duration::from_secs(3600),
            refresh_grace: Duration::from_secs(300),
            delivery: DeliveryPolicy::default(),
            max_parcel_bytes: DEFAULT_MAX_PARCEL_BYTES,
        }
    }
}

/// A delivery that was still open when the sandbox shut down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedDelivery {
    /// The event (delivery) id.
    pub callback_event_id: i64,
    /// The callback it belongs to.
    pub callback_id: i32,
    /// Its status at shutdown (`pending`, `failed` or `rate_limited`).
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// True when an attempt was cut off by the end of the grace period.
    pub was_in_flight: bool,
}

/// What [`SandboxHandle::shutdown`] observed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Attempts that were in flight at shutdown and finished within the grace
    /// period.
    pub finished: usize,
    /// Deliveries still open after the grace period (never attempted, waiting
    /// for a retry, held by a suspended callback, or cut off mid-attempt).
    pub unfinished: Vec<UnfinishedDelivery>,
}

/// A running sandbox; dropping it without [`SandboxHandle::shutdown`] stops
/// it abruptly.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    worker: JoinHandle<ShutdownReport>,
    grace: Duration,
}

impl SandboxHandle {
    /// The address the sandbox listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT` of the sandbox (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, gives in-flight deliveries
    /// [`DeliveryPolicy::shutdown_grace`] to finish, and reports (and logs)
    /// what is left.
    pub async fn shutdown(self) -> ShutdownReport {
        let _ = self.stop.send(true);
        let report = match self.worker.await {
            Ok(report) => report,
            Err(e) => {
                tracing::error!(error = %e, "sandbox delivery worker ended abnormally");
                ShutdownReport::default()
            }
        };
        let mut server = self.server;
        let bound = self.grace.saturating_add(Duration::from_secs(1));
        if tokio::time::timeout(bound, &mut server).await.is_err() {
            tracing::warn!("sandbox HTTP server did not stop in time; aborting it");
            server.abort();
        }
        if report.unfinished.is_empty() {
            tracing::info!(
                finished = report.finished,
                "sandbox stopped; no delivery left open"
            );
        } else {
            for u in &report.unfinished {
                tracing::warn!(
                    callback_event_id = u.callback_event_id,
                    callback_id = u.callback_id,
                    status = %u.status,
                    attempts = u.attempts,
                    was_in_flight = u.was_in_flight,
                    "sandbox stopped with an unfinished delivery"
                );
            }
            tracing::warn!(
                finished = report.finished,
                unfinished = report.unfinished.len(),
                "sandbox stopped"
            );
        }
        report
    }
}

/// Starts the sandbox on `listener`: serves the API and runs the delivery
/// worker until [`SandboxHandle::shutdown`].
///
/// Fails when the listener has no local address, the accounts are invalid
/// (duplicate login or API key), or the HTTP client cannot be built.
pub async fn start(listener: TcpListener, config: SandboxConfig) -> std::io::Result<SandboxHandle> {
    let addr = listener.local_addr()?;
    validate_accounts(&config.accounts)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let grace = config.delivery.shutdown_grace;
    let shared = Arc::new(state::Shared::new(config).map_err(std::io::Error::other)?);
    let (stop, stop_rx) = watch::channel(false);

    let worker = tokio::spawn(delivery::run_worker(shared.clone(), stop_rx.clone()));
    let app = routes::router(shared);
    let mut server_stop = stop_rx;
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = server_stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "sandbox HTTP server failed");
        }
    });
    tracing::info!(%addr, "sandbox started");
    Ok(SandboxHandle {
        addr,
        stop,
        server,
        worker,
        grace,
    })
}
