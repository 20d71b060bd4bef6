//! The router: every endpoint of docs/REST.md, enveloped 404/405 answers, and
//! a request log line (method, path, status, time; never headers or bodies).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;

use super::envelope::ApiError;
use super::state::Shared;
use super::{auth, callbacks};

/// Builds the sandbox router over the shared state.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v2/auth/version", get(auth::version))
        .route("/v2/auth/login", post(auth::login))
        .route("/v2/auth/logout", post(auth::logout))
        .route("/v2/auth/refresh", post(auth::refresh))
        .route("/v2/auth/session", post(auth::session))
        .route("/v2/users/me", get(auth::me))
        .route("/v2/callbacks/create", post(callbacks::create))
        .route("/v2/callbacks/update", post(callbacks::update))
        .route("/v2/callbacks", delete(callbacks::delete))
        .route("/v2/callbacks/test", post(callbacks::test))
        .route(
            "/v2/callbacks/get-queue-by-id",
            get(callbacks::get_queue_by_id),
        )
        .route("/v2/callbacks/queue-list", post(callbacks::queue_list))
        .route("/v2/callbacks/event-list", post(callbacks::event_list))
        .route(
            "/v2/callbacks/get-event-by-id",
            post(callbacks::get_event_by_id),
        )
        .route("/sandbox/events", post(callbacks::fire))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(log_request))
        .with_state(shared)
}

async fn unknown_route(method: Method, uri: Uri) -> Response {
    ApiError::not_found(format!("no such endpoint: {method} {}", uri.path())).into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let mut e =
        ApiError::invalid_parameter(format!("method {method} is not allowed on {}", uri.path()));
    e.status = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    e.into_response()
}

async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    if status >= 500 {
        tracing::warn!(%method, %path, status, ms, "sandbox request");
    } else {
        tracing::debug!(%method, %path, status, ms, "sandbox request");
    }
    response
}
