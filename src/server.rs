//! The HTTP surface: the two ECGridOS endpoint paths (SOAP `POST`, `?WSDL`,
//! the coverage page), `/healthz`, request ids and the per-request span.
//!
//! Every answer that is not a success is a SOAP fault (never an HTML error
//! page): 405 for other methods on an endpoint, 404 for other paths, 413 for
//! a body over `--max-body`, 415 for a content type that is not SOAP.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};
use tracing::{field, Instrument};

use crate::coverage;
use crate::ops::{self, Availability, Context};
use crate::soap::{
    read_envelope, write_fault, write_response, Fault, Limits, ServiceNs, SoapVersion,
};
use crate::telemetry;
use crate::workers::Handler;
use crate::wsdl;

/// A request as the workers hand it over.
type Request = http::Request<Incoming>;

/// One of the two ECGridOS endpoint paths the gateway serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v4.1/prod/ECGridOS.asmx`, namespace `https://os.ecgrid.io/`.
    V41,
    /// `/v3.2/prod/ecgridos.asmx`, namespace `http://ecgridos.net/`.
    V32,
}

impl Endpoint {
    /// Both endpoints.
    pub const ALL: [Endpoint; 2] = [Endpoint::V41, Endpoint::V32];

    /// The canonical path.
    pub const fn path(self) -> &'static str {
        match self {
            Endpoint::V41 => "/v4.1/prod/ECGridOS.asmx",
            Endpoint::V32 => "/v3.2/prod/ecgridos.asmx",
        }
    }

    /// The endpoint's service namespace.
    pub const fn namespace(self) -> ServiceNs {
        match self {
            Endpoint::V41 => ServiceNs::V41,
            Endpoint::V32 => ServiceNs::V32,
        }
    }

    /// The endpoint at `path` (case-insensitive).
    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|e| e.path().eq_ignore_ascii_case(path))
    }
}

/// Everything a request handler needs.
pub struct AppState {
    /// The operations' context.
    pub ctx: Context,
    /// Configured base URL for WSDL addresses.
    pub public_url: Option<Arc<str>>,
    /// Request body limit in bytes.
    pub max_body: usize,
    /// How fast a request body must arrive.
    pub body_deadline: BodyDeadline,
    /// Envelope reader limits.
    pub limits: Limits,
}

/// The gateway's request handler for one worker: `/healthz`, and every
/// other request through `handle` (the endpoints, faults for the rest).
/// Called straight from hyper's connection, without a router: the gateway
/// has two paths, and axum's routing, boxing and body conversion cost
/// about a microsecond per request (BENCHMARKS.md, fix 15).
pub fn handler(state: AppState) -> Handler {
    let state = Arc::new(state);
    Arc::new(move |request: Request| {
        if request.uri().path() == "/healthz" {
            return Box::pin(std::future::ready(health(request.method())));
        }
        Box::pin(handle(state.clone(), request))
    })
}

/// `/healthz`: `ok` to GET and HEAD (liveness; not logged), 405 otherwise.
fn health(method: &Method) -> Response {
    if *method == Method::GET || *method == Method::HEAD {
        ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok").into_response()
    } else {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response()
    }
}

async fn handle(state: Arc<AppState>, request: Request) -> Response {
    let request_id = request_id(request.headers());
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        path = %request.uri().path(),
        op = field::Empty,
        soap_version = field::Empty,
        ns = field::Empty,
        upstream_status = field::Empty,
        upstream_ms = field::Empty,
    );
    // The clock is read only for the line that reports it.
    let started = tracing::enabled!(tracing::Level::INFO).then(Instant::now);
    let mut response = route(state, request).instrument(span.clone()).await;
    if let Some(started) = started {
        let status = response.status().as_u16();
        span.in_scope(|| {
            tracing::info!(
                status,
                elapsed_ms = telemetry::millis(started.elapsed()),
                "request finished"
            )
        });
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

async fn route(state: Arc<AppState>, request: Request) -> Response {
    if let Err(fault) = check_host(&request) {
        return fault_response(SoapVersion::V11, &fault);
    }
    let Some(endpoint) = Endpoint::from_path(request.uri().path()) else {
        let fault = Fault::invalid(format!(
            "no ECGridOS endpoint at {}; the gateway serves {} and {}",
            request.uri().path(),
            Endpoint::V41.path(),
            Endpoint::V32.path()
        ))
        .with_status(StatusCode::NOT_FOUND);
        return fault_response(SoapVersion::V11, &fault);
    };
    match *request.method() {
        Method::POST => soap_post(state, endpoint, request).await,
        Method::GET | Method::HEAD => {
            let wants_wsdl = request
                .uri()
                .query()
                .is_some_and(|q| q.split('&').any(|p| p.eq_ignore_ascii_case("wsdl")));
            let base = base_url(&state, request.headers());
            if wants_wsdl {
                (
                    [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                    wsdl::render(endpoint, &base),
                )
                    .into_response()
            } else {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    coverage::page(endpoint, &base),
                )
                    .into_response()
            }
        }
        ref other => {
            let fault = Fault::invalid(format!(
                "method {other} is not allowed on {}; POST a SOAP envelope, or GET ?WSDL",
                endpoint.path()
            ))
            .with_status(StatusCode::METHOD_NOT_ALLOWED);
            let mut response = fault_response(SoapVersion::V11, &fault);
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
            response
        }
    }
}

async fn soap_post(state: Arc<AppState>, endpoint: Endpoint, request: Request) -> Response {
    let version = match content_type_version(request.headers()) {
        Ok(v) => v,
        Err(fault) => return fault_response(SoapVersion::V11, &fault),
    };
    // Before the body is polled, so hyper sends no `100 Continue` for it.
    if let Err(fault) = check_content_length(request.headers(), state.max_body) {
        return fault_response(version, &fault);
    }
    let body = match read_body(request.into_body(), state.max_body, state.body_deadline).await {
        Ok(body) => body,
        Err(fault) => return fault_response(version, &fault),
    };
    let envelope = match read_envelope(&body, Some(version), &state.limits) {
        Ok(envelope) => envelope,
        Err(fault) => {
            tracing::info!(fault = %fault.message, "request refused");
            return fault_response(version, &fault);
        }
    };
    let namespace = envelope.namespace.unwrap_or(endpoint.namespace()).uri();
    let span = tracing::Span::current();
    span.record("op", envelope.operation.as_str());
    span.record("soap_version", envelope.version.label());
    span.record("ns", namespace);

    let Some(spec) = ops::find(&envelope.operation) else {
        let fault = Fault::unsupported_operation(&envelope.operation);
        return fault_response(envelope.version, &fault);
    };
    if endpoint == Endpoint::V32 && spec.availability == Availability::V41Only {
        let fault = Fault::invalid(format!(
            "operation {} is not part of ECGridOS v3.2; call it on {}",
            spec.name,
            Endpoint::V41.path()
        ));
        return fault_response(envelope.version, &fault);
    }
    // One deadline for the whole call, whatever upstream calls it makes.
    let call = (spec.handler)(&state.ctx, &envelope.params);
    match state.ctx.within_deadline(call).await {
        Ok(body) => {
            let xml = write_response(envelope.version, namespace, spec.name, &*body);
            (
                [(header::CONTENT_TYPE, envelope.version.content_type())],
                xml,
            )
                .into_response()
        }
        Err(fault) => {
            tracing::info!(fault = %fault.message, code = fault.error_code.as_str(), "operation fault");
            fault_response(envelope.version, &fault)
        }
    }
}

/// A 400 fault for an HTTP/1.1 request without a `Host` header, which
/// RFC 9112 (section 3.2) says a server must refuse; HTTP/1.0 may omit it.
fn check_host(request: &Request) -> Result<(), Fault> {
    if request.version() == http::Version::HTTP_11
        && !request.headers().contains_key(header::HOST)
        && request.uri().authority().is_none()
    {
        return Err(Fault::invalid(
            "an HTTP/1.1 request must carry a Host header (RFC 9112, section 3.2)",
        )
        .with_status(StatusCode::BAD_REQUEST));
    }
    Ok(())
}

/// The SOAP version a `Content-Type` announces, or a 415 fault.
fn content_type_version(headers: &HeaderMap) -> Result<SoapVersion, Fault> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = value.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("text/xml") {
        Ok(SoapVersion::V11)
    } else if mime.eq_ignore_ascii_case("application/soap+xml") {
        Ok(SoapVersion::V12)
    } else {
        let shown = if value.is_empty() { "none" } else { value };
        Err(Fault::invalid(format!(
            "unsupported Content-Type '{shown}'; send text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)"
        ))
        .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE))
    }
}

/// How long a request body may take: [`BodyDeadline::grace`], plus the
/// time its bytes take at [`BodyDeadline::min_rate`]. A client sending at
/// least `min_rate` on average always finishes, however large its body (up
/// to the limit); a client that stalls is cut off `grace` + received /
/// `min_rate` after its body began (issue 16, finding 4: a stalled body was
/// held forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyDeadline {
    /// Time allowed on top of the rate (`--body-read-timeout`).
    pub grace: Duration,
    /// Slowest average rate accepted, bytes per second (`--body-min-rate`).
    pub min_rate: u64,
}

impl BodyDeadline {
    /// How long a body of which `received` bytes have arrived may have
    /// taken so far.
    fn allowed(&self, received: usize) -> Duration {
        let rate = self.min_rate.max(1) as f64;
        self.grace + Duration::from_secs_f64(received as f64 / rate)
    }
}

/// A 413 fault when the request's `Content-Length` is over `limit`, before
/// any of the body is read (and so before hyper answers `Expect:
/// 100-continue`); a 400 fault when it is not a number. Callers with a
/// per-operation limit call it with that limit.
pub fn check_content_length(headers: &HeaderMap, limit: usize) -> Result<(), Fault> {
    let Some(value) = headers.get(header::CONTENT_LENGTH) else {
        return Ok(());
    };
    let length = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| {
            Fault::invalid("the request's Content-Length is not a number")
                .with_status(StatusCode::BAD_REQUEST)
        })?;
    if length > limit as u64 {
        return Err(too_large(limit, Some(length)));
    }
    Ok(())
}

fn too_large(limit: usize, announced: Option<u64>) -> Fault {
    let announced = announced
        .map(|n| format!(" (Content-Length {n})"))
        .unwrap_or_default();
    Fault::invalid(format!(
        "request body{announced} is larger than the gateway's limit of {limit} bytes (--max-body)"
    ))
    .with_status(StatusCode::PAYLOAD_TOO_LARGE)
}

/// Reads at most `limit` bytes of body within `deadline`: a 413 fault past
/// the limit, a 408 fault past the deadline, a 400 fault when the body
/// cannot be read (e.g. broken chunked encoding).
pub async fn read_body(
    mut body: Incoming,
    limit: usize,
    deadline: BodyDeadline,
) -> Result<Bytes, Fault> {
    let started = tokio::time::Instant::now();
    // Sized once from the announced length (within the limit): a body
    // grown by doubling held up to twice its size, and a stalled one kept
    // it (300 stalled 900 KB bodies: 560 MiB). Pages not yet written are
    // not resident, so announcing a length costs nothing until it is sent.
    let announced = body.size_hint().exact().unwrap_or(0);
    let mut collected = Vec::with_capacity(usize::try_from(announced).unwrap_or(limit).min(limit));
    loop {
        let cutoff = started + deadline.allowed(collected.len());
        let frame = match tokio::time::timeout_at(cutoff, body.frame()).await {
            Err(_) => {
                return Err(Fault::invalid(format!(
                    "the request body did not arrive in time: {} bytes in {:.1} s, and the gateway \
                     needs at least {} bytes/s after the first {} s (--body-min-rate, --body-read-timeout)",
                    collected.len(),
                    started.elapsed().as_secs_f64(),
                    deadline.min_rate,
                    deadline.grace.as_secs()
                ))
                .with_status(StatusCode::REQUEST_TIMEOUT))
            }
            Ok(None) => break,
            Ok(Some(Ok(frame))) => frame,
            Ok(Some(Err(e))) => {
                return Err(
                    Fault::invalid(format!("the request body could not be read: {e}"))
                        .with_status(StatusCode::BAD_REQUEST),
                )
            }
        };
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > limit {
                return Err(too_large(limit, None));
            }
            if collected.is_empty() && body.is_end_stream() {
                // The whole body in one frame (the common case): no copy.
                return Ok(data);
            }
            collected.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(collected))
}

fn fault_response(version: SoapVersion, fault: &Fault) -> Response {
    (
        fault.http_status,
        [(header::CONTENT_TYPE, version.content_type())],
        write_fault(version, fault),
    )
        .into_response()
}

/// The base URL clients reach the gateway at: `--public-url`, else the
/// request's `Host` (with `X-Forwarded-Proto` when a proxy set it).
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| is_plausible_host(h))
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// A Host header is echoed into the WSDL, so only host[:port] characters pass.
fn is_plausible_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// The request's `X-Request-Id` when it is a short token, else a new one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(new_request_id)
}

/// A new request id: 16 hex digits, unique within the process and not
/// guessable across restarts. A per-process random seed (one OS draw) plus
/// a counter, mixed by splitmix64; no system call per request (a
/// `getrandom` per request was 11% of the gateway's syscall time under
/// load, see BENCHMARKS.md). The id is for log correlation only, never a
/// secret.
fn new_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        let mut bytes = [0u8; 8];
        // A failed draw leaves zeros: ids stay unique, only predictable.
        let _ = getrandom::getrandom(&mut bytes);
        u64::from_le_bytes(bytes)
    });
    // splitmix64 of seed + n·golden: a bijection of n, so no repeats.
    let mut z = seed.wrapping_add(
        COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    // 16 lowercase hex digits, without going through `fmt`.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits: Vec<u8> = (0..16)
        .rev()
        .map(|i| HEX[((z >> (i * 4)) & 0xF) as usize])
        .collect();
    String::from_utf8(digits).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_paths_are_case_insensitive() {
        assert_eq!(
            Endpoint::from_path("/V4.1/PROD/ecgridos.ASMX"),
            Some(Endpoint::V41)
        );
        assert_eq!(
            Endpoint::from_path("/v3.2/prod/ECGridOS.asmx"),
            Some(Endpoint::V32)
        );
        assert_eq!(Endpoint::from_path("/v4.1/prod/other.asmx"), None);
    }

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        );
        assert_eq!(content_type_version(&h).unwrap(), SoapVersion::V11);
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/soap+xml;charset=UTF-8;action=\"x\""),
        );
        assert_eq!(content_type_version(&h).unwrap(), SoapVersion::V12);
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let fault = content_type_version(&h).unwrap_err();
        assert_eq!(fault.http_status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(fault.message.contains("'application/json'"));
    }

    #[test]
    fn request_ids_are_kept_when_sane() {
        let mut h = HeaderMap::new();
        h.insert("x-request-id", HeaderValue::from_static("abc-123"));
        assert_eq!(request_id(&h), "abc-123");
        h.insert("x-request-id", HeaderValue::from_static("<script>"));
        assert_eq!(request_id(&h).len(), 16);
    }

    #[test]
    fn new_request_ids_are_hex_and_distinct() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids
            .iter()
            .all(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())));
    }
}
