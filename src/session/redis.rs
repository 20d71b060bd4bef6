//! The shared session store of `--sessions redis://…`: every instance
//! reads and writes the same Redis, so a SessionID from `Login` on one
//! instance works on all of them and outlives a restart of any.
//!
//! **In Redis**: one key per session, `ecgrid-gateway:session:` and the
//! SHA-256 of the SessionID; the value is the record sealed with
//! `--session-key` (`crypto.rs`). Its TTL is the idle timeout, set by
//! `Login` (`SET … PX`) and refreshed on use (`GETEX … PX`).
//!
//! **Near-cache**: each instance keeps the sessions it served in a moka
//! cache (`--session-capacity`, idle timeout), each entry with the time it
//! was last read from Redis. An entry younger than [`RECHECK`] answers
//! without Redis; an older one is read again (which also refreshes the
//! TTL). A `Logout` deletes the key; another instance's cached entry is
//! then used for at most `RECHECK` more before the re-read finds the key
//! gone: **a Logout anywhere is refused everywhere within 2 s** (plus one
//! Redis round trip). Re-reading was chosen over pub/sub invalidation: it
//! needs no subscription to keep alive, loses nothing while a connection
//! is down, and costs one Redis read per session per 2 s per instance,
//! whatever the request rate.
//!
//! **Redis down or slow**: every Redis command is bounded by
//! [`STORE_TIMEOUT`]; past it, or on a connection error, the caller gets a
//! [`StoreError`] (the operation a `soap:Server` fault) — a stale entry is
//! never served past `RECHECK`, so the Logout bound holds even then. redis-rs'
//! `ConnectionManager` reconnects by itself on the next command after a
//! failure. An API key that is not GUID-shaped never reaches the store; a
//! GUID-shaped one is read once and then remembered as absent (`get`), so
//! it costs no Redis round trip after its first call and keeps working
//! while Redis is down.
//!
//! Nothing here logs a SessionID, a token or the Redis password.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::future::Cache;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Expiry};
use tokio::sync::OnceCell;

use super::crypto::{redis_key, OpenedWith, Sealer, SessionKey};
use super::{record, Session, SessionId, StoreError};

/// How long a near-cache entry answers without asking Redis again: the
/// bound on how long a Logout elsewhere goes unnoticed here.
pub const RECHECK: Duration = Duration::from_secs(2);

/// The most one Redis command (connecting included) may take before the
/// call fails.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(1);

/// `--sessions redis://…` as given: the URL (which may hold a password)
/// and the form of it that may be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisTarget {
    url: String,
    shown: String,
}

impl RedisTarget {
    /// Checks a `redis://` or `rediss://` URL
    /// (`redis://[USER:PASSWORD@]HOST:PORT[/DB]`); the error never repeats
    /// a password.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let url = url::Url::parse(text)
            .map_err(|e| format!("{e}; expected redis://HOST:PORT[/DB] or rediss://…"))?;
        if !matches!(url.scheme(), "redis" | "rediss") || url.host_str().is_none() {
            return Err(
                "expected memory, redis://HOST:PORT[/DB] or rediss://HOST:PORT[/DB]".into(),
            );
        }
        let db = url.path().trim_start_matches('/');
        if !db.is_empty() && db.parse::<u16>().is_err() {
            return Err(format!(
                "the database after the port must be a number, e.g. redis://{}:6379/0",
                url.host_str().unwrap_or("HOST")
            ));
        }
        let mut shown = url.clone();
        if url.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        redis::Client::open(text).map_err(|e| format!("not a Redis URL: {}", e.kind_name()))?;
        Ok(RedisTarget {
            url: text.to_string(),
            shown: shown.to_string(),
        })
    }

    /// The URL with its password masked.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

impl std::fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisTarget({})", self.shown)
    }
}

trait KindName {
    fn kind_name(&self) -> String;
}

impl KindName for redis::RedisError {
    fn kind_name(&self) -> String {
        format!("{:?}", self.kind())
    }
}

/// A near-cache entry: the session and when Redis last confirmed it.
#[derive(Clone)]
struct Cached {
    session: Session,
    checked: Instant,
}

/// The Redis session store with its near-cache (cheap to clone: shared).
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    /// The runtime the connection's tasks run on (the main one, not a
    /// worker's).
    runtime: tokio::runtime::Handle,
    near: Cache<u128, Cached>,
    /// GUIDs Redis had no session for (GUID-shaped API keys): see
    /// [`RedisStore::get`].
    absent: Cache<u128, ()>,
    sealer: Sealer,
    idle_ms: u64,
    shown: String,
    /// Milliseconds since `started` of the last command Redis answered.
    last_answer_ms: AtomicU64,
    /// … and of the last one that failed.
    last_failure_ms: AtomicU64,
    started: Instant,
}

impl RedisStore {
    /// A store on `target` sealing with `key` (and opening with
    /// `previous`); connects now, within [`STORE_TIMEOUT`], and when that
    /// fails, again on first use (the gateway starts while Redis is down).
    pub async fn connect(
        target: &RedisTarget,
        key: &SessionKey,
        previous: Option<&SessionKey>,
        idle_timeout: Duration,
        capacity: u64,
    ) -> Result<Self, String> {
        let client = redis::Client::open(target.url.as_str()).map_err(|e| {
            format!(
                "invalid value '{}' for --sessions: {}",
                target.shown,
                e.kind_name()
            )
        })?;
        let store = RedisStore {
            inner: Arc::new(Inner {
                client,
                connection: OnceCell::new(),
                runtime: tokio::runtime::Handle::current(),
                near: super::lru_cache(capacity, idle_timeout),
                absent: super::lru_cache(capacity, idle_timeout),
                sealer: Sealer::new(key, previous),
                idle_ms: u64::try_from(idle_timeout.as_millis()).unwrap_or(u64::MAX),
                shown: target.shown.clone(),
                last_answer_ms: AtomicU64::new(0),
                last_failure_ms: AtomicU64::new(0),
                started: Instant::now(),
            }),
        };
        if let Err(e) = store.ping().await {
            tracing::warn!(redis = %store.inner.shown, reason = %e.0, "Redis is not reachable at start; SessionID calls fail until it is");
        }
        Ok(store)
    }

    /// The connection, made on first use (on the main runtime).
    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let inner = &self.inner;
        let made = inner
            .connection
            .get_or_try_init(|| async {
                let client = inner.client.clone();
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(STORE_TIMEOUT)
                    .set_response_timeout(STORE_TIMEOUT)
                    .set_number_of_retries(1)
                    .set_max_delay(500);
                inner
                    .runtime
                    .spawn(ConnectionManager::new_with_config(client, config))
                    .await
                    .map_err(|e| self.unavailable(&e.to_string()))?
                    .map_err(|e| self.unavailable(&e.to_string()))
            })
            .await?;
        Ok(made.clone())
    }

    fn unavailable(&self, why: &str) -> StoreError {
        StoreError(format!(
            "the session store ({}) is unreachable: {why}; SessionIDs from Login cannot be \
             checked until it answers (API keys still work)",
            self.inner.shown
        ))
    }

    /// Runs one command on the connection within [`STORE_TIMEOUT`].
    async fn run<T, F, Fut>(&self, command: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let work = async {
            let connection = self.connection().await?;
            command(connection)
                .await
                .map_err(|e| self.unavailable(&e.to_string()))
        };
        let result = tokio::time::timeout(STORE_TIMEOUT, work).await;
        let ms = (self.inner.started.elapsed().as_millis() as u64).max(1);
        match result {
            Ok(Ok(value)) => {
                self.inner.last_answer_ms.store(ms, Ordering::Relaxed);
                Ok(value)
            }
            Ok(Err(e)) => {
                self.inner.last_failure_ms.store(ms, Ordering::Relaxed);
                Err(e)
            }
            Err(_) => {
                self.inner.last_failure_ms.store(ms, Ordering::Relaxed);
                Err(StoreError(format!(
                    "the session store ({}) did not answer within {}; SessionIDs from Login \
                     cannot be checked until it does (API keys still work)",
                    self.inner.shown,
                    humantime::format_duration(STORE_TIMEOUT)
                )))
            }
        }
    }

    /// `PING`: whether Redis answers now.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.run(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
            .await
            .map(drop)
    }

    /// How long ago Redis last answered a command, if it did and no
    /// command has failed since.
    pub fn last_answer_age(&self) -> Option<Duration> {
        let ms = self.inner.last_answer_ms.load(Ordering::Relaxed);
        let failed = self.inner.last_failure_ms.load(Ordering::Relaxed);
        (ms != 0 && ms >= failed).then(|| {
            self.inner
                .started
                .elapsed()
                .saturating_sub(Duration::from_millis(ms))
        })
    }

    /// The URL of the store, password masked.
    pub fn shown(&self) -> &str {
        &self.inner.shown
    }

    /// Stores `session` under `id` with the idle timeout as its TTL.
    pub async fn insert(&self, id: SessionId, session: Session) -> Result<(), StoreError> {
        let key = redis_key(id);
        let sealed = self.seal(&session, &key)?;
        let ttl = self.inner.idle_ms;
        self.run(|mut c| async move { c.pset_ex::<_, _, ()>(&key, sealed, ttl).await })
            .await?;
        self.inner.absent.invalidate(&id.0).await;
        self.inner
            .near
            .insert(
                id.0,
                Cached {
                    session,
                    checked: Instant::now(),
                },
            )
            .await;
        Ok(())
    }

    fn seal(&self, session: &Session, key: &str) -> Result<Vec<u8>, StoreError> {
        self.inner
            .sealer
            .seal(&record::encode(session), key)
            .map_err(|e| StoreError(format!("cannot seal the session for the store: {e}")))
    }

    /// The session of `id`: from the near-cache when Redis confirmed it
    /// less than [`RECHECK`] ago, else from Redis (refreshing its TTL).
    ///
    /// A GUID Redis had no session for, and that this instance never held
    /// one for, is remembered as absent (as long as a session, within
    /// `--session-capacity`) and answered `None` without Redis: a
    /// GUID-shaped API key then costs one Redis read in all, not one per
    /// call, and keeps working while Redis is down. This never hides a
    /// session: a SessionID is a fresh random GUID that nobody can have
    /// called with before the `Login` that stored it answered, and a
    /// `Login` here clears its entry.
    pub async fn get(&self, id: SessionId) -> Result<Option<Session>, StoreError> {
        if let Some(cached) = self.inner.near.get(&id.0).await {
            if cached.checked.elapsed() < RECHECK {
                return Ok(Some(cached.session));
            }
        } else if self.inner.absent.get(&id.0).await.is_some() {
            // `get`, not `contains_key`, which does not reset the idle
            // timer: a key in use stays remembered, as documented above.
            return Ok(None);
        }
        let key = redis_key(id);
        let ttl = self.inner.idle_ms;
        let sealed: Option<Vec<u8>> = self
            .run(|mut c| {
                let key = key.clone();
                async move { c.get_ex(&key, Expiry::PX(ttl)).await }
            })
            .await?;
        let Some(sealed) = sealed else {
            if self.inner.near.remove(&id.0).await.is_none() {
                // Never a session here: a GUID-shaped API key.
                self.inner.absent.insert(id.0, ()).await;
            }
            return Ok(None);
        };
        let opened = self.inner.sealer.open(&sealed, &key);
        let Some(session) = opened.as_ref().and_then(|(plain, _)| record::decode(plain)) else {
            tracing::warn!(
                session = %id.redacted(),
                "a session in Redis does not open with --session-key (another key, or \
                 --session-key-previous missing after a rotation); treated as no session"
            );
            self.inner.near.invalidate(&id.0).await;
            return Ok(None);
        };
        if opened.is_some_and(|(_, with)| with == OpenedWith::Previous) {
            // Rotation: sealed again with the current key on first use.
            self.insert(id, session.clone()).await?;
        } else {
            self.inner
                .near
                .insert(
                    id.0,
                    Cached {
                        session: session.clone(),
                        checked: Instant::now(),
                    },
                )
                .await;
        }
        Ok(Some(session))
    }

    /// Deletes `id` from Redis (ending it on every instance) and here.
    pub async fn remove(&self, id: SessionId) -> Result<(), StoreError> {
        self.inner.near.invalidate(&id.0).await;
        let key = redis_key(id);
        self.run(|mut c| async move { c.del::<_, ()>(&key).await })
            .await
    }

    /// Sessions in this instance's near-cache (approximate).
    pub fn len(&self) -> u64 {
        self.inner.near.entry_count()
    }

    /// True when the near-cache is empty (approximate).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs the near-cache's pending maintenance.
    pub async fn run_pending_tasks(&self) {
        self.inner.near.run_pending_tasks().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_hide_their_password_and_check_the_scheme() {
        let target = RedisTarget::parse("redis://user:hunter2@127.0.0.1:6379/2").unwrap();
        assert!(!target.shown().contains("hunter2"));
        assert!(!format!("{target:?}").contains("hunter2"));
        assert!(RedisTarget::parse("rediss://cache.internal:6380").is_ok());
        for bad in ["http://x:1", "redis://", "redis://h:1/abc", "nonsense"] {
            let err = RedisTarget::parse(bad).unwrap_err();
            assert!(!err.is_empty(), "{bad}");
        }
        let err = RedisTarget::parse("redis://u:hunter2@h:1/abc").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
