//! Interchange reads: one interchange per EDI parcel, listed in the
//! sender's outbox and the recipient's inbox.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use super::envelope::{ok, ApiError, Fields, JsonFields, Page};
use super::parcel_access::{ecgrid_from, ecgrid_to, path_id, scope};
use super::parcel_json::interchange_json;
use super::parcel_store::{Interchange, Parcel, Way};
use super::state::{lock, Shared};

/// `GET /v2/interchanges/{id}`: visible to the sender's and the
/// recipient's mailbox.
pub(crate) async fn get_interchange(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let c = s.authenticate(&headers)?;
    let id = path_id(&raw, "interchange")?;
    let store = lock(&s.parcels);
    let i = store
        .interchanges
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("interchange {id} does not exist")))?;
    let mine = c.account.mailbox_id;
    let side = [i.inbound, i.outbound]
        .iter()
        .filter_map(|p| store.parcels.get(p))
        .find(|p| p.owner().mailbox_id == mine)
        .ok_or_else(|| {
            ApiError::access_denied(format!("interchange {id} is not in your mailbox ({mine})"))
        })?;
    Ok(ok(interchange_json(i, side)))
}

async fn list(s: &Shared, headers: &HeaderMap, f: &Fields, way: Way) -> Result<Response, ApiError> {
    let c = s.authenticate(headers)?;
    let sc = scope(f, &c, &s.directory)?;
    let page = Page::from_fields(f)?;
    let from = ecgrid_from(f)?;
    let to = ecgrid_to(f)?;
    let begin = f.opt_datetime("beginDate", false)?;
    let end = f.opt_datetime("endDate", true)?;
    let control = f
        .opt_str("interchangeControlId")?
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let store = lock(&s.parcels);
    let hits: Vec<(&Interchange, &Parcel)> = store
        .interchanges
        .values()
        .filter_map(|i| {
            let pid = match way {
                Way::In => i.inbound,
                Way::Out => i.outbound,
            };
            let p = store.parcels.get(&pid)?;
            let keep = p.owner().mailbox_id == sc.mailbox_id
                && from.map_or(true, |e| i.from.ecgrid_id == e)
                && to.map_or(true, |e| i.to.ecgrid_id == e)
                && begin.map_or(true, |b| i.created >= b)
                && end.map_or(true, |e| i.created <= e)
                && control.as_ref().map_or(true, |c| &i.header.control_id == c);
            keep.then_some((i, p))
        })
        .collect();
    let items: Vec<Value> = page
        .slice(&hits)
        .into_iter()
        .map(|(i, p)| interchange_json(i, p))
        .collect();
    Ok(ok(json!({
        "totalRecords": hits.len(),
        "pageNo": page.page_no,
        "recordsPerPage": page.records_per_page,
        "interchanges": items,
    })))
}

/// `POST /v2/interchanges/inbox-list`.
pub(crate) async fn inbox_list(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    list(&s, &headers, &f, Way::In).await
}

/// `POST /v2/interchanges/outbox-list`.
pub(crate) async fn outbox_list(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    list(&s, &headers, &f, Way::Out).await
}
