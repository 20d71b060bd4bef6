//! One parcel by id: download, confirm, reset, info.
//!
//! * `ParcelDownload(ParcelID)` → `POST download {parcelId}` → `FileInfo`
//!   with `Content` (the REST base64, passed through undecoded);
//!   `ParcelDownloadA` the same with `ContentBase64String`.
//! * `ParcelDownloadNoUpdate[A]` → `download {parcelId, noUpdate: true}`:
//!   the parcel's status is left as it is.
//! * `ParcelDownloadConfirm` → `POST confirm {parcelId}` → `true`.
//! * `ParcelDownloadReset` → `POST reset-to-inbox/{id}` → `true`.
//! * `ParcelInfo` → `GET /v2/parcels/{id}` → `ParcelIDInfo` with its
//!   status history in `Log`.
//!
//! A download does not take the parcel out of the inbox: only a confirm
//! does (the docs' re-delivery rule).

use crate::domain::Direction;
use crate::rest::Auth;
use crate::schema::responses::*;
use crate::schema::types::FileInfo;
use crate::soap::Fault;

use super::crossing::object_id;
use super::parcel_types::{file_info, parcel_id_info, ContentForm};
use super::Context;

/// Downloads a parcel as `FileInfo` in `form`.
async fn download(
    ctx: &Context,
    session_id: Option<&str>,
    parcel_id: i64,
    no_update: bool,
    form: ContentForm,
) -> Result<FileInfo, Fault> {
    let parcel_id = object_id("ParcelID", parcel_id)?;
    let downloaded = ctx
        .call_as(session_id, |auth: Auth| async move {
            ctx.rest.download_parcel(&auth, parcel_id, no_update).await
        })
        .await?;
    file_info(downloaded, form)
}

macro_rules! download_operation {
    ($(#[$meta:meta])* $name:ident($request:ident) -> $response:ident, no_update: $no_update:expr, $form:expr) => {
        operation! {
            $(#[$meta])*
            $name($request) -> $response,
            |req, ctx| {
                let file = download(ctx, req.session_id.as_deref(), req.parcel_id, $no_update, $form).await?;
                Ok($response { result: Some(file) })
            }
        }
    };
}

download_operation!(
    /// `ParcelDownload`: the file as `xs:base64Binary`.
    ParcelDownload(ParcelDownloadRequest) -> ParcelDownloadResponse,
    no_update: false, ContentForm::Binary
);
download_operation!(
    /// `ParcelDownloadA`: the file as a base64 `xs:string`.
    ParcelDownloadA(ParcelDownloadARequest) -> ParcelDownloadAResponse,
    no_update: false, ContentForm::Base64String
);
download_operation!(
    /// `ParcelDownloadNoUpdate`: the file, status unchanged.
    ParcelDownloadNoUpdate(ParcelDownloadNoUpdateRequest) -> ParcelDownloadNoUpdateResponse,
    no_update: true, ContentForm::Binary
);
download_operation!(
    /// `ParcelDownloadNoUpdateA`: the file as a string, status unchanged.
    ParcelDownloadNoUpdateA(ParcelDownloadNoUpdateARequest) -> ParcelDownloadNoUpdateAResponse,
    no_update: true, ContentForm::Base64String
);

operation! {
    /// `ParcelDownloadConfirm`: the file was saved; the parcel leaves the inbox.
    ParcelDownloadConfirm(ParcelDownloadConfirmRequest) -> ParcelDownloadConfirmResponse,
    |req, ctx| {
        let id = object_id("ParcelID", req.parcel_id)?;
        let confirmed = ctx
            .call_as(req.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.confirm_parcel(&auth, id).await
            })
            .await?;
        Ok(ParcelDownloadConfirmResponse { result: confirmed })
    }
}

operation! {
    /// `ParcelDownloadReset`: the parcel is waiting in the inbox again.
    ParcelDownloadReset(ParcelDownloadResetRequest) -> ParcelDownloadResetResponse,
    |req, ctx| {
        let id = object_id("ParcelID", req.parcel_id)?;
        let reset = ctx
            .call_as(req.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.reset_parcel(&auth, id).await
            })
            .await?;
        Ok(ParcelDownloadResetResponse { result: reset })
    }
}

operation! {
    /// `ParcelInfo`: a parcel and its status history.
    ParcelInfo(ParcelInfoRequest) -> ParcelInfoResponse,
    |req, ctx| {
        let id = object_id("ParcelID", req.parcel_id)?;
        let record = ctx
            .call_as(req.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.parcel(&auth, id).await
            })
            .await?;
        Ok(ParcelInfoResponse { result: Some(parcel_id_info(&record, Direction::InBox)?) })
    }
}
