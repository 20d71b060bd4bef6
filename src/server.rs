//! The HTTP surface: the two ECGridOS endpoint paths (SOAP `POST`, `?WSDL`,
//! the endpoint and `?op=NAME` pages of [`crate::pages`]), `GET /` (a 302
//! to the v4.1 endpoint page), `/healthz`, `/readyz`, `/metrics`, request
//! ids, the W3C trace context and the per-request span.
//!
//! Each SOAP call's metric labels (operation, version, route, fault code)
//! are gathered in the call's task-local scope (`call_scope`, beside its
//! trace context) as the call learns them, and recorded once it has been
//! answered (`metrics`).
//!
//! Every answer that is not a success is a SOAP fault (never an HTML error
//! page, except the 404 of `?op=` with an unknown name): 405 for other
//! methods on an endpoint or on the gateway's own pages, 404 for other
//! paths, 413 for a body over `--max-body`, 415 for a content type that is
//! not SOAP (and hyper's own 400 and 431 for a head it refuses, given a
//! fault body by `head_refusal`).

use std::cell::Cell;

use http::header::HeaderName;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use tracing::{field, Instrument};

use crate::body_memory::BodyMemory;
use crate::call_scope::{self, CallScope};
use crate::metrics::CallLabels;
use crate::metrics::{self, Outcome, RouteLabel};
use crate::ops::{self, Availability, Context};
use crate::pages;
use crate::request_body::{check_content_length, BodyDeadline, BodyLimits, BodyReader};
use crate::request_id::{next_random_u64, request_id};
use crate::routing::request_reading::{Chosen, LegacyBody};
use crate::routing::router::Forward;
use crate::routing::{self, base_url, Endpoint, Router};
use crate::soap::{
    read_envelope, write_fault, write_response, Fault, FaultCode, Limits, SoapVersion,
};
use crate::telemetry;
use crate::trace_context::TraceContext;
use crate::workers::Handler;
use crate::wsdl;

/// A request as the workers hand it over.
type Request = http::Request<Incoming>;

/// Everything a request handler needs.
pub struct AppState {
    /// The operations' context.
    pub ctx: Context,
    /// Configured base URL for WSDL addresses.
    pub public_url: Option<Arc<str>>,
    /// Request body limits (`--max-body`, `--max-upload-body`).
    pub body_limits: BodyLimits,
    /// How fast a request body must arrive.
    pub body_deadline: BodyDeadline,
    /// The request-body bytes every worker shares (`--max-body-memory`).
    pub body_memory: Arc<BodyMemory>,
    /// Envelope reader limits.
    pub limits: Limits,
    /// Which side answers each operation (`routing`).
    pub router: Router,
    /// With `--sandbox`: `/metrics` includes its webhook deliveries.
    pub sandbox_metrics: bool,
}

/// The W3C trace context header, named once (a `&str` name is parsed on
/// every lookup).
static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// Updates the current call's labels.
fn label_call(update: impl FnOnce(&mut CallLabels)) {
    call_scope::label(update);
}

/// The gateway's request handler for one worker: `/healthz`, and every
/// other request through `handle` (the endpoints, faults for the rest).
/// Called straight from hyper's connection, without a router: the gateway
/// has two paths, and axum's routing, boxing and body conversion cost
/// about a microsecond per request (bench/results/HISTORY.md, fix 15).
pub fn handler(state: AppState) -> Handler {
    let state = Arc::new(state);
    Arc::new(move |request: Request| {
        match request.uri().path() {
            path @ ("/healthz" | "/readyz" | "/metrics" | "/migration" | "/migration.json")
                if *request.method() != Method::GET && *request.method() != Method::HEAD =>
            {
                return Box::pin(std::future::ready(read_only(request.method(), path)))
            }
            "/healthz" => return Box::pin(std::future::ready(health())),
            "/readyz" => {
                let state = state.clone();
                return Box::pin(async move { readiness(&state).await });
            }
            "/metrics" => {
                let state = state.clone();
                return Box::pin(async move { metrics_page(&state).await });
            }
            "/migration" | "/migration.json" => {
                return Box::pin(std::future::ready(migration(&state, &request)))
            }
            _ => {}
        }
        Box::pin(handle(state.clone(), request))
    })
}

/// A 405 fault: `method` is not one `path` answers (`allow`, the `Allow`
/// header's value); `hint` says what to do instead.
fn method_not_allowed(method: &Method, path: &str, allow: &'static str, hint: &str) -> Response {
    let fault = Fault::invalid(format!("method {method} is not allowed on {path}; {hint}"))
        .with_status(StatusCode::METHOD_NOT_ALLOWED);
    let mut response = fault_response(SoapVersion::V11, &fault);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// The 405 fault of the gateway's own pages (`/healthz`, `/readyz`,
/// `/metrics`, `/migration`), which answer GET and HEAD only.
fn read_only(method: &Method, path: &str) -> Response {
    method_not_allowed(method, path, "GET, HEAD", "it answers GET and HEAD")
}

/// `/healthz`: `ok` (liveness; not logged).
fn health() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok").into_response()
}

/// `GET /readyz`: 200 `ready` when the upstream (and Redis) answer, else
/// 503 with one line per dependency that is down (`readiness`).
async fn readiness(state: &AppState) -> Response {
    let text = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    match crate::readiness::check(&state.ctx.rest, &state.ctx.sessions).await {
        Ok(()) => (text, "ready\n".to_string()).into_response(),
        Err(down) => (
            StatusCode::SERVICE_UNAVAILABLE,
            text,
            format!("not ready:\n{}\n", down.join("\n")),
        )
            .into_response(),
    }
}

/// `GET /metrics`: the Prometheus (OpenMetrics text) exposition.
async fn metrics_page(state: &AppState) -> Response {
    // moka's count is exact only after its pending maintenance.
    state.ctx.sessions.run_pending_tasks().await;
    let scrape = metrics::Scrape {
        sessions: state.ctx.sessions.len(),
        sandbox_deliveries: state.sandbox_metrics.then(crate::sandbox::delivery_counts),
    };
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        metrics::render(&scrape),
    )
        .into_response()
}

/// `GET /migration` (HTML) and `/migration.json`: what migration mode has
/// seen (`routing::page`).
fn migration(state: &AppState, request: &Request) -> Response {
    if request.uri().path() == "/migration.json" {
        (
            [(header::CONTENT_TYPE, "application/json")],
            routing::page::json(&state.router),
        )
            .into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            routing::page::html(&state.router),
        )
            .into_response()
    }
}

async fn handle(state: Arc<AppState>, request: Request) -> Response {
    let request_id = request_id(request.headers());
    let trace = TraceContext::continue_or_start(
        request
            .headers()
            .get(&TRACEPARENT)
            .map(HeaderValue::as_bytes),
        next_random_u64,
    );
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        trace_id = %trace,
        method = %request.method(),
        path = %request.uri().path(),
        op = field::Empty,
        soap_version = field::Empty,
        ns = field::Empty,
        upstream_status = field::Empty,
        upstream_ms = field::Empty,
    );
    let started = Instant::now();
    let scope = CallScope {
        trace,
        labels: Cell::new(CallLabels::new()),
    };
    let call = async {
        let response = route(state, request, &request_id)
            .instrument(span.clone())
            .await;
        (response, call_scope::labels().unwrap_or_default())
    };
    let (mut response, labels) = call_scope::CURRENT.scope(scope, call).await;
    let elapsed = started.elapsed();
    if labels.soap {
        metrics::record_request(
            labels.operation,
            labels.version,
            outcome(&labels, response.status()),
            labels.route,
            elapsed,
        );
    }
    if tracing::enabled!(tracing::Level::INFO) {
        let status = response.status().as_u16();
        span.in_scope(|| {
            tracing::info!(
                status,
                elapsed_ms = telemetry::millis(elapsed),
                "request finished"
            )
        });
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// How a call ended: from the gateway's own fault when it answered one,
/// else from the HTTP status (a legacy or shadowed answer).
fn outcome(labels: &CallLabels, status: StatusCode) -> Outcome {
    match labels.fault {
        Some(FaultCode::Server) => Outcome::ServerFault,
        Some(_) => Outcome::ClientFault,
        None if status.is_success() => Outcome::Ok,
        None if status.is_client_error() => Outcome::ClientFault,
        None => Outcome::ServerFault,
    }
}

async fn route(state: Arc<AppState>, request: Request, request_id: &str) -> Response {
    if let Err(fault) = check_host(&request) {
        return fault_response(SoapVersion::V11, &fault);
    }
    if request.uri().path() == "/" && matches!(*request.method(), Method::GET | Method::HEAD) {
        // A browser opening the gateway's address lands on the v4.1 page.
        return (
            StatusCode::FOUND,
            [(header::LOCATION, Endpoint::V41.path())],
        )
            .into_response();
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
        Method::POST => soap_post(state, endpoint, request, request_id).await,
        Method::GET | Method::HEAD => {
            let wants_wsdl = request
                .uri()
                .query()
                .is_some_and(|q| q.split('&').any(|p| p.eq_ignore_ascii_case("wsdl")));
            let base = base_url(state.public_url.as_deref(), request.headers());
            if wants_wsdl {
                (
                    [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                    wsdl::render(endpoint, &base),
                )
                    .into_response()
            } else {
                let (status, html) = pages::page(endpoint, &base, request.uri().query());
                (
                    status,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    html,
                )
                    .into_response()
            }
        }
        ref other => method_not_allowed(
            other,
            endpoint.path(),
            "GET, HEAD, POST",
            "POST a SOAP envelope, or GET ?WSDL",
        ),
    }
}

async fn soap_post(
    state: Arc<AppState>,
    endpoint: Endpoint,
    request: Request,
    request_id: &str,
) -> Response {
    label_call(|l| l.soap = true);
    let version = match content_type_version(request.headers()) {
        Ok(v) => v,
        Err(fault) => return fault_response(SoapVersion::V11, &fault),
    };
    label_call(|l| l.version = version);
    let limit = state.body_limits.for_request(request.headers());
    // Before the body is polled, so hyper sends no `100 Continue` for it.
    if let Err(fault) = check_content_length(request.headers(), limit) {
        return fault_response(version, &fault);
    }
    let (parts, body) = request.into_parts();
    let reader = BodyReader::new(body, limit, state.body_deadline, &state.body_memory);
    let chosen = state
        .router
        .read_and_choose(reader, &state.body_limits)
        .await;
    let (sniffed, body, shadowed) = match chosen {
        Ok(Chosen::Rest(body)) => return rest_answer(&state, endpoint, version, body).await,
        Ok(Chosen::Legacy(sniffed, body)) => (sniffed, body, false),
        Ok(Chosen::Shadow(sniffed, body)) => (sniffed, LegacyBody::Whole(body), true),
        Err(fault) => return fault_response(version, &fault),
    };
    tracing::Span::current().record("op", sniffed.operation.as_str());
    label_call(|l| {
        l.operation = metrics::operation_index(&sniffed.operation);
        l.route = if shadowed {
            RouteLabel::Shadow
        } else {
            RouteLabel::Legacy
        };
    });
    if let LegacyBody::Whole(body) = &body {
        if let Err(fault) = state.body_limits.admits(&sniffed.operation, body.len()) {
            return fault_response(version, &fault);
        }
    }
    let forward = |body| Forward {
        version,
        path_and_query: parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string(),
        headers: parts.headers,
        body,
        sniffed,
        request_id: request_id.to_string(),
    };
    let body = match body {
        LegacyBody::Whole(body) => body,
        LegacyBody::Streamed(streamed) => {
            let call = forward(streamed.prefix.clone());
            // Boxed, as the rare path (see `Router::read_and_choose`).
            return Box::pin(state.router.legacy_streamed(call, *streamed)).await;
        }
    };
    let call = forward(body.clone());
    if shadowed {
        let on_rest = state.clone();
        // Its own scope: the shadow route runs the REST side on a task of
        // its own, which must still send the call's traceparent.
        // Its labels are its own (the answer's outcome is the primary's).
        let trace = call_scope::trace();
        let rest = Box::pin(async move {
            let answer = rest_answer(&on_rest, endpoint, version, body);
            match trace {
                Some(trace) => {
                    let labels = CallLabels {
                        route: RouteLabel::Shadow,
                        ..CallLabels::new()
                    };
                    let scope = CallScope {
                        trace,
                        labels: Cell::new(labels),
                    };
                    call_scope::CURRENT.scope(scope, answer).await
                }
                None => answer.await,
            }
        });
        state.router.shadow(call, rest).await
    } else {
        state.router.legacy(call).await
    }
}

/// The REST translation's answer to an envelope (every fault of an
/// envelope the reader refuses, and the "not supported" one, included).
/// The body is dropped once read into parameters, so an upload's file is
/// not held twice while its REST call is made.
async fn rest_answer(
    state: &AppState,
    endpoint: Endpoint,
    version: SoapVersion,
    body: Bytes,
) -> Response {
    let mut envelope = match read_envelope(&body, Some(version), &state.limits) {
        Ok(envelope) => envelope,
        Err(fault) => {
            tracing::info!(fault = %fault.message, "request refused");
            return fault_response(version, &fault);
        }
    };
    let body_len = body.len();
    drop(body);
    label_call(|l| {
        if l.route == RouteLabel::Rest {
            l.operation = metrics::operation_index(&envelope.operation);
            l.version = envelope.version;
        }
    });
    if let Err(fault) = state.body_limits.admits(&envelope.operation, body_len) {
        return fault_response(envelope.version, &fault);
    }
    let namespace = envelope.namespace.unwrap_or(endpoint.namespace()).uri();
    let span = tracing::Span::current();
    span.record("op", envelope.operation.as_str());
    span.record("soap_version", envelope.version.label());
    span.record("ns", namespace);

    let Some(spec) = ops::find(&envelope.operation) else {
        let suggestion = routing::table::closest_operation(&envelope.operation);
        let fault = Fault::unsupported_operation(&envelope.operation, suggestion);
        return fault_response(envelope.version, &fault);
    };
    if endpoint == Endpoint::V32 && spec.availability() == Availability::V41Only {
        let fault = Fault::invalid(format!(
            "operation {} is not part of ECGridOS v3.2; call it on {}",
            spec.name,
            Endpoint::V41.path()
        ));
        return fault_response(envelope.version, &fault);
    }
    // One deadline for the whole call, whatever upstream calls it makes.
    let call = (spec.handler)(&state.ctx, &mut envelope.params);
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

fn fault_response(version: SoapVersion, fault: &Fault) -> Response {
    // A shadowed call's REST side faulting is not the answer's outcome.
    label_call(|l| {
        if l.route == RouteLabel::Rest {
            l.fault = Some(fault.code);
        }
    });
    let mut response = (
        fault.http_status,
        [(header::CONTENT_TYPE, version.content_type())],
        write_fault(version, fault),
    )
        .into_response();
    if fault.http_status == StatusCode::SERVICE_UNAVAILABLE {
        // Only the body-memory budget answers 503: room comes free within seconds.
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
