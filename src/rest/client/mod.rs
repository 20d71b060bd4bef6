//! The shared HTTP client and the one place the REST envelope is decoded.
//! The request's bytes are written in [`request`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::CertificateDer;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::connect::{split_base_url, Route, UpstreamConnector};
use super::error::RestError;
use crate::http1::{H1Error, H1Pool};

mod request;

use request::Prepared;
pub use request::SplicedBody;

/// How large a call's JSON body is expected to be and its answer may be.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    /// Largest answer body read.
    max_answer: usize,
    /// Expected JSON body length (the buffer's first size).
    body_hint: usize,
}

impl Sizes {
    /// Every call but the parcel transfers.
    const USUAL: Sizes = Sizes {
        max_answer: MAX_RESPONSE_BYTES,
        body_hint: 0,
    };
}

/// Largest upstream response body the gateway reads.
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// How a REST call authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// No credential (login, version).
    None,
    /// `X-API-Key: <key>`.
    ApiKey(String),
    /// `Authorization: Bearer <token>` (shared with the session that holds
    /// it: no copy per call).
    Bearer(std::sync::Arc<str>),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret itself.
        f.write_str(match self {
            Auth::None => "Auth::None",
            Auth::ApiKey(_) => "Auth::ApiKey(<redacted>)",
            Auth::Bearer(_) => "Auth::Bearer(<redacted>)",
        })
    }
}

/// How long an idle upstream connection is kept for reuse.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The connector every pool opens connections with: TCP (connect timeout
/// `timeout`, at most 10 s; no Nagle) along `route`, then TLS for an https
/// upstream, trusting the Mozilla roots and `extra_roots`.
pub(crate) fn connector(
    route: Arc<Route>,
    timeout: Duration,
    extra_roots: &[CertificateDer<'static>],
) -> Result<HttpsConnector<UpstreamConnector>, String> {
    let mut tcp = HttpConnector::new();
    tcp.set_connect_timeout(Some(timeout.min(Duration::from_secs(10))));
    tcp.set_nodelay(true);
    tcp.enforce_http(false);
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in extra_roots {
        // `Config` has checked each one already.
        roots
            .add(cert.clone())
            .map_err(|e| format!("cannot trust an --upstream-ca certificate: {e}"))?;
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("cannot set up TLS: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(UpstreamConnector::new(tcp, route)))
}

/// Typed client for one REST v2 upstream.
#[derive(Clone)]
pub struct RestClient {
    /// Idle connections (shared by clones; see [`RestClient::with_own_pool`]).
    pool: Arc<H1Pool>,
    /// What [`RestClient::with_own_pool`] builds a new pool over.
    connector: HttpsConnector<UpstreamConnector>,
    route: Arc<Route>,
    base: Arc<str>,
    /// `scheme://authority` of the upstream, parsed once: what connections
    /// are opened to, and (with each call's path) what requests name, so
    /// nothing re-parses the host per call (a measurable cost under load,
    /// see bench/results/HISTORY.md). Always has both parts (checked in `new`).
    origin: Uri,
    /// The path of `base` without a trailing slash ("" for none).
    base_path: Arc<str>,
    timeout: Duration,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("base", &self.base)
            .field("route", &self.route)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The `{success, data, errorCode, message}` envelope.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    #[serde(default = "default_true")]
    success: bool,
    data: Option<T>,
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

fn default_true() -> bool {
    true
}

/// The envelope of an error answer; `data` is ignored.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ErrorEnvelope {
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl RestClient {
    /// A client for the upstream at `base` (e.g. `https://rest.ecgrid.io`)
    /// whose calls fail after `timeout`, through the proxy the environment
    /// names for it, if any (`connect` module). An https upstream's
    /// certificate must chain to the Mozilla roots or to one of
    /// `extra_roots` (`--upstream-ca`).
    pub fn new(
        base: &str,
        timeout: Duration,
        extra_roots: &[CertificateDer<'static>],
    ) -> Result<Self, String> {
        let base = base.trim_end_matches('/');
        let (origin, base_path) = split_base_url(base, "upstream")?;
        let route = Route::from_env(&origin)?;
        let route = Arc::new(route);

        let connector = connector(route.clone(), timeout, extra_roots)?;
        Ok(RestClient {
            pool: Arc::new(H1Pool::new(connector.clone(), POOL_IDLE_TIMEOUT)),
            connector,
            route,
            base: base.into(),
            origin,
            base_path: base_path.into(),
            timeout,
        })
    }

    /// The same client with a connection pool of its own (a clone shares
    /// the pool): each worker gets one, so its upstream connections are
    /// driven on its own thread. The TLS configuration, the route and the
    /// parsed URL are shared, not rebuilt.
    pub fn with_own_pool(&self) -> RestClient {
        RestClient {
            pool: Arc::new(H1Pool::new(self.connector.clone(), POOL_IDLE_TIMEOUT)),
            ..self.clone()
        }
    }

    /// The upstream's `host[:port]`.
    fn authority(&self) -> &str {
        self.origin.authority().map_or("", |a| a.as_str())
    }

    /// The upstream base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET path` and decode `data`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str, auth: &Auth) -> Result<T, RestError> {
        self.send(Method::GET, path, auth, None::<&()>, &[], Sizes::USUAL)
            .await
    }

    /// `GET path?query` and decode `data`.
    pub async fn get_query<T: DeserializeOwned>(
        &self,
        path: &str,
        auth: &Auth,
        query: &[(&str, String)],
    ) -> Result<T, RestError> {
        self.send(Method::GET, path, auth, None::<&()>, query, Sizes::USUAL)
            .await
    }

    /// `POST path` with an optional JSON body and decode `data`.
    pub async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        auth: &Auth,
        body: Option<&B>,
    ) -> Result<T, RestError> {
        self.send(Method::POST, path, auth, body, &[], Sizes::USUAL)
            .await
    }

    /// [`RestClient::post`] for a large body or answer: the JSON body is
    /// about `body_hint` bytes (an upload's base64 length), the answer at
    /// most `max_answer` bytes (a download's).
    pub async fn post_large<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        auth: &Auth,
        body: Option<&B>,
        body_hint: usize,
        max_answer: usize,
    ) -> Result<T, RestError> {
        self.send(
            Method::POST,
            path,
            auth,
            body,
            &[],
            Sizes {
                max_answer,
                body_hint,
            },
        )
        .await
    }

    /// `DELETE path` with a JSON body and decode `data`.
    pub async fn delete<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        auth: &Auth,
        body: &B,
    ) -> Result<T, RestError> {
        self.send(Method::DELETE, path, auth, Some(body), &[], Sizes::USUAL)
            .await
    }

    async fn send<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<&B>,
        query: &[(&str, String)],
        sizes: Sizes,
    ) -> Result<T, RestError> {
        let Sizes {
            max_answer,
            body_hint,
        } = sizes;
        let request = self.request(&method, path, auth, body, query, body_hint);
        self.send_prepared(method, path, request, max_answer).await
    }

    /// `POST path` with `body` as JSON whose field `body.key` is
    /// `body.text`, written from the caller's text as a part of the request
    /// of its own: an upload's base64 is not copied into the request (the
    /// gateway holds it once). The text must be base64 (checked: it needs
    /// no JSON escaping); the answer is at most `max_answer` bytes.
    pub async fn post_spliced<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        auth: &Auth,
        body: &SplicedBody<'_, B>,
        max_answer: usize,
    ) -> Result<T, RestError> {
        let request = self.spliced_request(path, auth, body);
        self.send_prepared(Method::POST, path, request, max_answer)
            .await
    }

    /// `POST path` with a JSON body of about `body_hint` bytes, answered
    /// with at most `max_answer` bytes, as the status and the body itself,
    /// for [`RestClient::decode_answer`] to decode borrowing from it (a
    /// download's base64 is not copied out of the answer).
    pub(super) async fn post_large_answer<B: Serialize + ?Sized>(
        &self,
        path: &str,
        auth: &Auth,
        body: &B,
        body_hint: usize,
        max_answer: usize,
    ) -> Result<(u16, Bytes), RestError> {
        let request = self.request(&Method::POST, path, auth, Some(body), &[], body_hint);
        self.exchange_timed(Method::POST, path, request, max_answer)
            .await
    }

    /// Sends a request built by [`RestClient::request`] or
    /// [`RestClient::spliced_request`] and decodes its answer.
    async fn send_prepared<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        request: Result<Prepared<'_>, String>,
        max_answer: usize,
    ) -> Result<T, RestError> {
        let (status, bytes) = self
            .exchange_timed(method, path, request, max_answer)
            .await?;
        self.decode_answer(status, &bytes)
    }

    /// Sends a request and reads its answer, timed into the request's span.
    async fn exchange_timed(
        &self,
        method: Method,
        path: &str,
        request: Result<Prepared<'_>, String>,
        max_answer: usize,
    ) -> Result<(u16, Bytes), RestError> {
        // Timed only when something records it: the request's span or a
        // debug line (a clock read per call is measurable, bench/results/HISTORY.md).
        let span = tracing::Span::current();
        let started =
            (!span.is_disabled() || tracing::enabled!(tracing::Level::DEBUG)).then(Instant::now);
        let result = match request {
            Ok(req) => self.exchange(&method, &req, max_answer).await,
            Err(reason) => Err(RestError::Unreachable {
                upstream: self.base.to_string(),
                reason,
            }),
        };
        if let Some(started) = started {
            let elapsed_ms = crate::telemetry::millis(started.elapsed());
            span.record("upstream_ms", elapsed_ms);
            match &result {
                Ok((status, _)) => {
                    span.record("upstream_status", status);
                    tracing::debug!(%method, path, status, elapsed_ms, "upstream call");
                }
                Err(err) => {
                    tracing::debug!(%method, path, error = ?err, elapsed_ms, "upstream call failed");
                }
            }
        }
        result
    }

    /// `GET` of the base path without a credential: whether the upstream
    /// answers HTTP at all (any status), within `within` (`/readyz`).
    pub async fn probe(&self, within: Duration) -> Result<u16, RestError> {
        let request = self
            .request::<()>(&Method::GET, "/", &Auth::None, None, &[], 0)
            .map_err(|reason| RestError::Unreachable {
                upstream: self.base.to_string(),
                reason,
            })?;
        match tokio::time::timeout(within, self.exchange(&Method::GET, &request, 64 * 1024)).await {
            Ok(answer) => answer.map(|(status, _)| status),
            Err(_) => Err(RestError::Timeout {
                upstream: self.base.to_string(),
                after: within,
            }),
        }
    }

    /// Sends the request and reads at most `max_answer` bytes of body
    /// (usually [`MAX_RESPONSE_BYTES`]), all within the upstream timeout.
    async fn exchange(
        &self,
        method: &Method,
        request: &Prepared<'_>,
        max_answer: usize,
    ) -> Result<(u16, Bytes), RestError> {
        // Safe to send again on a new connection if a kept-alive one turns
        // out closed: GET, and DELETE (idempotent; the upstream's delete of
        // a deleted callback answers ObjectNotFound, not a second effect).
        let repeatable = *method == Method::GET || *method == Method::DELETE;
        let parts = [&request.first[..], request.text.as_bytes(), &request.last];
        let parts = if request.text.is_empty() && request.last.is_empty() {
            &parts[..1]
        } else {
            &parts[..]
        };
        let call = self
            .pool
            .exchange(&self.origin, parts, repeatable, max_answer);
        let started = Instant::now();
        let answer = tokio::time::timeout(self.timeout, call).await;
        crate::metrics::record_upstream(
            crate::metrics::Upstream::Rest,
            match &answer {
                Ok(Ok(answer)) => Some(answer.status),
                _ => None,
            },
            started,
        );
        match answer {
            Ok(Ok(answer)) => Ok((answer.status, answer.body)),
            Ok(Err(H1Error::TooLarge(limit))) => Err(RestError::BadResponse {
                upstream: self.base.to_string(),
                reason: format!("response body larger than {limit} bytes"),
            }),
            Ok(Err(H1Error::Malformed(reason))) => Err(RestError::BadResponse {
                upstream: self.base.to_string(),
                reason,
            }),
            Ok(Err(err)) => Err(RestError::Unreachable {
                upstream: self.base.to_string(),
                reason: err.to_string(),
            }),
            Err(_) => Err(RestError::Timeout {
                upstream: self.base.to_string(),
                after: self.timeout,
            }),
        }
    }

    /// Decodes an answer: an error status or `success: false` is the
    /// upstream's error, else `data` (which may borrow from `bytes`).
    pub(super) fn decode_answer<'a, T: Deserialize<'a>>(
        &self,
        status: u16,
        bytes: &'a [u8],
    ) -> Result<T, RestError> {
        if status >= 400 {
            let env: ErrorEnvelope = serde_json::from_slice(bytes).unwrap_or_default();
            return Err(RestError::Status {
                status,
                error_code: env.error_code.unwrap_or_default(),
                message: env
                    .message
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| excerpt(bytes)),
            });
        }
        // The body is checked as UTF-8 once, then parsed as text: from
        // bytes, serde_json validates every string on its own, about a
        // fifth of the parse (bench/results/HISTORY.md, fix 17).
        let not_json = |e: &dyn std::fmt::Display| RestError::BadResponse {
            upstream: self.base.to_string(),
            reason: format!("HTTP {status} with a body that is not the expected JSON ({e})"),
        };
        let text = std::str::from_utf8(bytes).map_err(|e| not_json(&e))?;
        let env: Envelope<T> = serde_json::from_str(text).map_err(|e| not_json(&e))?;
        if !env.success {
            let error_code = env.error_code.unwrap_or_default();
            return Err(RestError::Status {
                status: status_for_error_code(&error_code),
                error_code,
                message: env.message.unwrap_or_default(),
            });
        }
        match env.data {
            Some(data) => Ok(data),
            // `data: null` (logout) decodes into types that accept null.
            None => T::deserialize(serde_json::Value::Null).map_err(|_| RestError::BadResponse {
                upstream: self.base.to_string(),
                reason: "the answer has no data".to_string(),
            }),
        }
    }
}

/// The HTTP status an `errorCode` stands for, when an upstream answers
/// `success: false` with a 2xx status.
fn status_for_error_code(code: &str) -> u16 {
    match code {
        "InvalidAPIKey" | "InvalidSession" | "InvalidCredentials" => 401,
        "AccessDenied" => 403,
        "ObjectNotFound" => 404,
        "InvalidParameter" => 400,
        "RateLimitExceeded" => 429,
        _ => 500,
    }
}

/// The first 200 characters of a non-JSON error body.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        "empty response body".to_string()
    } else {
        text.chars().take(200).collect()
    }
}
