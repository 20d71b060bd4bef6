//! The shared HTTP client and the one place the REST envelope is decoded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder};
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

/// Typed client for one REST v2 upstream.
#[derive(Clone, Debug)]
pub struct RestClient {
    http: reqwest::Client,
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
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("ecgrid-gateway/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            // reqwest's default retries HTTP/2 and HTTP/3 protocol refusals
            // (this client speaks HTTP/1.1 only, so it never applied) and to
            // be able to, clones every request (headers, URI, extensions)
            // before sending it. No retries, no clone (BENCHMARKS.md).
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
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
        let mut req: RequestBuilder = self.http.request(method.clone(), self.url(path));
        req = match auth {
            Auth::None => req,
            Auth::ApiKey(key) => req.header("X-API-Key", key),
            Auth::Bearer(token) => req.bearer_auth(token),
        };
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let started = Instant::now();
        let result = self.exchange(req).await;
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

    /// Sends the request and reads at most [`MAX_RESPONSE_BYTES`] of body.
    async fn exchange(&self, req: RequestBuilder) -> Result<(u16, Vec<u8>), RestError> {
        let mut resp = req.send().await.map_err(|e| self.transport_error(&e))?;
        let status = resp.status().as_u16();
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport_error(&e))? {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(RestError::BadResponse {
                    upstream: self.base.to_string(),
                    reason: format!("response body larger than {MAX_RESPONSE_BYTES} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status, bytes))
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

    fn transport_error(&self, err: &reqwest::Error) -> RestError {
        if err.is_timeout() {
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
