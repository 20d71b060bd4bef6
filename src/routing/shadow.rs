//! The `shadow` route: one read sent to both sides at once. The client gets
//! the primary's answer as soon as the primary has answered; the secondary
//! runs on a task of its own, so it can neither delay the answer nor fail
//! it. Once both have answered, a comparison task reads the two as XML
//! ([`super::compare`]) and records the outcome ([`super::stats`]).
//!
//! Noise, Diffy's way: on the first three shadowed calls of an operation
//! and every tenth after, the comparison task sends the legacy service the
//! same read again; paths where two legacy answers to one request differ
//! (timestamps, counters) are learned as noise and not counted as drift
//! from then on. `[shadow.ignore]` adds paths by hand.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{header, HeaderMap};
use http_body_util::{BodyExt, Limited};
use tokio::task::JoinHandle;

use crate::legacy::LegacyClient;
use crate::soap::writer::format_datetime;
use crate::soap::SoapVersion;

use super::answer_stream::{replace_all, Swap};
use super::compare::{differences, read_body};
use super::passthrough::legacy_request;
use super::router::{fault_response, RestAnswer, ShadowSettings};
use super::stats::{MigrationStats, Outcome};
use super::table::ShadowPrimary;

/// Largest answer (either side) a shadowed call reads to compare.
const MAX_SHADOW_ANSWER: usize = 16 * 1024 * 1024;

/// Everything one shadowed call needs, owned (parts of it move to tasks).
pub struct ShadowCall {
    /// This worker's legacy client.
    pub client: LegacyClient,
    /// Where the outcome goes.
    pub stats: Arc<MigrationStats>,
    /// Primary and ignore lists.
    pub settings: Arc<ShadowSettings>,
    /// The request's SOAP version.
    pub version: SoapVersion,
    /// The operation.
    pub operation: String,
    /// Path and query as called.
    pub path_and_query: String,
    /// The client's headers.
    pub headers: HeaderMap,
    /// The body for the legacy side (SessionID swapped).
    pub body: Bytes,
    /// The swap back for the legacy answer.
    pub swap: Option<Swap>,
    /// The request id.
    pub request_id: String,
    /// Whether to read the legacy side twice to learn noise.
    pub learn_noise: bool,
    /// The REST translation's answer.
    pub rest: RestAnswer,
}

/// A whole answer: its head and its body.
type Whole = (http::response::Parts, Bytes);

/// What reading one side came to.
type SideResult = Result<Whole, String>;

/// Runs the call: see the module docs.
pub async fn run(call: ShadowCall) -> Response {
    let ShadowCall {
        client,
        stats,
        settings,
        version,
        operation,
        path_and_query,
        headers,
        body,
        swap,
        request_id,
        learn_noise,
        rest,
    } = call;
    let legacy_read = LegacyRead {
        client,
        path_and_query,
        headers,
        body,
        swap,
        request_id: request_id.clone(),
    };
    let compare = Comparison {
        stats,
        settings: settings.clone(),
        operation,
        request_id,
        learn_noise,
    };
    match settings.primary {
        ShadowPrimary::Legacy => {
            let rest_side = tokio::spawn(async move { whole_rest(rest.await).await });
            let legacy = legacy_read.read().await;
            let response = match &legacy {
                Ok((parts, bytes)) => rebuild(parts, bytes.clone()),
                Err(why) => fault_response(version, &crate::soap::Fault::server(why.clone())),
            };
            tokio::spawn(async move {
                let rest = join(rest_side, "rest").await;
                compare.finish(legacy, rest, &legacy_read).await;
            });
            response
        }
        ShadowPrimary::Rest => {
            let reader = legacy_read.clone();
            let legacy_side = tokio::spawn(async move { reader.read().await });
            let rest = whole_rest(rest.await).await;
            let response = match &rest {
                Ok((parts, bytes)) => rebuild(parts, bytes.clone()),
                Err(why) => fault_response(version, &crate::soap::Fault::server(why.clone())),
            };
            tokio::spawn(async move {
                let legacy = join(legacy_side, "legacy").await;
                compare.finish(legacy, rest, &legacy_read).await;
            });
            response
        }
    }
}

/// How to read the legacy side (again, for noise).
#[derive(Clone)]
struct LegacyRead {
    client: LegacyClient,
    path_and_query: String,
    headers: HeaderMap,
    body: Bytes,
    swap: Option<Swap>,
    request_id: String,
}

impl LegacyRead {
    /// The whole legacy answer, the legacy SessionID swapped back.
    async fn read(&self) -> SideResult {
        let base = self.client.base().to_string();
        let request = legacy_request(
            &self.path_and_query,
            &self.headers,
            self.body.clone(),
            &self.request_id,
        )
        .map_err(|e| e.into_fault(&base).message)?;
        let answer = self
            .client
            .send(&request)
            .await
            .map_err(|e| e.into_fault(&base).message)?;
        let (parts, body) = answer.into_parts();
        let bytes = collect(body, self.client.timeout())
            .await
            .map_err(|why| format!("the legacy ECGridOS service at {base}: {why}"))?;
        let bytes = match &self.swap {
            Some(swap) => Bytes::from(replace_all(&bytes, swap, true).0),
            None => bytes,
        };
        Ok((parts, bytes))
    }
}

/// Reads a body whole, within [`MAX_SHADOW_ANSWER`] and `timeout`.
async fn collect<B>(body: B, timeout: Duration) -> Result<Bytes, String>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::fmt::Display + Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match tokio::time::timeout(timeout, Limited::new(body, MAX_SHADOW_ANSWER).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) => Err(format!("the answer could not be read: {e}")),
        Err(_) => Err("the answer did not arrive in time (--upstream-timeout)".into()),
    }
}

/// The REST side's response, whole (it is in memory already).
async fn whole_rest(response: Response) -> SideResult {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_SHADOW_ANSWER)
        .await
        .map_err(|e| format!("the REST answer could not be read: {e}"))?;
    Ok((parts, bytes))
}

async fn join(handle: JoinHandle<SideResult>, side: &str) -> SideResult {
    handle
        .await
        .unwrap_or_else(|e| Err(format!("the {side} side's task failed: {e}")))
}

/// The client's response from a whole answer.
fn rebuild(parts: &http::response::Parts, bytes: Bytes) -> Response {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = parts.status;
    // (The legacy answer's hop-by-hop headers were dropped as its head was
    // read; the REST side's response has none.)
    let mut headers = parts.headers.clone();
    headers.remove(header::CONTENT_LENGTH);
    *response.headers_mut() = headers;
    response
}

/// The comparison of one call's two answers.
struct Comparison {
    stats: Arc<MigrationStats>,
    settings: Arc<ShadowSettings>,
    operation: String,
    request_id: String,
    learn_noise: bool,
}

impl Comparison {
    async fn finish(self, legacy: SideResult, rest: SideResult, again: &LegacyRead) {
        let outcome = match (&legacy, &rest) {
            (Err(why), _) => Outcome::OneSideFailed(format!("legacy: {why}")),
            (_, Err(why)) => Outcome::OneSideFailed(format!("rest: {why}")),
            (Ok((_, legacy)), Ok((_, rest))) => self.compare(legacy, rest, again).await,
        };
        let at = format_datetime(time::OffsetDateTime::now_utc());
        let new_paths = self.stats.record(&self.operation, outcome, at);
        for path in new_paths {
            tracing::warn!(
                request_id = %self.request_id,
                op = %self.operation,
                path = %path,
                "shadow drift: the REST translation's answer differs from the legacy service's here"
            );
        }
    }

    async fn compare(&self, legacy: &Bytes, rest: &Bytes, again: &LegacyRead) -> Outcome {
        let legacy_tree = match read_body(legacy) {
            Ok(tree) => tree,
            Err(why) => return Outcome::OneSideFailed(format!("legacy: {why}")),
        };
        let rest_tree = match read_body(rest) {
            Ok(tree) => tree,
            Err(why) => return Outcome::OneSideFailed(format!("rest: {why}")),
        };
        if self.learn_noise {
            if let Ok((_, second)) = again.read().await {
                if let Ok(second_tree) = read_body(&second) {
                    let noise = differences(&legacy_tree, &second_tree, &|_| false);
                    self.stats
                        .learn_noise(&self.operation, noise.into_iter().map(|d| d.path));
                }
            }
        }
        let noise = self.stats.noise(&self.operation);
        let ignore = self
            .settings
            .ignore
            .get(&self.operation)
            .cloned()
            .unwrap_or_default();
        let ignored = |path: &str| {
            noise.iter().chain(ignore.iter()).any(|p| {
                path == p
                    || path
                        .strip_prefix(p.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
        };
        let diffs = differences(&legacy_tree, &rest_tree, &ignored);
        if diffs.is_empty() {
            Outcome::Agreed
        } else {
            Outcome::Differed(diffs)
        }
    }
}
