//! Directory reads: mailboxes (the caller's network), networks and
//! trading-partner IDs (a public directory).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use super::envelope::{ok, ApiError, Fields, JsonFields, Page};
use super::parcel_access::path_id;
use super::state::Shared;
use crate::domain::Status;

/// Default `recordsPerPage` of mailbox and network lists (the reference's).
const DIRECTORY_PAGE_DEFAULT: usize = 25;

fn small_id(raw: &str, what: &str) -> Result<i32, ApiError> {
    let id = path_id(raw, what)?;
    i32::try_from(id).map_err(|_| ApiError::not_found(format!("{what} {id} does not exist")))
}

/// The `name` filter (case-insensitive substring of any of `names`).
fn name_matches(filter: &Option<String>, names: &[&str]) -> bool {
    match filter {
        None => true,
        Some(f) => {
            let f = f.trim().to_ascii_lowercase();
            f.is_empty() || names.iter().any(|n| n.to_ascii_lowercase().contains(&f))
        }
    }
}

/// Every directory object is `Active`: a `status` filter of another value
/// matches nothing.
fn status_matches(f: &Fields) -> Result<bool, ApiError> {
    Ok(f.opt_enum::<Status>("status")?
        .map_or(true, |s| s == Status::Active))
}

/// `GET /v2/mailboxes/{id}`.
pub(crate) async fn get_mailbox(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let c = s.authenticate(&headers)?;
    let id = small_id(&raw, "mailbox")?;
    let m = s
        .directory
        .mailboxes
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("mailbox {id} does not exist")))?;
    if m.network_id != c.account.network_id {
        return Err(ApiError::access_denied(format!(
            "mailbox {id} is in network {}, not yours ({})",
            m.network_id, c.account.network_id
        )));
    }
    Ok(ok(s.directory.mailbox_json(m)))
}

/// `POST /v2/mailboxes/list`.
pub(crate) async fn list_mailboxes(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let c = s.authenticate(&headers)?;
    let own = c.account.network_id;
    if let Some(n) = f.opt_id("networkId")?.filter(|n| *n != 0 && *n != own) {
        return Err(if s.directory.networks.contains_key(&n) {
            ApiError::access_denied(format!(
                "field `networkId`: network {n} is not yours (yours is {own})"
            ))
        } else {
            ApiError::not_found(format!("field `networkId`: network {n} does not exist"))
        });
    }
    let page = Page::with_default(&f, DIRECTORY_PAGE_DEFAULT)?;
    let name = f.opt_str("name")?;
    let active = status_matches(&f)?;
    let items: Vec<Value> = s
        .directory
        .mailboxes
        .values()
        .filter(|m| active && m.network_id == own)
        .filter(|m| name_matches(&name, &[&m.name, &m.company]))
        .map(|m| s.directory.mailbox_json(m))
        .collect();
    Ok(ok(page.listing("mailboxes", &items)))
}

/// `GET /v2/networks/{id}`.
pub(crate) async fn get_network(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    s.authenticate(&headers)?;
    let id = small_id(&raw, "network")?;
    let n = s
        .directory
        .networks
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("network {id} does not exist")))?;
    Ok(ok(s.directory.network_json(n)))
}

/// `POST /v2/networks/list`.
pub(crate) async fn list_networks(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    s.authenticate(&headers)?;
    let page = Page::with_default(&f, DIRECTORY_PAGE_DEFAULT)?;
    let network = f.opt_id("networkId")?.filter(|n| *n != 0);
    let mailbox_network = f.opt_id("mailboxId")?.filter(|m| *m != 0).map(|m| {
        s.directory
            .mailboxes
            .get(&m)
            .map(|x| x.network_id)
            .unwrap_or(-1)
    });
    let name = f.opt_str("name")?;
    let active = status_matches(&f)?;
    let items: Vec<Value> = s
        .directory
        .networks
        .values()
        .filter(|n| active && network.map_or(true, |x| x == n.id))
        .filter(|n| mailbox_network.map_or(true, |x| x == n.id))
        .filter(|n| name_matches(&name, &[&n.name, &n.company]))
        .map(|n| s.directory.network_json(n))
        .collect();
    Ok(ok(page.listing("networks", &items)))
}

/// `GET /v2/ids/{id}`.
pub(crate) async fn get_id(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    s.authenticate(&headers)?;
    let id = small_id(&raw, "ECGrid")?;
    let t = s
        .directory
        .ids
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("ECGrid ID {id} does not exist")))?;
    Ok(ok(s.directory.id_json(t)))
}

fn find(s: &Shared, f: &Fields) -> Result<Response, ApiError> {
    let id = f.req_str("id")?;
    let qualifier = f.opt_str("qualifier")?.unwrap_or_default();
    f.opt_bool("showInactive")?;
    let items: Vec<Value> = s
        .directory
        .search(&qualifier, &id)
        .into_iter()
        .map(|t| s.directory.id_json(t))
        .collect();
    Ok(ok(items))
}

/// `POST /v2/ids/find {qualifier, id, showInactive?}`.
pub(crate) async fn find_id(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    s.authenticate(&headers)?;
    find(&s, &f)
}

/// `GET /v2/ids/find?qualifier=&id=` (as `send-edi-to-trading-partner.md`
/// calls it); `showInactive` as `true`/`false`.
pub(crate) async fn find_id_query(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    s.authenticate(&headers)?;
    let mut f = Fields::from_query(q.as_deref());
    f = Fields::parse(
        serde_json::json!({
            "id": f.opt_str("id")?,
            "qualifier": f.opt_str("qualifier")?,
            "showInactive": match f.opt_str("showInactive")?.as_deref().map(str::trim) {
                None => None,
                Some(v) if v.eq_ignore_ascii_case("true") => Some(true),
                Some(v) if v.eq_ignore_ascii_case("false") => Some(false),
                Some(v) => return Err(ApiError::invalid_parameter(format!(
                    "query `showInactive` must be true or false (got '{v}')"
                ))),
            },
        })
        .to_string()
        .as_bytes(),
    )?;
    find(&s, &f)
}
