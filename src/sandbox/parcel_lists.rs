//! Parcel lists: `inbox-list`, `outbox-list` (paged) and
//! `pending-inbox-list` (a bare array, as published), of the caller's
//! mailbox only.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::envelope::{ok, ApiError, Fields, JsonFields, Page};
use super::parcel_access::{ecgrid_from, ecgrid_to, scope};
use super::parcel_json::parcel_json;
use super::parcel_status::{parse_status, status, PARCEL_STATUS_NAMES};
use super::parcel_store::{Parcel, Way};
use super::state::{lock, Shared};

/// Default `recordsPerPage` of parcel lists (the reference's).
const PARCEL_PAGE_DEFAULT: usize = 25;

/// The filters of a parcel list request.
struct Filter {
    mailbox_id: i32,
    way: Way,
    from: Option<i32>,
    to: Option<i32>,
    status: Option<&'static str>,
    begin: Option<OffsetDateTime>,
    end: Option<OffsetDateTime>,
    /// A non-empty `mailbagControlId` matches nothing (the sandbox has none).
    mailbag: bool,
}

impl Filter {
    fn read(f: &Fields, mailbox_id: i32, way: Way) -> Result<Filter, ApiError> {
        let status = match f.opt_str("status")? {
            None => None,
            Some(raw) if raw.trim().is_empty() => None,
            Some(raw) => Some(parse_status(&raw).ok_or_else(|| {
                ApiError::invalid_parameter(format!(
                    "field `status`: '{raw}' is not a valid ParcelStatus; accepted values: {}",
                    PARCEL_STATUS_NAMES.join(", ")
                ))
            })?),
        };
        Ok(Filter {
            mailbox_id,
            way,
            from: ecgrid_from(f)?,
            to: ecgrid_to(f)?,
            status,
            begin: f.opt_datetime("beginDate", false)?,
            end: f.opt_datetime("endDate", true)?,
            mailbag: f
                .opt_str("mailbagControlId")?
                .is_some_and(|m| !m.trim().is_empty()),
        })
    }

    fn matches(&self, p: &Parcel) -> bool {
        p.way == self.way
            && p.owner().mailbox_id == self.mailbox_id
            && self.from.map_or(true, |e| p.from.ecgrid_id == e)
            && self.to.map_or(true, |e| p.to.ecgrid_id == e)
            && self.status.map_or(true, |s| p.status() == s)
            && self.begin.map_or(true, |b| p.created >= b)
            && self.end.map_or(true, |e| p.created <= e)
            && !self.mailbag
    }
}

/// The matching parcels' records, all of them or one page (with totals).
fn matching(s: &Shared, filter: &Filter, page: Option<Page>) -> Value {
    let store = lock(&s.parcels);
    let hits: Vec<&Parcel> = store
        .parcels
        .values()
        .filter(|p| filter.matches(p))
        .collect();
    match page {
        None => Value::Array(hits.into_iter().map(parcel_json).collect()),
        Some(page) => json!({
            "totalRecords": hits.len(),
            "pageNo": page.page_no,
            "recordsPerPage": page.records_per_page,
            "parcels": page.slice(&hits).into_iter().map(parcel_json).collect::<Vec<_>>(),
        }),
    }
}

async fn paged_list(
    s: &Shared,
    headers: &HeaderMap,
    f: &Fields,
    way: Way,
) -> Result<Response, ApiError> {
    let c = s.authenticate(headers)?;
    let sc = scope(f, &c, &s.directory)?;
    let page = Page::with_default(f, PARCEL_PAGE_DEFAULT)?;
    let filter = Filter::read(f, sc.mailbox_id, way)?;
    Ok(ok(matching(s, &filter, Some(page))))
}

/// `POST /v2/parcels/inbox-list`.
pub(crate) async fn inbox_list(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    paged_list(&s, &headers, &f, Way::In).await
}

/// `POST /v2/parcels/outbox-list`.
pub(crate) async fn outbox_list(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    paged_list(&s, &headers, &f, Way::Out).await
}

/// `POST /v2/parcels/pending-inbox-list`: every `InBoxReady` parcel of the
/// caller's mailbox (a page of them when `pageNo`/`recordsPerPage` is given).
pub(crate) async fn pending_inbox_list(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let c = s.authenticate(&headers)?;
    let sc = scope(&f, &c, &s.directory)?;
    let paged = f.has("pageNo") || f.has("recordsPerPage");
    let page = Page::with_default(&f, PARCEL_PAGE_DEFAULT)?;
    let filter = Filter {
        mailbox_id: sc.mailbox_id,
        way: Way::In,
        from: None,
        to: None,
        status: Some(status::INBOX_READY),
        begin: None,
        end: None,
        mailbag: false,
    };
    let answer = match matching(&s, &filter, paged.then_some(page)) {
        Value::Object(mut m) => m.remove("parcels").unwrap_or(Value::Array(Vec::new())),
        all => all,
    };
    Ok(ok(answer))
}
