//! [`Router`]: the per-request choice, and the legacy route's session swap.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{header, HeaderMap};

use crate::http1::BodyFraming;
use crate::legacy::{LegacyClient, LegacyError, StreamedError};
use crate::session::{SessionId, SessionStore};
use crate::soap::{write_fault, Fault, SoapVersion};

use super::answer_stream::Swap;
use super::passthrough::{self, legacy_request, splice};
use super::request_reading::StreamedRequest;
use super::shadow;
use super::sniff::{sniff, Sniffed};
use super::stats::MigrationStats;
use super::table::{Choice, Route, RouteSettings, RouteTable, ShadowPrimary};

/// The REST translation's answer to a shadowed call, as `server.rs` makes
/// it (owned, so it can run on its own task).
pub type RestAnswer = Pin<Box<dyn Future<Output = Response> + Send + 'static>>;

/// What `server.rs` does with a request.
#[derive(Debug)]
pub enum RouterChoice {
    /// Its own REST path (which also writes every fault of an envelope it
    /// cannot read, and the "not supported" one).
    Rest,
    /// The legacy route.
    Legacy(Sniffed),
    /// The shadow route.
    Shadow(Sniffed),
}

/// A request on its way to the legacy service.
pub struct Forward {
    /// SOAP version of the request (for a fault of the gateway's own).
    pub version: SoapVersion,
    /// Path and query as the client called them.
    pub path_and_query: String,
    /// The client's headers.
    pub headers: HeaderMap,
    /// The envelope as received.
    pub body: Bytes,
    /// Its operation and SessionID range.
    pub sniffed: Sniffed,
    /// The request id (sent as `X-Request-Id`).
    pub request_id: String,
}

/// Shadow settings shared by every call.
#[derive(Debug, Clone)]
pub struct ShadowSettings {
    /// Whose answer the client gets.
    pub primary: ShadowPrimary,
    /// Paths never counted as drift, per operation.
    pub ignore: BTreeMap<String, Vec<String>>,
}

/// The routing state of one worker: the shared table, record and sessions,
/// and the worker's own legacy client.
pub struct Router {
    table: Arc<RouteTable>,
    legacy: Option<LegacyClient>,
    stats: Arc<MigrationStats>,
    shadow: Arc<ShadowSettings>,
    sessions: SessionStore,
}

impl Router {
    /// A router over `table`; `legacy` is this worker's client (with
    /// `--legacy`), `stats` and `sessions` are shared by every worker.
    pub fn new(
        table: Arc<RouteTable>,
        settings: &RouteSettings,
        legacy: Option<LegacyClient>,
        stats: Arc<MigrationStats>,
        sessions: SessionStore,
    ) -> Self {
        Router {
            table,
            legacy,
            stats,
            shadow: Arc::new(ShadowSettings {
                primary: settings.shadow_primary,
                ignore: settings.shadow_ignore.clone(),
            }),
            sessions,
        }
    }

    /// The route table.
    pub fn table(&self) -> &RouteTable {
        &self.table
    }

    /// The legacy base URL (`--legacy`), if set.
    pub fn legacy_base(&self) -> Option<&str> {
        self.legacy.as_ref().map(LegacyClient::base)
    }

    /// Whose answer shadowed calls return.
    pub fn shadow_primary(&self) -> ShadowPrimary {
        self.shadow.primary
    }

    /// What migration mode has recorded.
    pub fn stats(&self) -> &MigrationStats {
        &self.stats
    }

    /// The choice for a request with this `body`. Without `--legacy` it is
    /// always the REST path, and nothing is read.
    pub fn choose(&self, body: &[u8]) -> RouterChoice {
        if !self.table.has_legacy() {
            return RouterChoice::Rest;
        }
        match sniff(body) {
            Some(sniffed) => self.choose_sniffed(sniffed),
            None => RouterChoice::Rest,
        }
    }

    /// The choice for a request whose envelope was sniffed (calls of
    /// operations routed `rest` are counted here, the others on their route).
    pub fn choose_sniffed(&self, sniffed: Sniffed) -> RouterChoice {
        match self.table.choose(&sniffed.operation) {
            Choice::Rest(_) => {
                self.stats.count(&sniffed.operation, Route::Rest);
                RouterChoice::Rest
            }
            Choice::Fault => RouterChoice::Rest,
            Choice::Legacy => RouterChoice::Legacy(sniffed),
            Choice::Shadow(_) => RouterChoice::Shadow(sniffed),
        }
    }

    /// The legacy route: forwards `call` and streams the answer back.
    pub async fn legacy(&self, call: Forward) -> Response {
        let Some(client) = &self.legacy else {
            return fault_response(call.version, &no_legacy());
        };
        self.stats.count(&call.sniffed.operation, Route::Legacy);
        let (body, swap) = match self.swap_session(&call.body, &call.sniffed).await {
            Ok(swapped) => swapped,
            Err(fault) => return fault_response(call.version, &fault),
        };
        let result =
            match legacy_request(&call.path_and_query, &call.headers, body, &call.request_id) {
                Ok(request) => passthrough::forward(client, &request, swap).await,
                Err(e) => Err(e),
            };
        result.unwrap_or_else(|e| legacy_failed(client, call.version, e))
    }

    /// The legacy route of a body passed on as it arrives: `call`'s body is
    /// its first bytes (they hold the SessionID), `streamed` the rest. A
    /// failure of the client's body (too large, too slow, cut short) is
    /// answered with its own fault; the legacy service, which got an
    /// unfinished request, has its connection closed.
    pub async fn legacy_streamed(&self, call: Forward, streamed: StreamedRequest) -> Response {
        let Some(client) = &self.legacy else {
            return fault_response(call.version, &no_legacy());
        };
        self.stats.count(&call.sniffed.operation, Route::Legacy);
        let (first, swap) = match self.swap_session(&call.body, &call.sniffed).await {
            Ok(swapped) => swapped,
            Err(fault) => return fault_response(call.version, &fault),
        };
        // The swap changes the length by the two SessionIDs' difference.
        let framing = match streamed.announced {
            Some(n) => {
                BodyFraming::Length((n.saturating_sub(call.body.len()) + first.len()) as u64)
            }
            None => BodyFraming::Chunked,
        };
        let request =
            match legacy_request(&call.path_and_query, &call.headers, first, &call.request_id) {
                Ok(request) => request,
                Err(e) => return legacy_failed(client, call.version, e),
            };
        match passthrough::forward_streamed(client, &request, streamed.rest, framing, swap).await {
            Ok(response) => response,
            Err((StreamedError::Legacy(e), _)) => legacy_failed(client, call.version, e),
            Err((StreamedError::Body(fault), received)) => {
                tracing::info!(
                    fault = %fault.message,
                    received,
                    "request body failed while passed to the legacy service"
                );
                fault_response(call.version, &fault)
            }
        }
    }

    /// The shadow route: `call` to the legacy service and `rest` (the REST
    /// translation's answer) concurrently; the primary's answer returned,
    /// the comparison done after it on a task of its own.
    pub async fn shadow(&self, call: Forward, rest: RestAnswer) -> Response {
        let Some(client) = &self.legacy else {
            return fault_response(call.version, &no_legacy());
        };
        let n = self.stats.count(&call.sniffed.operation, Route::Shadow);
        let (body, swap) = match self.swap_session(&call.body, &call.sniffed).await {
            Ok(swapped) => swapped,
            Err(fault) => return fault_response(call.version, &fault),
        };
        shadow::run(shadow::ShadowCall {
            client: client.clone(),
            stats: self.stats.clone(),
            settings: self.shadow.clone(),
            version: call.version,
            operation: call.sniffed.operation,
            path_and_query: call.path_and_query,
            headers: call.headers,
            body,
            swap,
            request_id: call.request_id,
            learn_noise: n <= 3 || n % 10 == 0,
            rest,
        })
        .await
    }

    /// The body to send the legacy service, and the swap for its answer.
    /// A gateway SessionID becomes the paired legacy SessionID (and back in
    /// the answer); anything else (an API key, the legacy service's own
    /// SessionID) passes unchanged.
    async fn swap_session(
        &self,
        body: &Bytes,
        sniffed: &Sniffed,
    ) -> Result<(Bytes, Option<Swap>), Fault> {
        let unchanged = Ok((body.clone(), None));
        let (Some(text), Some(range)) = (sniffed.session_id(body), sniffed.session_id.clone())
        else {
            return unchanged;
        };
        let Some(id) = SessionId::parse(text) else {
            return unchanged;
        };
        let found = self
            .sessions
            .get(id)
            .await
            .map_err(|e| Fault::server(e.0))?;
        let Some(session) = found else {
            return unchanged;
        };
        let Some(legacy_id) = session.legacy_session_id else {
            return Err(Fault::server(
                "this session has no legacy ECGridOS session (the legacy service did not log \
                 in when Login ran), so operations routed to it cannot run; call Login again",
            ));
        };
        let swapped = splice(body, range, legacy_id.as_bytes());
        Ok((
            swapped,
            Some(Swap {
                from: Bytes::copy_from_slice(legacy_id.as_bytes()),
                to: Bytes::copy_from_slice(text.as_bytes()),
            }),
        ))
    }
}

/// The Server fault of a legacy service that did not answer, logged.
fn legacy_failed(client: &LegacyClient, version: SoapVersion, e: LegacyError) -> Response {
    let fault = e.into_fault(client.base());
    tracing::info!(fault = %fault.message, "legacy upstream failed");
    fault_response(version, &fault)
}

fn no_legacy() -> Fault {
    Fault::server("no legacy ECGridOS service is configured (--legacy)")
}

/// A fault of the gateway's own on the legacy or shadow route.
pub(crate) fn fault_response(version: SoapVersion, fault: &Fault) -> Response {
    (
        fault.http_status,
        [(header::CONTENT_TYPE, version.content_type())],
        write_fault(version, fault),
    )
        .into_response()
}
