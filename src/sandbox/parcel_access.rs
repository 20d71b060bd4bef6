//! Who may see what: the caller's mailbox scope for parcel and interchange
//! reads, the one-parcel access check (another party's → 403, unknown →
//! 404), and the request fields every parcel endpoint reads under several
//! published names.

use super::auth::Caller;
use super::directory::Directory;
use super::envelope::{ApiError, Fields};
use super::parcel_store::{Parcel, ParcelStore};

/// The mailbox a list reads (always the caller's own; a filter naming
/// another party's network or mailbox is refused).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope {
    pub mailbox_id: i32,
}

/// Reads `networkId` and `mailboxId` (0 or absent = the caller's own).
pub(crate) fn scope(f: &Fields, c: &Caller, dir: &Directory) -> Result<Scope, ApiError> {
    if let Some(n) = f.opt_id("networkId")?.filter(|n| *n != 0) {
        if n != c.account.network_id {
            return Err(if dir.networks.contains_key(&n) {
                ApiError::access_denied(format!(
                    "field `networkId`: network {n} is not yours (yours is {})",
                    c.account.network_id
                ))
            } else {
                ApiError::not_found(format!("field `networkId`: network {n} does not exist"))
            });
        }
    }
    if let Some(m) = f.opt_id("mailboxId")?.filter(|m| *m != 0) {
        if m != c.account.mailbox_id {
            return Err(if dir.mailboxes.contains_key(&m) {
                ApiError::access_denied(format!(
                    "field `mailboxId`: mailbox {m} is not yours (yours is {})",
                    c.account.mailbox_id
                ))
            } else {
                ApiError::not_found(format!("field `mailboxId`: mailbox {m} does not exist"))
            });
        }
    }
    Ok(Scope {
        mailbox_id: c.account.mailbox_id,
    })
}

/// The parcel `id` if it is in the caller's mailbox.
pub(crate) fn visible_parcel<'a>(
    store: &'a ParcelStore,
    id: i64,
    c: &Caller,
) -> Result<&'a Parcel, ApiError> {
    let p = store
        .parcels
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("parcel {id} does not exist")))?;
    if p.owner().mailbox_id != c.account.mailbox_id {
        return Err(ApiError::access_denied(format!(
            "parcel {id} is not in your mailbox ({})",
            c.account.mailbox_id
        )));
    }
    Ok(p)
}

/// A path `{id}` as a positive integer.
pub(crate) fn path_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ApiError::invalid_parameter(format!(
                "path id '{raw}' must be a {what} id (a positive integer)"
            ))
        })
}

/// The first present of several published names of an integer field.
fn first_int(f: &Fields, names: &[&str], max: i64) -> Result<Option<i64>, ApiError> {
    for n in names {
        if let Some(v) = f.opt_int(n, 0..=max)? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// `parcelId` (or `id`), required.
pub(crate) fn parcel_id(f: &Fields) -> Result<i64, ApiError> {
    first_int(f, &["parcelId", "id"], i64::MAX)?
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ApiError::invalid_parameter("field `parcelId` is required (a positive integer)")
        })
}

/// `ecGridIdFrom` (or `fromECGridId`); 0 counts as absent.
pub(crate) fn ecgrid_from(f: &Fields) -> Result<Option<i32>, ApiError> {
    Ok(
        first_int(f, &["ecGridIdFrom", "fromECGridId"], i64::from(i32::MAX))?
            .filter(|n| *n != 0)
            .and_then(|n| i32::try_from(n).ok()),
    )
}

/// `ecGridIdTo` (or `toECGridId`); 0 counts as absent.
pub(crate) fn ecgrid_to(f: &Fields) -> Result<Option<i32>, ApiError> {
    Ok(
        first_int(f, &["ecGridIdTo", "toECGridId"], i64::from(i32::MAX))?
            .filter(|n| *n != 0)
            .and_then(|n| i32::try_from(n).ok()),
    )
}

/// `bytes` (or `size`).
pub(crate) fn declared_size(f: &Fields) -> Result<Option<i64>, ApiError> {
    first_int(f, &["bytes", "size"], i64::MAX)
}
