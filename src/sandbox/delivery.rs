//! Webhook delivery: one attempt (a real HTTP POST), the retry rules, and the
//! background worker that drives queued deliveries to delivered or
//! dead_letter.

use std::collections::HashMap;
use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::state::Shared;
use super::store::{AttemptRecord, Store};
use super::url_rule;
use super::{DeliveryPolicy, ShutdownReport, UnfinishedDelivery};
use crate::domain::{DeliveryStatus, Status};

/// How many characters of a response body are kept.
pub(crate) const BODY_CHARS: usize = 256;
/// Bytes read from a response body (enough for 256 characters of UTF-8).
const BODY_BYTES: usize = BODY_CHARS * 4 + 4;

/// Delay before retry number `failure` (1 = after the first failed attempt):
/// `backoff_base * 2^(failure-1)`, capped at `backoff_max`; with jitter the
/// delay is drawn from `[d/2, d]` using `unit` ∈ [0, 1].
pub fn backoff_delay(policy: &DeliveryPolicy, failure: u32, unit: f64) -> Duration {
    let exp = failure.saturating_sub(1).min(32);
    let factor = 1u32.checked_shl(exp).unwrap_or(u32::MAX);
    let d = policy
        .backoff_base
        .checked_mul(factor)
        .unwrap_or(policy.backoff_max)
        .min(policy.backoff_max);
    if policy.jitter {
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            1.0
        };
        let half = d / 2;
        half + (d - half).mul_f64(unit)
    } else {
        d
    }
}

/// `now + d`, saturating at a far-future instant instead of overflowing.
pub(crate) fn later(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(now)
}

/// What is needed to attempt one delivery (copied out of the store).
pub(crate) struct AttemptJob {
    pub event_id: i64,
    pub callback_id: i32,
    pub url: String,
    pub basic: Option<(String, String)>,
    pub payload: String,
}

/// The result of one attempt.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub at: OffsetDateTime,
    pub http_status: Option<u16>,
    pub body: Option<String>,
    /// Why there is no status (dns/connect/tls/timeout), or the redirect note.
    pub error: Option<String>,
    pub retry_after: Option<Duration>,
}

/// The first [`BODY_CHARS`] characters of `bytes` (lossy UTF-8).
pub(crate) fn cut_body(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .take(BODY_CHARS)
        .collect()
}

/// True when `host` is a loopback literal or a `localhost` name.
fn names_loopback(host: &url::Host<String>) -> bool {
    match host {
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => {
            url_rule::classify(std::net::IpAddr::V4(*ip)) == url_rule::Reach::Loopback
        }
        url::Host::Ipv6(ip) => {
            url_rule::classify(std::net::IpAddr::V6(*ip)) == url_rule::Reach::Loopback
        }
    }
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

/// Names why a request got no response: dns, connect, tls, timeout.
fn describe_error(e: &reqwest::Error, timeout: Duration) -> String {
    let mut chain = Vec::new();
    let mut src: Option<&dyn std::error::Error> = e.source();
    while let Some(s) = src {
        chain.push(s.to_string());
        src = s.source();
    }
    let detail = chain
        .last()
        .cloned()
        .unwrap_or_else(|| "no detail".to_string());
    let all = chain.join(": ").to_ascii_lowercase();
    if e.is_timeout() || all.contains("timed out") || all.contains("deadline") {
        return format!(
            "timeout: no response within {}",
            humantime::format_duration(timeout)
        );
    }
    let kind = if all.contains("dns") || all.contains("failed to lookup") || all.contains("resolve")
    {
        "dns"
    } else if all.contains("tls")
        || all.contains("certificate")
        || all.contains("handshake")
        || all.contains("rustls")
    {
        "tls"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    };
    format!("{kind} error: {detail}")
}

/// Makes one real POST of the payload and reads at most the first
/// [`BODY_CHARS`] characters of the answer. Never follows redirects.
pub(crate) async fn attempt(
    client: &reqwest::Client,
    job: &AttemptJob,
    timeout: Duration,
) -> Outcome {
    let at = OffsetDateTime::now_utc();
    let refused = |error: String| Outcome {
        at,
        http_status: None,
        body: None,
        error: Some(error),
        retry_after: None,
    };
    // Loopback is reachable only by a URL that names it (127.x, ::1, a
    // localhost name), which registration accepts only with
    // --allow-http-callbacks; a public name that resolves to loopback is
    // refused like any internal address.
    let names_loopback = url::Url::parse(&job.url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
        .is_some_and(|h| names_loopback(&h));
    let addresses = match url_rule::resolve_for_delivery(&job.url, names_loopback).await {
        Ok(addresses) => addresses,
        Err(error) => return refused(error),
    };
    // A name is resolved once, above, and the connection goes to the
    // addresses checked there (no second lookup DNS could answer
    // differently), with no proxy in between.
    let pinned;
    let client = match url::Url::parse(&job.url)
        .ok()
        .and_then(|u| u.domain().map(str::to_string))
    {
        None => client,
        Some(name) => {
            let built = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(timeout)
                .no_proxy()
                .user_agent(concat!(
                    "ecgrid-gateway-sandbox/",
                    env!("CARGO_PKG_VERSION")
                ))
                .resolve_to_addrs(&name, &addresses)
                .build();
            match built {
                Ok(c) => {
                    pinned = c;
                    &pinned
                }
                Err(e) => {
                    return refused(format!(
                        "request error: cannot build the delivery client: {e}"
                    ))
                }
            }
        }
    };
    let mut req = client
        .post(&job.url)
        .timeout(timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(job.payload.clone());
    if let Some((u, p)) = &job.basic {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        req = req.header(reqwest::header::AUTHORIZATION, format!("Basic {token}"));
    }
    let work = async {
        let mut resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return Outcome {
                    at,
                    http_status: None,
                    body: None,
                    error: Some(describe_error(&e, timeout)),
                    retry_after: None,
                }
            }
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut bytes = Vec::new();
        let mut error = None;
        while bytes.len() < BODY_BYTES {
            match resp.chunk().await {
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    error = Some(describe_error(&e, timeout));
                    break;
                }
            }
        }
        bytes.truncate(BODY_BYTES);
        if status.is_redirection() {
            error = Some(format!(
                "redirect ({}) not followed: webhook deliveries do not follow redirects",
                status.as_u16()
            ));
        }
        Outcome {
            at,
            http_status: Some(status.as_u16()),
            body: Some(cut_body(&bytes)),
            error,
            retry_after,
        }
    };
    // reqwest's timeout covers the body too; this outer bound is a backstop.
    match tokio::time::timeout(timeout.saturating_add(Duration::from_secs(1)), work).await {
        Ok(o) => o,
        Err(_) => Outcome {
            at,
            http_status: None,
            body: None,
            error: Some(format!(
                "timeout: no response within {}",
                humantime::format_duration(timeout)
            )),
            retry_after: None,
        },
    }
}

fn record_attempt(e: &mut super::store::Event, o: &Outcome) {
    e.attempts = e.attempts.saturating_add(1);
    e.last_attempt = Some(o.at);
    e.http_status = o.http_status;
    e.response_body = o.body.clone();
    e.message = o.error.clone();
    e.in_flight = false;
    e.log.push(AttemptRecord {
        attempt: e.attempts,
        at: o.at,
        http_status: o.http_status,
        response_body: o.body.clone(),
        error: o.error.clone(),
    });
}

/// Delivery attempts by the state they left their event in, one counter
/// per [`DeliveryStatus`] (in `ALL`'s order), for the gateway's
/// `/metrics` with `--sandbox`.
static ATTEMPTS_BY_STATUS: [std::sync::atomic::AtomicU64; 5] =
    [const { std::sync::atomic::AtomicU64::new(0) }; 5];

fn count_attempt(status: DeliveryStatus) {
    if let Some(i) = DeliveryStatus::ALL.iter().position(|s| *s == status) {
        if let Some(counter) = ATTEMPTS_BY_STATUS.get(i) {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// Webhook delivery attempts so far in this process, by the status each
/// left its event in (`delivered`, `failed`, `rate_limited`,
/// `dead_letter`, `pending`).
pub fn delivery_counts() -> Vec<(&'static str, u64)> {
    DeliveryStatus::ALL
        .iter()
        .zip(&ATTEMPTS_BY_STATUS)
        .map(|(s, n)| (s.as_str(), n.load(std::sync::atomic::Ordering::Relaxed)))
        .collect()
}

/// Records a test attempt: single attempt, never retried.
pub(crate) fn apply_test_outcome(store: &mut Store, event_id: i64, o: &Outcome) -> DeliveryStatus {
    let status = apply_test_outcome_to(store, event_id, o);
    count_attempt(status);
    status
}

fn apply_test_outcome_to(store: &mut Store, event_id: i64, o: &Outcome) -> DeliveryStatus {
    let Some(e) = store.events.get_mut(&event_id) else {
        return DeliveryStatus::Failed;
    };
    record_attempt(e, o);
    e.status = match o.http_status {
        Some(s) if (200..300).contains(&s) => DeliveryStatus::Delivered,
        Some(429) => DeliveryStatus::RateLimited,
        _ => DeliveryStatus::Failed,
    };
    if e.status == DeliveryStatus::Delivered {
        e.delivered = Some(o.at);
    }
    e.next_attempt = None;
    e.status
}

/// Applies the result of an attempt of a queued delivery: delivered,
/// rate_limited (retry after `Retry-After`, capped), failed (retry after
/// backoff) or dead_letter. `unit` is the jitter draw.
pub(crate) fn apply_outcome(
    store: &mut Store,
    event_id: i64,
    o: &Outcome,
    policy: &DeliveryPolicy,
    unit: f64,
) -> DeliveryStatus {
    let cb = store
        .events
        .get(&event_id)
        .and_then(|e| store.callbacks.get(&e.callback_id))
        .map(|c| (c.status, c.retries, c.frequency));
    let Some(e) = store.events.get_mut(&event_id) else {
        return DeliveryStatus::DeadLetter;
    };
    record_attempt(e, o);
    if let Some((_, retries, _)) = cb {
        e.retries = retries;
    }
    let success = o.http_status.is_some_and(|s| (200..300).contains(&s));
    let mut delay = None;
    if success {
        e.status = DeliveryStatus::Delivered;
        e.delivered = Some(o.at);
    } else if cb.is_none() {
        e.status = DeliveryStatus::DeadLetter;
        e.message = Some(format!("callback {} was deleted", e.callback_id));
    } else if cb.is_some_and(|c| c.0 == Status::Terminated) {
        e.status = DeliveryStatus::DeadLetter;
        e.message = Some(format!("callback {} was terminated", e.callback_id));
    } else if o.http_status == Some(429) {
        e.rate_limited = e.rate_limited.saturating_add(1);
        if e.rate_limited >= policy.max_rate_limited_attempts {
            e.status = DeliveryStatus::DeadLetter;
            e.message = Some(format!(
                "gave up after {} rate-limited (429) attempts",
                e.rate_limited
            ));
        } else {
            e.status = DeliveryStatus::RateLimited;
            let d = match o.retry_after {
                Some(ra) => ra.min(policy.backoff_max),
                None => backoff_delay(policy, e.rate_limited, unit),
            };
            e.message = Some(format!(
                "rate limited (429); retrying in {}",
                humantime::format_duration(d)
            ));
            delay = Some(d);
        }
    } else {
        e.failures = e.failures.saturating_add(1);
        if e.failures > e.retries {
            e.status = DeliveryStatus::DeadLetter;
            let last = match (o.http_status, &o.error) {
                (_, Some(err)) => err.clone(),
                (Some(s), None) => format!("HTTP {s}"),
                (None, None) => "no response".to_string(),
            };
            e.message = Some(format!(
                "retries exhausted after {} failed attempts; last: {last}",
                e.failures
            ));
        } else {
            e.status = DeliveryStatus::Failed;
            delay = Some(backoff_delay(policy, e.failures, unit));
        }
    }
    match delay {
        Some(d) => {
            let freq = Duration::from_secs(u64::from(cb.map(|c| c.2).unwrap_or(0)));
            let d = d.max(freq);
            e.next_due = later(d);
            e.next_attempt = Some(
                OffsetDateTime::now_utc()
                    .saturating_add(time::Duration::try_from(d).unwrap_or(time::Duration::MAX)),
            );
        }
        None => {
            e.next_attempt = None;
            store.open.remove(&event_id);
        }
    }
    e.status
}

/// Picks due deliveries (marking them in flight) and dead-letters those whose
/// callback is gone or terminated. Returns the jobs and the next wake time.
fn collect_due(store: &mut Store, capacity: usize) -> (Vec<AttemptJob>, Option<Instant>) {
    let now = Instant::now();
    let mut jobs = Vec::new();
    let mut next: Option<Instant> = None;
    let mut stopped = Vec::new();
    for &id in &store.open {
        let Some(e) = store.events.get(&id) else {
            continue;
        };
        if e.in_flight {
            continue;
        }
        let Some(cb) = store.callbacks.get(&e.callback_id) else {
            stopped.push((id, format!("callback {} was deleted", e.callback_id)));
            continue;
        };
        match cb.status {
            Status::Terminated => {
                stopped.push((id, format!("callback {} was terminated", cb.id)));
                continue;
            }
            Status::Active => {}
            // Suspended (and not-yet-active) callbacks hold their deliveries.
            _ => continue,
        }
        if e.next_due <= now {
            if jobs.len() < capacity {
                jobs.push(AttemptJob {
                    event_id: id,
                    callback_id: cb.id,
                    url: cb.url.clone(),
                    basic: cb.basic_credentials(),
                    payload: e.payload.clone(),
                });
            }
        } else {
            next = Some(next.map_or(e.next_due, |n| n.min(e.next_due)));
        }
    }
    for (id, reason) in stopped {
        store.dead_letter(id, reason);
    }
    for j in &jobs {
        if let Some(e) = store.events.get_mut(&j.event_id) {
            e.in_flight = true;
        }
    }
    (jobs, next)
}

async fn run_job(shared: Arc<Shared>, job: AttemptJob) -> i64 {
    let policy = &shared.config.delivery;
    let o = attempt(&shared.client, &job, policy.timeout).await;
    let unit: f64 = rand::random();
    let (status, attempts) = {
        let mut store = shared.store();
        let status = apply_outcome(&mut store, job.event_id, &o, policy, unit);
        count_attempt(status);
        let attempts = store
            .events
            .get(&job.event_id)
            .map(|e| e.attempts)
            .unwrap_or(0);
        (status, attempts)
    };
    tracing::info!(
        callback_event_id = job.event_id,
        callback_id = job.callback_id,
        host = %host_of(&job.url),
        attempt = attempts,
        http_status = o.http_status,
        error = o.error.as_deref().unwrap_or(""),
        status = %status,
        "webhook delivery attempt"
    );
    job.event_id
}

/// The delivery worker: runs until `stop` turns true (or its sender is
/// dropped), then gives in-flight attempts the grace period and reports.
pub(crate) async fn run_worker(
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> ShutdownReport {
    let policy = shared.config.delivery.clone();
    let mut set: JoinSet<i64> = JoinSet::new();
    let mut ids: HashMap<tokio::task::Id, i64> = HashMap::new();
    loop {
        let capacity = policy.max_in_flight.max(1).saturating_sub(set.len());
        let (jobs, next) = collect_due(&mut shared.store(), capacity);
        for job in jobs {
            tracing::debug!(
                callback_event_id = job.event_id,
                "starting delivery attempt"
            );
            let event_id = job.event_id;
            let handle = set.spawn(run_job(shared.clone(), job));
            ids.insert(handle.id(), event_id);
        }
        let sleep = next
            .map(|n| n.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() { break; }
            }
            Some(res) = set.join_next_with_id(), if !set.is_empty() => {
                finish_task(&shared, &mut ids, res);
            }
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }

    // Shutdown: let in-flight attempts finish within the grace period.
    let in_flight = set.len();
    let mut finished = 0;
    let deadline = tokio::time::Instant::from_std(later(policy.shutdown_grace));
    while !set.is_empty() {
        match tokio::time::timeout_at(deadline, set.join_next_with_id()).await {
            Ok(Some(res)) => {
                if res.is_ok() {
                    finished += 1;
                }
                finish_task(&shared, &mut ids, res);
            }
            Ok(None) => break,
            Err(_) => break,
        }
    }
    set.abort_all();
    tracing::info!(in_flight, finished, "delivery worker stopped");
    let store = shared.store();
    let unfinished = store
        .open
        .iter()
        .filter_map(|id| store.events.get(id))
        .filter(|e| e.status.is_open())
        .map(|e| UnfinishedDelivery {
            callback_event_id: e.id,
            callback_id: e.callback_id,
            status: e.status,
            attempts: e.attempts,
            was_in_flight: e.in_flight,
        })
        .collect();
    ShutdownReport {
        finished,
        unfinished,
    }
}

fn finish_task(
    shared: &Shared,
    ids: &mut HashMap<tokio::task::Id, i64>,
    res: Result<(tokio::task::Id, i64), tokio::task::JoinError>,
) {
    match res {
        Ok((id, _)) => {
            ids.remove(&id);
        }
        Err(err) => {
            // A delivery task died: make its event attemptable again.
            if let Some(event_id) = ids.remove(&err.id()) {
                tracing::error!(callback_event_id = event_id, "delivery task failed: {err}");
                if let Some(e) = shared.store().events.get_mut(&event_id) {
                    e.in_flight = false;
                    e.next_due = later(Duration::from_secs(1));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(jitter: bool) -> DeliveryPolicy {
        DeliveryPolicy {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(1),
            jitter,
            ..DeliveryPolicy::default()
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = policy(false);
        let got: Vec<u128> = (1..=6)
            .map(|n| backoff_delay(&p, n, 0.5).as_millis())
            .collect();
        assert_eq!(got, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff_delay(&p, 0, 0.5), Duration::from_millis(100));
        assert_eq!(backoff_delay(&p, u32::MAX, 0.5), Duration::from_secs(1));
    }

    #[test]
    fn jitter_stays_within_half_to_full() {
        let p = policy(true);
        assert_eq!(backoff_delay(&p, 3, 0.0), Duration::from_millis(200));
        assert_eq!(backoff_delay(&p, 3, 1.0), Duration::from_millis(400));
        for i in 0..=10 {
            let d = backoff_delay(&p, 2, f64::from(i) / 10.0);
            assert!(
                d >= Duration::from_millis(100) && d <= Duration::from_millis(200),
                "{d:?}"
            );
        }
        assert_eq!(backoff_delay(&p, 1, f64::NAN), Duration::from_millis(100));
    }

    #[test]
    fn huge_durations_saturate_instead_of_panicking() {
        assert!(later(Duration::MAX) > Instant::now());
        let p = DeliveryPolicy {
            backoff_base: Duration::MAX,
            backoff_max: Duration::MAX,
            ..DeliveryPolicy::default()
        };
        assert!(backoff_delay(&p, 40, 1.0) >= Duration::MAX / 2);
    }

    #[test]
    fn body_is_cut_to_256_characters_not_bytes() {
        let s = "é".repeat(300);
        let cut = cut_body(s.as_bytes());
        assert_eq!(cut.chars().count(), 256);
        assert_eq!(cut_body(b"OK"), "OK");
    }
}
