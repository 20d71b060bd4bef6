//! The router: every endpoint of docs/REST.md, enveloped 404/405 answers, and
//! a request log line (method, path, status, time; never headers or bodies).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;

use super::envelope::ApiError;
use super::state::Shared;
use super::{auth, callbacks, directory_reads, interchanges, parcel_lists, parcels};

/// Body limit of every endpoint but the upload.
const BODY_LIMIT: usize = 1024 * 1024;

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
        // Reads its own body, up to parcels::UPLOAD_BODY_LIMIT (upload_body.rs).
        .route("/v2/parcels/upload", post(parcels::upload))
        .route("/v2/parcels/download", post(parcels::download))
        .route("/v2/parcels/confirm", post(parcels::confirm))
        .route("/v2/parcels/reset-to-inbox/{id}", post(parcels::reset))
        .route("/v2/parcels/inbox-list", post(parcel_lists::inbox_list))
        .route("/v2/parcels/outbox-list", post(parcel_lists::outbox_list))
        .route(
            "/v2/parcels/pending-inbox-list",
            post(parcel_lists::pending_inbox_list),
        )
        .route("/v2/parcels/{id}", get(parcels::get_parcel))
        .route("/v2/mailboxes/list", post(directory_reads::list_mailboxes))
        .route("/v2/mailboxes/{id}", get(directory_reads::get_mailbox))
        .route("/v2/networks/list", post(directory_reads::list_networks))
        .route("/v2/networks/{id}", get(directory_reads::get_network))
        .route(
            "/v2/ids/find",
            post(directory_reads::find_id).get(directory_reads::find_id_query),
        )
        .route("/v2/ids/{id}", get(directory_reads::get_id))
        .route(
            "/v2/interchanges/inbox-list",
            post(interchanges::inbox_list),
        )
        .route(
            "/v2/interchanges/outbox-list",
            post(interchanges::outbox_list),
        )
        .route("/v2/interchanges/{id}", get(interchanges::get_interchange))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
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
