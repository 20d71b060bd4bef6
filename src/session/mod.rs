//! SessionIDs and the store that maps them to REST credentials.
//!
//! `Login` mints a [`SessionId`]: 128 bits from the OS CSPRNG, written as an
//! uppercase GUID like ECGridOS's. The [`SessionStore`] keeps SessionID →
//! [`Session`] (the REST bearer token and its expiry, plus who logged in)
//! with an idle timeout, as ECGridOS sessions expire when idle, and a
//! capacity bound:
//!
//! - `memory.rs`: `--sessions memory` (the default), one moka cache in
//!   this process. Keys are stored as `u128`, not text, to keep a million
//!   sessions small.
//! - `redis.rs`: `--sessions redis://…`, shared by every instance, with a
//!   moka near-cache per instance and the Logout bound it documents;
//!   `crypto.rs` seals the values with `--session-key` and hashes the keys;
//!   `record.rs` is a session as plain bytes.
//!
//! A SessionID is a secret: its `Debug` and [`SessionId::redacted`] forms
//! show only the first four hex digits, and nothing here logs a token.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

pub mod crypto;
mod memory;
mod record;
pub mod redis;

pub use crypto::SessionKey;
pub use memory::MemoryStore;
pub use redis::{RedisStore, RedisTarget};

/// A cache keyed by SessionID that holds at most `capacity` entries
/// (least recently used go first) and drops one unused for `idle_timeout`:
/// the memory store, the Redis near-cache and its absent set.
fn lru_cache<V: Clone + Send + Sync + 'static>(
    capacity: u64,
    idle_timeout: Duration,
) -> moka::future::Cache<u128, V> {
    moka::future::Cache::builder()
        .max_capacity(capacity)
        .eviction_policy(moka::policy::EvictionPolicy::lru())
        .time_to_idle(idle_timeout)
        .build()
}

/// A gateway SessionID: 128 random bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(u128);

impl SessionId {
    /// A new SessionID from the OS CSPRNG.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::getrandom(&mut bytes)?;
        Ok(SessionId(u128::from_be_bytes(bytes)))
    }

    /// Reads a GUID (`XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`, any case,
    /// optionally in braces). Anything else is not a SessionID this gateway
    /// minted (it may be an API key).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let text = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(text);
        let bytes = text.as_bytes();
        if bytes.len() != 36 {
            return None;
        }
        let mut value: u128 = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if b != b'-' {
                    return None;
                }
                continue;
            }
            let digit = (b as char).to_digit(16)?;
            value = (value << 4) | u128::from(digit);
        }
        Some(SessionId(value))
    }

    /// The 16 bytes of the SessionID (what the Redis key hashes).
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// The first four hex digits and an ellipsis: safe for logs.
    pub fn redacted(&self) -> String {
        format!("{:04X}…", (self.0 >> 112) as u16)
    }
}

impl fmt::Display for SessionId {
    /// The full uppercase GUID, for the `LoginResult` only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(
            f,
            "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
            (v >> 96) as u32,
            (v >> 80) as u16,
            (v >> 64) as u16,
            (v >> 48) as u16,
            v & 0xFFFF_FFFF_FFFF
        )
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({})", self.redacted())
    }
}

/// A SessionID text as it may appear in logs: the first four characters.
pub fn redact_text(text: &str) -> String {
    let shown: String = text.chars().take(4).collect();
    if text.chars().count() > 4 {
        format!("{shown}…")
    } else {
        "…".to_string()
    }
}

/// What the gateway remembers about a logged-in session. Kept small: a
/// million of these live in memory (`benches/session_scale.rs`); nothing
/// that is not read back belongs here (the login name was dropped for that).
#[derive(Clone)]
pub struct Session {
    /// The REST bearer token.
    pub token: Arc<str>,
    /// When the token expires (UTC), if the upstream said.
    pub expires_at: Option<OffsetDateTime>,
    /// The REST user id.
    pub user_id: i32,
    /// When `Login` created the session.
    pub created: OffsetDateTime,
    /// The paired legacy ECGridOS SessionID (with `--legacy`, when the
    /// legacy service accepted the login): what legacy-routed requests
    /// carry in place of the gateway's SessionID.
    pub legacy_session_id: Option<Arc<str>>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("user_id", &self.user_id)
            .field("created", &self.created)
            .field(
                "legacy_session_id",
                &self.legacy_session_id.as_deref().map(redact_text),
            )
            .finish()
    }
}

/// Why the session store could not answer (Redis down or slow): the
/// operation answers a `soap:Server` fault with this message, which names
/// the store (password masked) and never a SessionID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// Where sessions live (`--sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SessionBackend {
    /// In this process only (the default).
    #[default]
    Memory,
    /// In Redis, shared by every instance, sealed with the keys.
    Redis {
        /// The Redis URL.
        target: RedisTarget,
        /// `--session-key`.
        key: SessionKey,
        /// `--session-key-previous`, during a rotation.
        previous_key: Option<SessionKey>,
    },
}

/// SessionID → [`Session`]: the memory store, or Redis with a near-cache.
/// Cheap to clone (every worker holds one; the stores are shared).
#[derive(Clone)]
pub struct SessionStore {
    backend: Backend,
    idle_timeout: Duration,
}

#[derive(Clone)]
enum Backend {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl SessionStore {
    /// An in-memory store whose sessions expire after `idle_timeout`
    /// without use and that holds at most `capacity` (least recently used
    /// go first).
    pub fn new(idle_timeout: Duration, capacity: u64) -> Self {
        SessionStore {
            backend: Backend::Memory(MemoryStore::new(idle_timeout, capacity)),
            idle_timeout,
        }
    }

    /// The store `backend` names; with Redis, `capacity` bounds the
    /// near-cache only.
    pub async fn open(
        backend: &SessionBackend,
        idle_timeout: Duration,
        capacity: u64,
    ) -> Result<Self, String> {
        Ok(match backend {
            SessionBackend::Memory => Self::new(idle_timeout, capacity),
            SessionBackend::Redis {
                target,
                key,
                previous_key,
            } => SessionStore {
                backend: Backend::Redis(
                    RedisStore::connect(target, key, previous_key.as_ref(), idle_timeout, capacity)
                        .await?,
                ),
                idle_timeout,
            },
        })
    }

    /// The idle timeout sessions were configured with.
    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// The Redis store, when sessions live there.
    pub fn redis(&self) -> Option<&RedisStore> {
        match &self.backend {
            Backend::Redis(store) => Some(store),
            Backend::Memory(_) => None,
        }
    }

    /// Remembers a session under `id` (replacing any previous one).
    pub async fn insert(&self, id: SessionId, session: Session) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(store) => {
                store.insert(id, session).await;
                Ok(())
            }
            Backend::Redis(store) => store.insert(id, session).await,
        }
    }

    /// The session for `id`, refreshing its idle timer.
    pub async fn get(&self, id: SessionId) -> Result<Option<Session>, StoreError> {
        match &self.backend {
            Backend::Memory(store) => Ok(store.get(id).await),
            Backend::Redis(store) => store.get(id).await,
        }
    }

    /// Forgets `id` (with Redis, on every instance).
    pub async fn remove(&self, id: SessionId) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(store) => {
                store.remove(id).await;
                Ok(())
            }
            Backend::Redis(store) => store.remove(id).await,
        }
    }

    /// Approximate number of live sessions in this instance (with Redis,
    /// in its near-cache).
    pub fn len(&self) -> u64 {
        match &self.backend {
            Backend::Memory(store) => store.len(),
            Backend::Redis(store) => store.len(),
        }
    }

    /// True when no session is live (approximate, like [`Self::len`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs moka's pending maintenance (expiry, eviction) now; tests and
    /// benchmarks use it to get exact counts.
    pub async fn run_pending_tasks(&self) {
        match &self.backend {
            Backend::Memory(store) => store.run_pending_tasks().await,
            Backend::Redis(store) => store.run_pending_tasks().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_round_trip_uppercase_and_braces() {
        let id = SessionId::generate().unwrap();
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(text, text.to_uppercase());
        assert_eq!(SessionId::parse(&text), Some(id));
        assert_eq!(SessionId::parse(&text.to_lowercase()), Some(id));
        assert_eq!(SessionId::parse(&format!("{{{text}}}")), Some(id));
        assert_eq!(SessionId::parse("demo-api-key"), None);
        assert_eq!(
            SessionId::parse("A1B2C3D4-E5F6-7890-ABCD-EF123456789G"),
            None
        );
        assert_eq!(
            SessionId::parse("A1B2C3D4xE5F6-7890-ABCD-EF1234567890"),
            None
        );
        assert_ne!(SessionId::generate().unwrap(), id);
    }

    #[test]
    fn redacted_forms_hide_all_but_four_digits() {
        let id = SessionId::parse("A1B2C3D4-E5F6-7890-ABCD-EF1234567890").unwrap();
        assert_eq!(id.redacted(), "A1B2…");
        assert_eq!(format!("{id:?}"), "SessionId(A1B2…)");
        assert_eq!(redact_text("demo-api-key"), "demo…");
        assert_eq!(redact_text("abc"), "…");
    }

    #[tokio::test]
    async fn store_insert_get_remove_and_capacity() {
        let store = SessionStore::new(Duration::from_secs(60), 2);
        let session = Session {
            token: "t".into(),
            expires_at: None,
            user_id: 1,
            created: OffsetDateTime::now_utc(),
            legacy_session_id: Some("LEGACY-SESSION".into()),
        };
        assert!(!format!("{session:?}").contains("LEGACY-SESSION"));
        let ids: Vec<_> = (0..3).map(|_| SessionId::generate().unwrap()).collect();
        for id in &ids {
            store.insert(*id, session.clone()).await.unwrap();
        }
        store.run_pending_tasks().await;
        assert!(store.len() <= 2, "capacity bound holds: {}", store.len());
        let id = SessionId::generate().unwrap();
        store.insert(id, session.clone()).await.unwrap();
        assert_eq!(store.get(id).await.unwrap().unwrap().user_id, 1);
        store.remove(id).await.unwrap();
        assert!(store.get(id).await.unwrap().is_none());
    }

    /// Finding 5 of issue 16: 1,000 sessions read often (an attacker's)
    /// must not lock out new Logins; at capacity the least recently used
    /// session goes, and every new session works.
    #[tokio::test]
    async fn a_full_store_evicts_least_recently_used_and_keeps_new_sessions() {
        let store = SessionStore::new(Duration::from_secs(600), 1000);
        let session = Session {
            token: "t".into(),
            expires_at: None,
            user_id: 1,
            created: OffsetDateTime::now_utc(),
            legacy_session_id: None,
        };
        let first: Vec<_> = (0..1000).map(|_| SessionId::generate().unwrap()).collect();
        for id in &first {
            store.insert(*id, session.clone()).await.unwrap();
        }
        // The attacker reads its sessions a few times each.
        for _ in 0..3 {
            for id in &first {
                assert!(store.get(*id).await.unwrap().is_some());
            }
        }
        let mut newest = Vec::new();
        let mut lost = 0;
        for _ in 0..4000 {
            let id = SessionId::generate().unwrap();
            store.insert(id, session.clone()).await.unwrap();
            // The Login's SessionID is used straight away, as a client does.
            if store.get(id).await.unwrap().is_none() {
                lost += 1;
            }
            newest.push(id);
        }
        store.run_pending_tasks().await;
        assert_eq!(lost, 0, "new sessions that did not work right after Login");
        let live_newest = {
            let mut n = 0;
            for id in &newest[newest.len() - 1000..] {
                n += usize::from(store.get(*id).await.unwrap().is_some());
            }
            n
        };
        assert_eq!(live_newest, 1000, "the 1,000 newest sessions all work");
        let mut live_first = 0;
        for id in &first {
            live_first += usize::from(store.get(*id).await.unwrap().is_some());
        }
        assert_eq!(live_first, 0, "the least recently used went first");
        assert!(store.len() <= 1000, "capacity bound holds: {}", store.len());
    }
}
