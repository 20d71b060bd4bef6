//! `GET /readyz`: whether this instance can serve SOAP calls now — the
//! REST upstream answers, and so does Redis when sessions live there.
//! `/healthz` stays liveness only (the process serves HTTP).
//!
//! A dependency counts as up when it answered within [`RECENT`] with no
//! failed exchange since (the REST client's own calls are the evidence,
//! so a busy instance probes nothing); otherwise it is probed now: a
//! credential-less `GET` of the REST base path (any HTTP status is an
//! answer) within [`PROBE_TIMEOUT`], and Redis `PING` within the store's
//! timeout, both at once. A 503 names what is down and why.

use std::time::Duration;

use crate::metrics::{self, Upstream};
use crate::rest::RestClient;
use crate::session::SessionStore;

/// An answer this recent (and no failure since) needs no probe.
pub const RECENT: Duration = Duration::from_secs(5);

/// The longest a REST probe may take (Kubernetes' default probe timeout
/// is 1 s; a readiness answer must come before the kubelet gives up).
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(900);

/// `Ok` when ready, else one line per dependency that is down.
pub async fn check(rest: &RestClient, sessions: &SessionStore) -> Result<(), Vec<String>> {
    let rest_check = async {
        if metrics::answered_within(Upstream::Rest).is_some_and(|ago| ago <= RECENT) {
            return None;
        }
        match rest.probe(PROBE_TIMEOUT).await {
            Ok(_) => None,
            Err(e) => Some(format!(
                "REST upstream {} is down: {}",
                rest.base(),
                e.into_fault().message
            )),
        }
    };
    let redis_check = async {
        let redis = sessions.redis()?;
        if redis.last_answer_age().is_some_and(|ago| ago <= RECENT) {
            return None;
        }
        redis
            .ping()
            .await
            .err()
            .map(|e| format!("session store {} is down: {e}", redis.shown()))
    };
    let (rest_down, redis_down) = tokio::join!(rest_check, redis_check);
    let down: Vec<String> = rest_down.into_iter().chain(redis_down).collect();
    if down.is_empty() {
        Ok(())
    } else {
        Err(down)
    }
}
