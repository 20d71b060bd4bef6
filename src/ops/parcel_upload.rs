//! Uploads: `ParcelUpload(FileName, Bytes, Content)`, `ParcelUploadA(FileName,
//! ContentBase64)`, `ParcelUploadEx(NetworkID, MailboxID, FileName, Bytes,
//! Content)` (v3.2 adds `ECGridIDFrom`, `ECGridIDTo`) and
//! `ParcelUploadExA(NetworkID, MailboxID, FileName, ContentBase64)` →
//! `POST /v2/parcels/upload {fileName, content, bytes, …}` → the new parcel
//! id (an `xs:int` in the WSDL).
//!
//! The upstream routes the file (by `ecGridIdTo`, else the interchange
//! header) and refuses one it cannot route with a 400, an InvalidParameter
//! fault here. Before calling, the gateway checks what it can name better:
//! a file name, content that is base64, and `Bytes` (when given, i.e. not 0)
//! equal to the decoded size. The base64 text goes upstream as the client
//! sent it (line breaks dropped), never decoded, and never copied: the
//! generated reader moves it out of the envelope's parameters, and the one
//! copy made is the REST request's JSON (`bench/parcel_rss.py`).

use crate::rest::parcels::UploadParcel;
use crate::rest::Auth;
use crate::schema::responses::*;
use crate::schema::Base64;
use crate::soap::Fault;

use super::crossing::scope;
use super::Context;

/// What an upload sends, however the client spelled it.
struct Upload<'a> {
    session_id: Option<&'a str>,
    file_name: Option<&'a str>,
    /// The client's `Bytes` (0 = not given).
    bytes: i32,
    content: Base64,
    network_id: i32,
    mailbox_id: i32,
    ecgrid_id_from: i32,
    ecgrid_id_to: i32,
}

impl<'a> Upload<'a> {
    /// An upload from the caller's own mailbox (no network, mailbox or
    /// ECGrid IDs given).
    fn from_own_mailbox(
        session_id: Option<&'a str>,
        file_name: Option<&'a str>,
        bytes: i32,
        content: Base64,
    ) -> Self {
        Upload {
            session_id,
            file_name,
            bytes,
            content,
            network_id: 0,
            mailbox_id: 0,
            ecgrid_id_from: 0,
            ecgrid_id_to: 0,
        }
    }
}

/// The content in whichever parameter the client used: `Content`
/// (`xs:base64Binary`) or `ContentBase64` (a base64 `xs:string`, checked
/// here in place).
fn content(binary: Option<Base64>, text: Option<String>) -> Result<Base64, Fault> {
    match (binary, text) {
        (Some(content), _) => Ok(content),
        (None, Some(text)) => Base64::from_text("ContentBase64", text),
        (None, None) => Err(Fault::invalid(
            "parameter Content is required: the file, base64-encoded",
        )),
    }
}

async fn upload(ctx: &Context, upload: Upload<'_>) -> Result<i32, Fault> {
    let file_name = upload
        .file_name
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| Fault::invalid("parameter FileName is required: the file's name"))?;
    let decoded = upload.content.decoded_len();
    let bytes = match upload.bytes {
        0 => None,
        given if i64::from(given) == decoded as i64 => Some(i64::from(given)),
        given => {
            return Err(Fault::invalid(format!(
                "parameter Bytes is {given} but Content decodes to {decoded} bytes"
            )))
        }
    };
    let body = UploadParcel {
        file_name,
        content: upload.content.as_str(),
        bytes,
        ecgrid_id_from: scope("ECGridIDFrom", upload.ecgrid_id_from)?,
        ecgrid_id_to: scope("ECGridIDTo", upload.ecgrid_id_to)?,
        mailbox_id: scope("MailboxID", upload.mailbox_id)?,
        network_id: scope("NetworkID", upload.network_id)?,
    };
    let body = &body;
    let parcel_id = ctx
        .call_as(upload.session_id, |auth: Auth| async move {
            ctx.rest.upload_parcel(&auth, body).await
        })
        .await?;
    i32::try_from(parcel_id).map_err(|_| {
        Fault::server(format!(
            "the upstream's parcel id {parcel_id} does not fit the WSDL's int ParcelUploadResult"
        ))
    })
}

operation! {
    /// `ParcelUpload`: send a file from the caller's mailbox.
    ParcelUpload(ParcelUploadRequest) -> ParcelUploadResponse,
    |req, ctx| {
        let content = content(req.content, None)?;
        let sent = Upload::from_own_mailbox(
            req.session_id.as_deref(), req.file_name.as_deref(), req.bytes, content,
        );
        let result = upload(ctx, sent).await?;
        Ok(ParcelUploadResponse { result })
    }
}

operation! {
    /// `ParcelUploadA`: `ParcelUpload` with the file as a base64 string.
    ParcelUploadA(ParcelUploadARequest) -> ParcelUploadAResponse,
    |req, ctx| {
        let content = content(None, req.content_base64)?;
        let sent = Upload::from_own_mailbox(
            req.session_id.as_deref(), req.file_name.as_deref(), 0, content,
        );
        let result = upload(ctx, sent).await?;
        Ok(ParcelUploadAResponse { result })
    }
}

operation! {
    /// `ParcelUploadEx`: send a file from a named mailbox (v3.2: and IDs).
    ParcelUploadEx(ParcelUploadExRequest) -> ParcelUploadExResponse,
    |req, ctx| {
        let content = content(req.content, None)?;
        let result = upload(ctx, Upload {
            network_id: req.network_id,
            mailbox_id: req.mailbox_id,
            ecgrid_id_from: req.ecgrid_id_from,
            ecgrid_id_to: req.ecgrid_id_to,
            ..Upload::from_own_mailbox(
                req.session_id.as_deref(), req.file_name.as_deref(), req.bytes, content,
            )
        }).await?;
        Ok(ParcelUploadExResponse { result })
    }
}

operation! {
    /// `ParcelUploadExA`: `ParcelUploadEx` with the file as a base64 string
    /// (v3.2's `Bytes`/`Content` form accepted too).
    ParcelUploadExA(ParcelUploadExARequest) -> ParcelUploadExAResponse,
    |req, ctx| {
        let content = content(req.content, req.content_base64)?;
        let result = upload(ctx, Upload {
            network_id: req.network_id,
            mailbox_id: req.mailbox_id,
            ..Upload::from_own_mailbox(
                req.session_id.as_deref(), req.file_name.as_deref(), req.bytes, content,
            )
        }).await?;
        Ok(ParcelUploadExAResponse { result })
    }
}
