//! The in-memory session store (`--sessions memory`, the default): one
//! moka cache in this process, lost on restart, unknown to other instances.

use std::time::Duration;

use moka::future::Cache;

use super::{Session, SessionId};

/// SessionID → [`Session`], with idle expiry and a capacity bound.
///
/// The `Session` is held by value inside moka's entry, not behind an `Arc`
/// of its own (one allocation less per session; a lookup's clone is the
/// token's reference-count bump plus a few words).
#[derive(Clone)]
pub struct MemoryStore {
    cache: Cache<u128, Session>,
    idle_timeout: Duration,
}

impl MemoryStore {
    /// A store whose sessions expire after `idle_timeout` without use and
    /// that holds at most `capacity` sessions (least recently used go first).
    ///
    /// Eviction is moka's LRU policy, not its default TinyLFU: TinyLFU
    /// admits a new entry only when it is estimated to be read more often
    /// than the one it would evict, so with a full store a fresh Login's
    /// session was dropped at once (its SessionID then failed) while an
    /// attacker's old, often-read sessions stayed (issue 16, finding 5).
    pub fn new(idle_timeout: Duration, capacity: u64) -> Self {
        MemoryStore {
            cache: super::lru_cache(capacity, idle_timeout),
            idle_timeout,
        }
    }

    /// The idle timeout sessions were configured with.
    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// Remembers a session under `id` (replacing any previous one).
    pub async fn insert(&self, id: SessionId, session: Session) {
        self.cache.insert(id.0, session).await;
    }

    /// The session for `id`, refreshing its idle timer.
    pub async fn get(&self, id: SessionId) -> Option<Session> {
        self.cache.get(&id.0).await
    }

    /// Forgets `id`; returns the session it held.
    pub async fn remove(&self, id: SessionId) -> Option<Session> {
        self.cache.remove(&id.0).await
    }

    /// Approximate number of live sessions.
    pub fn len(&self) -> u64 {
        self.cache.entry_count()
    }

    /// True when no session is live (approximate, like [`Self::len`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs moka's pending maintenance (expiry, eviction) now; tests and
    /// benchmarks use it to get exact counts.
    pub async fn run_pending_tasks(&self) {
        self.cache.run_pending_tasks().await;
    }
}
