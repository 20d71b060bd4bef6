//! State shared by the request handlers and the delivery worker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use time::OffsetDateTime;
use tokio::sync::Notify;

use super::auth::Sessions;
use super::directory::Directory;
use super::parcel_store::ParcelStore;
use super::store::Store;
use super::{Account, SandboxConfig};

/// Shared sandbox state. Locks are never held across an `.await`.
pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub accounts: Vec<Arc<Account>>,
    pub store: Mutex<Store>,
    /// Networks, mailboxes, trading-partner IDs and interconnects.
    pub directory: Directory,
    /// Parcels, files and interchanges (bounded by `max_parcel_bytes`).
    pub parcels: Mutex<ParcelStore>,
    pub sessions: Mutex<Sessions>,
    pub last_login: Mutex<HashMap<usize, OffsetDateTime>>,
    /// One HTTP client for every webhook delivery (no redirects).
    pub client: reqwest::Client,
    /// Wakes the delivery worker (new events, callback re-activated, ...).
    pub wake: Notify,
    pub started: OffsetDateTime,
}

impl Shared {
    pub fn new(config: SandboxConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.delivery.timeout)
            .user_agent(concat!(
                "ecgrid-gateway-sandbox/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| format!("cannot build the webhook HTTP client: {e}"))?;
        let started = OffsetDateTime::now_utc();
        Ok(Shared {
            accounts: config.accounts.iter().cloned().map(Arc::new).collect(),
            directory: Directory::new(&config.accounts, started),
            parcels: Mutex::new(ParcelStore::new(config.max_parcel_bytes)),
            config,
            store: Mutex::new(Store::default()),
            sessions: Mutex::new(Sessions::default()),
            last_login: Mutex::new(HashMap::new()),
            client,
            wake: Notify::new(),
            started,
        })
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }
}

/// Locks a mutex, recovering the data if a holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
