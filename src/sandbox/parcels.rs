//! Parcel endpoints: upload (routed, stored, callbacks fired), download,
//! confirm, reset-to-inbox and get-parcel. The lists are in
//! `parcel_lists.rs`.

use std::sync::Arc;

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use time::OffsetDateTime;

use super::auth::Caller;
use super::envelope::{ok, ApiError, JsonFields};
use super::parcel_access::{
    declared_size, ecgrid_from, ecgrid_to, parcel_id, path_id, scope, visible_parcel,
};
use super::parcel_events::{enqueue, ParcelEvent};
use super::parcel_json::{download_response, parcel_json};
use super::parcel_store::{NewUpload, Parcel, Side, Way};
use super::state::{lock, Shared};
use super::upload_body::UploadBody;
use super::upload_route::{route, Refused};
use crate::domain::CallBackEventType;

/// Body limit of `POST /v2/parcels/upload`: a 64 MiB file base64-encoded
/// (about 85.4 MiB) plus the other fields.
pub(crate) const UPLOAD_BODY_LIMIT: usize = 90 * 1024 * 1024;

fn side_of(s: &Shared, ecgrid_id: i32, mailbox_id: i32, network_id: i32) -> Side {
    Side {
        ecgrid_id,
        network_id,
        network_name: s.directory.network_name(network_id),
        mailbox_id,
        mailbox_name: s.directory.mailbox_name(mailbox_id),
    }
}

/// `POST /v2/parcels/upload` (the caller is authenticated before the body
/// is read and decoded).
pub(crate) async fn upload(
    State(s): State<Arc<Shared>>,
    req: Request,
) -> Result<Response, ApiError> {
    let c = s.authenticate(req.headers())?;
    let body = UploadBody::from_request(req, &()).await?;
    let f = body.fields;
    scope(&f, &c, &s.directory)?;
    let file_name = f.req_str("fileName")?;
    let own = s.directory.own_id(&c.account).ok_or_else(|| {
        ApiError::invalid_parameter(format!(
            "account {} has no ECGrid ID (trading-partner ID), so it cannot send parcels",
            c.account.login
        ))
    })?;
    if let Some(from) = ecgrid_from(&f)? {
        if from != own.ecgrid_id {
            return Err(ApiError::invalid_parameter(format!(
                "field `ecGridIdFrom`: {from} is not your ECGrid ID ({})",
                own.ecgrid_id
            )));
        }
    }
    let to = ecgrid_to(&f)?;
    let declared = declared_size(&f)?;
    let content = body
        .content
        .ok_or_else(|| ApiError::invalid_parameter("field `content` is required"))??;
    if let Some(n) = declared.filter(|n| usize::try_from(*n).ok() != Some(content.len())) {
        return Err(ApiError::invalid_parameter(format!(
            "field `bytes` says {n} bytes but `content` decodes to {} bytes",
            content.len()
        )));
    }
    let max = s.config.max_parcel_bytes;
    if content.len() > max {
        return Err(ApiError::invalid_parameter(format!(
            "the file is {} bytes, more than the sandbox stores in total (--max-parcel-bytes {max})",
            content.len()
        )));
    }
    let routed = match route(&s.directory, own, to, &content) {
        Ok(r) => r,
        Err(Refused(e)) => {
            enqueue(
                &s,
                &ParcelEvent {
                    guide: CallBackEventType::OutBoxError,
                    network_id: c.account.network_id,
                    mailbox_id: c.account.mailbox_id,
                    ecgrid_id: own.ecgrid_id,
                    parcel_id: 0,
                    file_name: file_name.clone(),
                },
            );
            tracing::info!(message = %e.message, "upload refused");
            return Err(e);
        }
    };
    let standard = routed
        .header
        .as_ref()
        .map(|h| h.standard.as_str())
        .unwrap_or("Binary");
    let rcpt = routed.recipient;
    let from = side_of(
        &s,
        own.ecgrid_id,
        c.account.mailbox_id,
        c.account.network_id,
    );
    let to_side = side_of(&s, rcpt.ecgrid_id, rcpt.mailbox_id, rcpt.network_id);
    let now = OffsetDateTime::now_utc();
    let (stored, held) = {
        let mut store = lock(&s.parcels);
        let stored = store.store(
            NewUpload {
                file_name: file_name.clone(),
                content,
                standard,
                header: routed.header,
                from: from.clone(),
                to: to_side.clone(),
            },
            now,
        );
        (stored, store.total_bytes())
    };
    tracing::info!(
        held_bytes = held,
        parcel_id = stored.outbound,
        inbound_parcel_id = stored.inbound,
        from = own.ecgrid_id,
        to = rcpt.ecgrid_id,
        "parcel uploaded and delivered"
    );
    enqueue(
        &s,
        &ParcelEvent {
            guide: CallBackEventType::InBox,
            network_id: to_side.network_id,
            mailbox_id: to_side.mailbox_id,
            ecgrid_id: to_side.ecgrid_id,
            parcel_id: stored.inbound,
            file_name: file_name.clone(),
        },
    );
    enqueue(
        &s,
        &ParcelEvent {
            guide: CallBackEventType::OutBox,
            network_id: from.network_id,
            mailbox_id: from.mailbox_id,
            ecgrid_id: from.ecgrid_id,
            parcel_id: stored.outbound,
            file_name,
        },
    );
    Ok(ok(stored.outbound))
}

/// The inbound parcel `id` of the caller's mailbox (download, confirm and
/// reset apply to inbound parcels only).
fn inbound<'a>(
    store: &'a super::parcel_store::ParcelStore,
    id: i64,
    c: &Caller,
) -> Result<&'a Parcel, ApiError> {
    let p = visible_parcel(store, id, c)?;
    if p.way != Way::In {
        return Err(ApiError::invalid_parameter(format!(
            "parcel {id} is an outbound parcel of mailbox {}; download, confirm and reset apply to the recipient's inbound parcel",
            p.from.mailbox_id
        )));
    }
    Ok(p)
}

fn archived(id: i64) -> ApiError {
    ApiError::not_found(format!(
        "the content of parcel {id} was archived (evicted to stay under --max-parcel-bytes); only its record remains"
    ))
}

/// `POST /v2/parcels/download {parcelId, noUpdate?}`.
pub(crate) async fn download(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let c = s.authenticate(&headers)?;
    let id = parcel_id(&f)?;
    let no_update = f.opt_bool("noUpdate")?.unwrap_or(false);
    let (parcel, content) = {
        let mut store = lock(&s.parcels);
        let p = inbound(&store, id, &c)?;
        let content = store.content(p).ok_or_else(|| archived(id))?;
        if !no_update {
            store.record_download(id, OffsetDateTime::now_utc());
        }
        let p = store
            .parcels
            .get(&id)
            .cloned()
            .ok_or_else(|| archived(id))?;
        (p, content)
    };
    Ok(download_response(&parcel, &content))
}

/// `POST /v2/parcels/confirm {parcelId}`.
pub(crate) async fn confirm(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let c = s.authenticate(&headers)?;
    let id = parcel_id(&f)?;
    let event = {
        let mut store = lock(&s.parcels);
        inbound(&store, id, &c)?;
        if store.confirm(id, OffsetDateTime::now_utc()) {
            store.parcels.get(&id).map(|p| ParcelEvent {
                guide: CallBackEventType::ConfirmDelivery,
                network_id: p.from.network_id,
                mailbox_id: p.from.mailbox_id,
                ecgrid_id: p.from.ecgrid_id,
                parcel_id: p.twin,
                file_name: p.file_name.clone(),
            })
        } else {
            None
        }
    };
    if let Some(ev) = event {
        tracing::info!(parcel_id = id, "parcel download confirmed");
        enqueue(&s, &ev);
    }
    Ok(ok(true))
}

/// `POST /v2/parcels/reset-to-inbox/{id}`.
pub(crate) async fn reset(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let c = s.authenticate(&headers)?;
    let id = path_id(&raw, "parcel")?;
    let mut store = lock(&s.parcels);
    let p = inbound(&store, id, &c)?;
    if store.content(p).is_none() {
        return Err(archived(id));
    }
    store.reset(id, OffsetDateTime::now_utc());
    Ok(ok(true))
}

/// `GET /v2/parcels/{id}`.
pub(crate) async fn get_parcel(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let c = s.authenticate(&headers)?;
    let id = path_id(&raw, "parcel")?;
    let store = lock(&s.parcels);
    let p = visible_parcel(&store, id, &c)?;
    Ok(ok(parcel_json(p)))
}
