//! The shared HTTP client and the one place the REST envelope is decoded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, PROXY_AUTHORIZATION};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Method, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::pki_types::CertificateDer;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::connect::{Route, UpstreamConnector};
use super::error::RestError;

/// Largest upstream response body the gateway reads.
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// How a REST call authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// No credential (login, version).
    None,
    /// `X-API-Key: <key>`.
    ApiKey(String),
    /// `Authorization: Bearer <token>`.
    Bearer(String),
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

/// The HTTP client: hyper-util's pooled HTTP/1.1 client over rustls
/// (Mozilla roots from webpki-roots), reaching the upstream along a
/// [`Route`] (direct or through the proxy the environment names). Not
/// reqwest, which wraps the same client: its per-call layers (a redirect
/// policy that re-parses every URL, retry bookkeeping, boxing) cost ~14 µs
/// per sequential call and about a quarter of the gateway's CPU per request
/// (BENCHMARKS.md, fix 12); the gateway needs none of them.
type HttpClient =
    hyper_util::client::legacy::Client<HttpsConnector<UpstreamConnector>, Full<Bytes>>;

/// A client with its own connection pool over `connector` (which shares
/// the TLS configuration and route with every clone).
fn pooled(connector: HttpsConnector<UpstreamConnector>) -> HttpClient {
    hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_timer(TokioTimer::new())
        .build(connector)
}

/// `User-Agent` of every upstream call.
const USER_AGENT_VALUE: HeaderValue =
    HeaderValue::from_static(concat!("ecgrid-gateway/", env!("CARGO_PKG_VERSION")));

/// Typed client for one REST v2 upstream.
#[derive(Clone)]
pub struct RestClient {
    http: HttpClient,
    /// What [`RestClient::with_own_pool`] builds a new pool over.
    connector: HttpsConnector<UpstreamConnector>,
    route: Arc<Route>,
    base: Arc<str>,
    /// The upstream's scheme and authority, parsed once; each call builds
    /// its URI from these and its path, so nothing re-parses the host (a
    /// measurable cost under load, see BENCHMARKS.md).
    scheme: Scheme,
    authority: Authority,
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
        let invalid = |reason: &dyn std::fmt::Display| {
            format!("the upstream URL {base} is not a valid URL: {reason}")
        };
        let parsed = url::Url::parse(base).map_err(|e| invalid(&e))?;
        if parsed.cannot_be_a_base() {
            return Err(format!("the upstream URL {base} cannot have a path"));
        }
        // `Config` has already checked the scheme, the host, and that there
        // is no query, fragment or user; this only splits the URL.
        let origin: Uri = parsed
            .origin()
            .ascii_serialization()
            .parse()
            .map_err(|e| invalid(&e))?;
        let parts = origin.clone().into_parts();
        let (Some(scheme), Some(authority)) = (parts.scheme, parts.authority) else {
            return Err(invalid(&"expected an http:// or https:// URL with a host"));
        };
        let route = Route::from_env(&origin)?;
        let route = Arc::new(route);

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
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(UpstreamConnector::new(tcp, route.clone()));
        Ok(RestClient {
            http: pooled(connector.clone()),
            connector,
            route,
            base: base.into(),
            scheme,
            authority,
            base_path: parsed.path().trim_end_matches('/').into(),
            timeout,
        })
    }

    /// The same client with a connection pool of its own (a clone shares
    /// the pool): each worker gets one, so its upstream connections are
    /// driven on its own thread. The TLS configuration, the route and the
    /// parsed URL are shared, not rebuilt.
    pub fn with_own_pool(&self) -> RestClient {
        RestClient {
            http: pooled(self.connector.clone()),
            ..self.clone()
        }
    }

    /// The upstream base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET path` and decode `data`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str, auth: &Auth) -> Result<T, RestError> {
        self.send(Method::GET, path, auth, None::<&()>, &[]).await
    }

    /// `GET path?query` and decode `data`.
    pub async fn get_query<T: DeserializeOwned>(
        &self,
        path: &str,
        auth: &Auth,
        query: &[(&str, String)],
    ) -> Result<T, RestError> {
        self.send(Method::GET, path, auth, None::<&()>, query).await
    }

    /// `POST path` with an optional JSON body and decode `data`.
    pub async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        auth: &Auth,
        body: Option<&B>,
    ) -> Result<T, RestError> {
        self.send(Method::POST, path, auth, body, &[]).await
    }

    /// `DELETE path` with a JSON body and decode `data`.
    pub async fn delete<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        auth: &Auth,
        body: &B,
    ) -> Result<T, RestError> {
        self.send(Method::DELETE, path, auth, Some(body), &[]).await
    }

    async fn send<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<&B>,
        query: &[(&str, String)],
    ) -> Result<T, RestError> {
        let started = Instant::now();
        let result = match self.request(&method, path, auth, body, query) {
            Ok(req) => self.exchange(req).await,
            Err(reason) => Err(RestError::Unreachable {
                upstream: self.base.to_string(),
                reason,
            }),
        };
        let elapsed_ms = crate::telemetry::millis(started.elapsed());
        let span = tracing::Span::current();
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
        let (status, bytes) = result?;
        self.decode(status, &bytes)
    }

    /// The request for `path` with its credential, query and JSON body; an
    /// error says what could not be sent (a credential that is not a valid
    /// header value, a body that does not serialize), naming no secret.
    fn request<B: Serialize + ?Sized>(
        &self,
        method: &Method,
        path: &str,
        auth: &Auth,
        body: Option<&B>,
        query: &[(&str, String)],
    ) -> Result<http::Request<Full<Bytes>>, String> {
        let mut req = http::Request::builder()
            .method(method.clone())
            .uri(self.uri(path, query)?)
            .header(http::header::USER_AGENT, USER_AGENT_VALUE);
        if let Some(proxy_auth) = self.route.request_auth() {
            req = req.header(PROXY_AUTHORIZATION, proxy_auth.clone());
        }
        let credential = match auth {
            Auth::None => None,
            Auth::ApiKey(key) => Some((
                HeaderName::from_static("x-api-key"),
                HeaderValue::from_str(key),
            )),
            Auth::Bearer(token) => Some((
                AUTHORIZATION,
                HeaderValue::try_from(format!("Bearer {token}")),
            )),
        };
        if let Some((name, value)) = credential {
            // Never echo the value: it is the caller's secret.
            let mut value = value.map_err(|_| {
                format!("the credential cannot be sent as an HTTP header ({name} holds characters HTTP does not allow)")
            })?;
            value.set_sensitive(true);
            req = req.header(name, value);
        }
        let body = match body {
            Some(body) => {
                req = req.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Bytes::from(
                    serde_json::to_vec(body)
                        .map_err(|e| format!("the request body cannot be written as JSON: {e}"))?,
                )
            }
            None => Bytes::new(),
        };
        req.body(Full::new(body)).map_err(|e| root_cause(&e))
    }

    /// The upstream URI of `path` (e.g. `/v2/users/me`) with `query`
    /// form-encoded.
    fn uri(&self, path: &str, query: &[(&str, String)]) -> Result<Uri, String> {
        let mut target = String::with_capacity(self.base_path.len() + path.len() + 32);
        target.push_str(&self.base_path);
        target.push_str(path);
        if !query.is_empty() {
            target.push('?');
            target.push_str(
                &url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())))
                    .finish(),
            );
        }
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(
            PathAndQuery::from_maybe_shared(Bytes::from(target))
                .map_err(|e| format!("cannot build the upstream URL for {path}: {e}"))?,
        );
        Uri::from_parts(parts).map_err(|e| format!("cannot build the upstream URL for {path}: {e}"))
    }

    /// Sends the request and reads at most [`MAX_RESPONSE_BYTES`] of body,
    /// all within the upstream timeout.
    async fn exchange(&self, req: http::Request<Full<Bytes>>) -> Result<(u16, Vec<u8>), RestError> {
        let call = async {
            let resp = self
                .http
                .request(req)
                .await
                .map_err(|e| self.unreachable(&e))?;
            let status = resp.status().as_u16();
            let mut body = resp.into_body();
            let mut bytes = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| self.unreachable(&e))?;
                let Ok(chunk) = frame.into_data() else {
                    continue;
                };
                if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(RestError::BadResponse {
                        upstream: self.base.to_string(),
                        reason: format!("response body larger than {MAX_RESPONSE_BYTES} bytes"),
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok((status, bytes))
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(RestError::Timeout {
                upstream: self.base.to_string(),
                after: self.timeout,
            }),
        }
    }

    fn decode<T: DeserializeOwned>(&self, status: u16, bytes: &[u8]) -> Result<T, RestError> {
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
        let env: Envelope<T> =
            serde_json::from_slice(bytes).map_err(|e| RestError::BadResponse {
                upstream: self.base.to_string(),
                reason: format!("HTTP {status} with a body that is not the expected JSON ({e})"),
            })?;
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
            None => serde_json::from_value(serde_json::Value::Null).map_err(|_| {
                RestError::BadResponse {
                    upstream: self.base.to_string(),
                    reason: "the answer has no data".to_string(),
                }
            }),
        }
    }

    fn unreachable(&self, err: &(dyn std::error::Error + 'static)) -> RestError {
        RestError::Unreachable {
            upstream: self.base.to_string(),
            reason: root_cause(err),
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

/// The innermost error message (e.g. `Connection refused (os error 111)`),
/// which names no URL or credential.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
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
