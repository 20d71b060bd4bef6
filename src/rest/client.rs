//! The shared HTTP client and the one place the REST envelope is decoded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::Method;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

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
/// (Mozilla roots from webpki-roots, as reqwest's `rustls-tls` uses). Not
/// reqwest: its layers (redirect policy re-parsing every URL, retry
/// bookkeeping, boxing) cost ~25 µs per call (`examples/client_overhead.rs`,
/// BENCHMARKS.md); the gateway needs none of them.
type HttpClient = hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

const USER_AGENT_VALUE: &str = concat!("ecgrid-gateway/", env!("CARGO_PKG_VERSION"));

/// Typed client for one REST v2 upstream.
#[derive(Clone)]
pub struct RestClient {
    http: HttpClient,
    base: Arc<str>,
    /// `base` parsed once; each call clones it and sets only the path, so
    /// no request re-parses the scheme and host (a measurable cost under
    /// load, see BENCHMARKS.md).
    base_url: url::Url,
    /// The path of `base` without a trailing slash ("" for none).
    base_path: Arc<str>,
    timeout: Duration,
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
    /// whose calls fail after `timeout`.
    pub fn new(base: &str, timeout: Duration) -> Result<Self, String> {
        let mut tcp = HttpConnector::new();
        tcp.set_connect_timeout(Some(timeout.min(Duration::from_secs(10))));
        tcp.set_nodelay(true);
        tcp.enforce_http(false);
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_timer(TokioTimer::new())
            .build(https);
        let base = base.trim_end_matches('/');
        let base_url = url::Url::parse(base)
            .map_err(|e| format!("the upstream URL {base} is not a valid URL: {e}"))?;
        if base_url.cannot_be_a_base() {
            return Err(format!("the upstream URL {base} cannot have a path"));
        }
        Ok(RestClient {
            http,
            base: base.into(),
            base_path: base_url.path().trim_end_matches('/').into(),
            base_url,
            timeout,
        })
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
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
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
        let mut url = self.url(path);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut req = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .header(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        let credential = match auth {
            Auth::None => None,
            Auth::ApiKey(key) => Some((HeaderName::from_static("x-api-key"), key.clone())),
            Auth::Bearer(token) => Some((AUTHORIZATION, format!("Bearer {token}"))),
        };
        if let Some((name, value)) = credential {
            let mut value = HeaderValue::try_from(value)
                .map_err(|_| "failed to parse header value".to_string())?;
            value.set_sensitive(true);
            req = req.header(name, value);
        }
        let body = match body {
            Some(body) => {
                req = req.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Bytes::from(serde_json::to_vec(body).map_err(|e| e.to_string())?)
            }
            None => Bytes::new(),
        };
        req.body(Full::new(body)).map_err(|e| root_cause(&e))
    }

    /// The upstream URL of `path` (e.g. `/v2/users/me`).
    fn url(&self, path: &str) -> url::Url {
        let mut url = self.base_url.clone();
        if self.base_path.is_empty() {
            url.set_path(path);
        } else {
            url.set_path(&format!("{}{path}", self.base_path));
        }
        url
    }

    /// Sends the request and reads at most [`MAX_RESPONSE_BYTES`] of body,
    /// all within the upstream timeout.
    async fn exchange(&self, req: http::Request<Full<Bytes>>) -> Result<(u16, Vec<u8>), RestError> {
        let call = async {
            let resp = self
                .http
                .request(req)
                .await
                .map_err(|e| self.transport_error(&e))?;
            let status = resp.status().as_u16();
            let mut body = resp.into_body();
            let mut bytes = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| self.transport_error(&e))?;
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

    fn transport_error(&self, err: &(dyn std::error::Error + 'static)) -> RestError {
        if is_timeout(err) {
            RestError::Timeout {
                upstream: self.base.to_string(),
                after: self.timeout,
            }
        } else {
            RestError::Unreachable {
                upstream: self.base.to_string(),
                reason: root_cause(err),
            }
        }
    }
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// True when a cause in the chain is a timeout (the connect timeout).
fn is_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        current = e.source();
    }
    false
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
