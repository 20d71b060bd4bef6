//! [`LegacyClient`]: HTTP/1.1 to the legacy ECGridOS service, streamed.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;

use crate::rest::client::connector;
use crate::rest::connect::{Route, UpstreamConnector};
use crate::soap::Fault;

/// How long an idle connection to the legacy service is kept for reuse.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// A request to the legacy service: a whole body (the envelope, read
/// within `--max-body`), an answer whose body is a stream.
pub type LegacyRequest = http::Request<Full<Bytes>>;

/// The client for one legacy ECGridOS base URL (`--legacy`).
#[derive(Clone)]
pub struct LegacyClient {
    client: Client<HttpsConnector<UpstreamConnector>, Full<Bytes>>,
    connector: HttpsConnector<UpstreamConnector>,
    route: Arc<Route>,
    base: Arc<str>,
    /// `scheme://authority`, parsed once.
    origin: Uri,
    /// The base URL's path without a trailing slash ("" for none): a
    /// request's own path is appended to it.
    base_path: Arc<str>,
    timeout: Duration,
}

impl std::fmt::Debug for LegacyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyClient")
            .field("base", &self.base)
            .field("route", &self.route)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a request to the legacy service got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyError {
    /// No connection, or it failed before the answer's head arrived.
    Unreachable(String),
    /// No answer head within `--upstream-timeout`.
    Timeout(Duration),
}

impl LegacyError {
    /// The Server fault a client gets, naming the legacy service at `base`.
    pub fn into_fault(self, base: &str) -> Fault {
        match self {
            LegacyError::Unreachable(reason) => Fault::server(format!(
                "the legacy ECGridOS service at {base} could not be reached: {reason}"
            )),
            LegacyError::Timeout(after) => Fault::server(format!(
                "the legacy ECGridOS service at {base} did not answer within {} (--upstream-timeout)",
                humantime::format_duration(after)
            )),
        }
    }
}

impl LegacyClient {
    /// A client for the legacy service at `base` (e.g.
    /// `https://os.ecgrid.io`) under the same rules as the REST client:
    /// proxy variables, `extra_roots` (`--upstream-ca`), `timeout` for the
    /// connection and the answer's head.
    pub fn new(
        base: &str,
        timeout: Duration,
        extra_roots: &[CertificateDer<'static>],
    ) -> Result<Self, String> {
        let base = base.trim_end_matches('/');
        let invalid = |reason: &dyn std::fmt::Display| {
            format!("the legacy URL {base} is not a valid URL: {reason}")
        };
        let parsed = url::Url::parse(base).map_err(|e| invalid(&e))?;
        let origin: Uri = parsed
            .origin()
            .ascii_serialization()
            .parse()
            .map_err(|e| invalid(&e))?;
        if origin.scheme().is_none() || origin.authority().is_none() {
            return Err(invalid(&"expected an http:// or https:// URL with a host"));
        }
        let route = Arc::new(Route::from_env(&origin).map_err(|e| format!("--legacy: {e}"))?);
        let connector = connector(route.clone(), timeout, extra_roots)?;
        Ok(LegacyClient {
            client: Self::pooled(&connector),
            connector,
            route,
            base: base.into(),
            origin,
            base_path: parsed.path().trim_end_matches('/').into(),
            timeout,
        })
    }

    fn pooled(
        connector: &HttpsConnector<UpstreamConnector>,
    ) -> Client<HttpsConnector<UpstreamConnector>, Full<Bytes>> {
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(connector.clone())
    }

    /// The same client with a connection pool of its own (one per worker,
    /// as for the REST client; a clone shares the pool).
    pub fn with_own_pool(&self) -> LegacyClient {
        LegacyClient {
            client: Self::pooled(&self.connector),
            ..self.clone()
        }
    }

    /// The legacy base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `--upstream-timeout`, which also bounds each wait for more of a
    /// streamed answer.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `request`, whose URI holds only a path and query (the path the
    /// SOAP client called), to the same path under the legacy base URL, and
    /// returns the answer once its head arrived; the body follows as a
    /// stream. `Host` is the legacy service's.
    pub async fn send(
        &self,
        mut request: LegacyRequest,
    ) -> Result<http::Response<Incoming>, LegacyError> {
        let path_and_query = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let uri = Uri::builder()
            .scheme(self.origin.scheme_str().unwrap_or("http"))
            .authority(self.origin.authority().map_or("", |a| a.as_str()))
            .path_and_query(format!("{}{path_and_query}", self.base_path))
            .build()
            .map_err(|e| LegacyError::Unreachable(format!("cannot form the request URL: {e}")))?;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.remove(header::HOST);
        if let Some(auth) = self.route.request_auth() {
            headers.insert(header::PROXY_AUTHORIZATION, auth.clone());
        }
        if !headers.contains_key(header::USER_AGENT) {
            headers.insert(
                header::USER_AGENT,
                HeaderValue::from_static(concat!("ecgrid-gateway/", env!("CARGO_PKG_VERSION"))),
            );
        }
        let started = std::time::Instant::now();
        let answer = tokio::time::timeout(self.timeout, self.client.request(request)).await;
        crate::metrics::record_upstream(
            crate::metrics::Upstream::Legacy,
            match &answer {
                Ok(Ok(response)) => Some(response.status().as_u16()),
                _ => None,
            },
            started,
        );
        match answer {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(LegacyError::Unreachable(root_cause(&e))),
            Err(_) => Err(LegacyError::Timeout(self.timeout)),
        }
    }
}

/// The innermost cause of an error, which is what says what went wrong
/// (`Connection refused (os error 111)`), not the client's wrapper text.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}
