//! [`LegacyClient`]: HTTP/1.1 to the legacy ECGridOS service, answers
//! streamed, on the gateway's own exchange ([`crate::http1`]: the calling
//! task writes the request and reads the answer on a pooled connection).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode, Uri};
use rustls::pki_types::CertificateDer;

use crate::http1::{AnswerBody, BodyFraming, H1Pool, SendError, StreamedAnswer};
use crate::rest::client::connector;
use crate::rest::connect::{split_base_url, Route, UpstreamConnector};
use crate::soap::Fault;

/// How long an idle connection to the legacy service is kept for reuse.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Largest request body copied into the request head's buffer, so that
/// the request goes out in one write.
const COPY_BODY_UP_TO: usize = 64 * 1024;

/// `User-Agent` of a request whose client sent none.
const USER_AGENT_LINE: &[u8] = concat!(
    "user-agent: ecgrid-gateway/",
    env!("CARGO_PKG_VERSION"),
    "\r\n"
)
.as_bytes();

/// A `POST` to the legacy service, as it will be written: the path and
/// query the SOAP client called, the end-to-end header lines, and the
/// whole body (the envelope, read within `--max-body`). The client adds
/// `Host`, `Content-Length`, `Proxy-Authorization` (a forward proxy's) and,
/// when none was added, a `User-Agent` of the gateway's.
#[derive(Debug, Clone)]
pub struct LegacyRequest {
    path_and_query: String,
    /// `name: value\r\n` lines.
    fields: Vec<u8>,
    has_user_agent: bool,
    body: Bytes,
}

impl LegacyRequest {
    /// A `POST` of `body` to `path_and_query` (which must be a path, as a
    /// request's URI has it) with no headers yet.
    pub fn post(path_and_query: &str, body: Bytes) -> Result<Self, LegacyError> {
        if !path_and_query.starts_with('/') || !path_and_query.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(LegacyError::Unreachable(format!(
                "cannot form the request URL from the path {path_and_query:?}"
            )));
        }
        Ok(LegacyRequest {
            path_and_query: path_and_query.to_string(),
            fields: Vec::with_capacity(256),
            has_user_agent: false,
            body,
        })
    }

    /// Adds the header `name: value` (after those added before).
    pub fn header(&mut self, name: &HeaderName, value: &HeaderValue) {
        self.has_user_agent |= *name == http::header::USER_AGENT;
        self.fields.extend_from_slice(name.as_str().as_bytes());
        self.fields.extend_from_slice(b": ");
        self.fields.extend_from_slice(value.as_bytes());
        self.fields.extend_from_slice(b"\r\n");
    }

    /// The header lines added so far, as they will be written.
    pub fn header_lines(&self) -> &[u8] {
        &self.fields
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

/// The client for one legacy ECGridOS base URL (`--legacy`).
#[derive(Clone)]
pub struct LegacyClient {
    /// Idle connections (shared by clones; see [`LegacyClient::with_own_pool`]).
    pool: Arc<H1Pool>,
    /// What [`LegacyClient::with_own_pool`] builds a new pool over.
    connector: hyper_rustls::HttpsConnector<UpstreamConnector>,
    route: Arc<Route>,
    base: Arc<str>,
    /// `scheme://authority`, parsed once: what connections are opened to.
    origin: Uri,
    /// Every request's head up to its path, built once: `POST `, the
    /// origin when a forward proxy takes the absolute URL, and the base
    /// URL's path without a trailing slash (a request's own path follows).
    target_prefix: Arc<[u8]>,
    /// The header lines every request starts with, built once: `Host` and
    /// a forward proxy's `Proxy-Authorization`.
    fixed_fields: Arc<[u8]>,
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
        let (origin, base_path) = split_base_url(base, "legacy")?;
        // (Both present: `split_base_url` checks.)
        let scheme = origin.scheme_str().unwrap_or("http");
        let authority = origin.authority().map_or("", |a| a.as_str());
        let route = Arc::new(Route::from_env(&origin).map_err(|e| format!("--legacy: {e}"))?);
        let mut target_prefix = b"POST ".to_vec();
        if matches!(*route, Route::Forward { .. }) {
            // A forward proxy takes the absolute URL.
            target_prefix.extend_from_slice(format!("{scheme}://{authority}").as_bytes());
        }
        target_prefix.extend_from_slice(base_path.as_bytes());
        let mut fixed_fields = format!("host: {authority}\r\n").into_bytes();
        if let Some(auth) = route.request_auth() {
            fixed_fields.extend_from_slice(b"proxy-authorization: ");
            fixed_fields.extend_from_slice(auth.as_bytes());
            fixed_fields.extend_from_slice(b"\r\n");
        }
        let connector = connector(route.clone(), timeout, extra_roots)?;
        Ok(LegacyClient {
            pool: Arc::new(H1Pool::new(connector.clone(), POOL_IDLE_TIMEOUT)),
            connector,
            route,
            base: base.into(),
            origin,
            target_prefix: target_prefix.into(),
            fixed_fields: fixed_fields.into(),
            timeout,
        })
    }

    /// The same client with a connection pool of its own (one per worker,
    /// as for the REST client; a clone shares the pool).
    pub fn with_own_pool(&self) -> LegacyClient {
        LegacyClient {
            pool: Arc::new(H1Pool::new(self.connector.clone(), POOL_IDLE_TIMEOUT)),
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

    /// Sends `request` to its path under the legacy base URL and returns
    /// the answer once its head arrived (within `--upstream-timeout`, the
    /// connection included); the body follows as a stream, and its
    /// headers are the legacy service's less the hop-by-hop ones. A request
    /// is sent again on a new connection only when a reused one turned out
    /// closed before the upstream could have read it (a POST is never
    /// repeated once the upstream may have acted on it).
    pub async fn send(
        &self,
        request: &LegacyRequest,
    ) -> Result<http::Response<AnswerBody>, LegacyError> {
        let mut head = Vec::with_capacity(
            request.body.len().min(COPY_BODY_UP_TO) + self.head_len(request) + 32,
        );
        self.write_head(request, &mut head);
        BodyFraming::Length(request.body.len() as u64).write_header(&mut head);
        head.extend_from_slice(b"\r\n");
        // A small body goes in the head's buffer (one write, one system
        // call: copying an envelope costs less); a large one (an upload)
        // is written from its own buffer after it, never copied.
        let small = request.body.len() <= COPY_BODY_UP_TO;
        if small {
            head.extend_from_slice(&request.body);
        }
        let parts: [&[u8]; 2] = [&head, &request.body];
        let parts = if small { &parts[..1] } else { &parts[..] };
        let started = std::time::Instant::now();
        let exchange = self.pool.exchange_streamed(&self.origin, parts, false);
        let answer = tokio::time::timeout(self.timeout, exchange).await;
        let answer = match answer {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(LegacyError::Unreachable(e.to_string())),
            Err(_) => Err(LegacyError::Timeout(self.timeout)),
        };
        answered(answer, started)
    }

    /// [`LegacyClient::send`] of a request whose body is `request`'s body
    /// (its first bytes) followed by the frames of `rest` as they arrive,
    /// framed by `framing` (the whole body's). Each wait for the legacy
    /// service is bounded by `--upstream-timeout`; waits for `rest` are its
    /// own to bound. Never sent again (see [`crate::http1`]'s streamed
    /// requests); a failure of `rest` is [`StreamedError::Body`].
    pub async fn send_streamed<B>(
        &self,
        request: &LegacyRequest,
        rest: &mut B,
        framing: BodyFraming,
    ) -> Result<http::Response<AnswerBody>, StreamedError<B::Error>>
    where
        B: hyper::body::Body<Data = Bytes> + Unpin,
    {
        let mut head = Vec::with_capacity(self.head_len(request) + 48);
        self.write_head(request, &mut head);
        framing.write_header(&mut head);
        head.extend_from_slice(b"\r\n");
        let started = std::time::Instant::now();
        let answer = self
            .pool
            .exchange_streaming_request(
                &self.origin,
                &head,
                &request.body,
                rest,
                framing,
                self.timeout,
            )
            .await;
        let answer = match answer {
            Ok(answer) => Ok(answer),
            // The client's failure, not the legacy service's: not recorded
            // as an upstream call.
            Err(SendError::Body(e)) => return Err(StreamedError::Body(e)),
            Err(SendError::Upstream(e)) => Err(LegacyError::Unreachable(e.to_string())),
            Err(SendError::Timeout(after)) => Err(LegacyError::Timeout(after)),
        };
        answered(answer, started).map_err(StreamedError::Legacy)
    }

    /// About how long the head of `request` is, before its framing header.
    fn head_len(&self, request: &LegacyRequest) -> usize {
        self.target_prefix.len()
            + request.path_and_query.len()
            + self.fixed_fields.len()
            + request.fields.len()
            + USER_AGENT_LINE.len()
            + 16
    }

    /// The request line and header lines of `request`, up to its framing
    /// header, appended to `head`.
    fn write_head(&self, request: &LegacyRequest, head: &mut Vec<u8>) {
        head.extend_from_slice(&self.target_prefix);
        head.extend_from_slice(request.path_and_query.as_bytes());
        head.extend_from_slice(b" HTTP/1.1\r\n");
        head.extend_from_slice(&self.fixed_fields);
        head.extend_from_slice(&request.fields);
        if !request.has_user_agent {
            head.extend_from_slice(USER_AGENT_LINE);
        }
    }
}

/// Why a streamed request got no answer.
#[derive(Debug)]
pub enum StreamedError<E> {
    /// The legacy service's failure.
    Legacy(LegacyError),
    /// The request body's (the client's) failure.
    Body(E),
}

/// The answer of an exchange started at `started`, recorded in the
/// metrics, as the client's response (its body still to stream).
fn answered(
    answer: Result<StreamedAnswer, LegacyError>,
    started: std::time::Instant,
) -> Result<http::Response<AnswerBody>, LegacyError> {
    crate::metrics::record_upstream(
        crate::metrics::Upstream::Legacy,
        answer.as_ref().ok().map(|answer| answer.status),
        started,
    );
    let answer = answer?;
    let status = StatusCode::from_u16(answer.status)
        .map_err(|e| LegacyError::Unreachable(format!("invalid answer status: {e}")))?;
    let mut response = http::Response::new(answer.body);
    *response.status_mut() = status;
    *response.headers_mut() = answer.headers;
    Ok(response)
}
