//! The JSON records of docs/REST.md for parcels and interchanges, and the
//! download answer (written without copying the base64 through a JSON
//! value).

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::{json, Value};

use super::envelope::fmt_time;
use super::parcel_store::{Interchange, Parcel, Way};

/// The parcel record.
pub(crate) fn parcel_json(p: &Parcel) -> Value {
    let owner = p.owner();
    let history: Vec<Value> = p
        .history
        .iter()
        .map(|h| json!({"status": h.status, "date": fmt_time(h.date), "message": h.message}))
        .collect();
    json!({
        "parcelId": p.id,
        "mailboxId": owner.mailbox_id,
        "networkId": owner.network_id,
        "fileName": p.file_name,
        "bytes": p.bytes,
        "status": p.status(),
        "ecGridIdFrom": p.from.ecgrid_id,
        "ecGridIdTo": p.to.ecgrid_id,
        "created": fmt_time(p.created),
        "modified": fmt_time(p.modified()),
        "direction": match p.way { Way::Out => "OutBox", Way::In => "InBox" },
        "networkIdFrom": p.from.network_id,
        "networkNameFrom": p.from.network_name,
        "mailboxIdFrom": p.from.mailbox_id,
        "mailboxNameFrom": p.from.mailbox_name,
        "networkIdTo": p.to.network_id,
        "networkNameTo": p.to.network_name,
        "mailboxIdTo": p.to.mailbox_id,
        "mailboxNameTo": p.to.mailbox_name,
        "standard": p.standard,
        "mailbagControlId": "",
        "interchangeId": p.interchange_id,
        "statusMessage": p.history.last().map(|h| h.message.as_str()).unwrap_or(""),
        "downloadCount": p.download_count,
        "statusHistory": history,
    })
}

/// The interchange record, seen from the parcel `side` of the caller.
pub(crate) fn interchange_json(i: &Interchange, side: &Parcel) -> Value {
    let h = &i.header;
    json!({
        "interchangeId": i.id,
        "parcelId": side.id,
        "sender": h.sender.id,
        "receiver": h.receiver.id,
        "standard": h.standard.as_str(),
        "documentType": h.document_type,
        "status": "Active",
        "created": fmt_time(i.created),
        "senderQualifier": h.sender.qualifier,
        "receiverQualifier": h.receiver.qualifier,
        "ecGridIdFrom": i.from.ecgrid_id,
        "ecGridIdTo": i.to.ecgrid_id,
        "networkIdFrom": i.from.network_id,
        "mailboxIdFrom": i.from.mailbox_id,
        "networkIdTo": i.to.network_id,
        "mailboxIdTo": i.to.mailbox_id,
        "interchangeControlId": h.control_id,
        "interchangeDateTime": h.date_time.map(fmt_time),
        "bytes": i.bytes,
        "header": h.header,
        "parcelStatus": side.status(),
    })
}

/// The download answer: the envelope with `data` = `{parcelId, fileName,
/// content, bytes, contentEncoding, fileDate, standard, status}`, the
/// base64 encoded straight into the response body.
pub(crate) fn download_response(p: &Parcel, content: &[u8]) -> Response {
    let meta = json!({
        "parcelId": p.id,
        "fileName": p.file_name,
        "bytes": content.len(),
        "contentEncoding": "Base64",
        "fileDate": fmt_time(p.created),
        "standard": p.standard,
        "status": p.status(),
    })
    .to_string();
    // `meta` is `{...}`: reopen it to append `content`.
    let meta = meta.strip_suffix('}').unwrap_or(&meta);
    let engine = base64::engine::general_purpose::STANDARD;
    let b64_len = base64::encoded_len(content.len(), true).unwrap_or(0);
    let head = format!("{{\"success\":true,\"data\":{meta},\"content\":\"");
    let tail = b"\"},\"errorCode\":\"\",\"message\":\"\"}";
    let mut body = Vec::with_capacity(head.len() + b64_len + tail.len());
    body.extend_from_slice(head.as_bytes());
    let start = body.len();
    body.resize(start + b64_len, 0);
    let written = engine
        .encode_slice(content, &mut body[start..])
        .unwrap_or(0);
    body.truncate(start + written);
    body.extend_from_slice(tail);
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::OK;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::parcel_store::{NewUpload, ParcelStore, Side};

    #[test]
    fn the_download_answer_is_the_envelope_with_the_base64() {
        let side = |n: i32| Side {
            ecgrid_id: n,
            network_id: n,
            network_name: "n\"q".into(),
            mailbox_id: n,
            mailbox_name: "m".into(),
        };
        let mut s = ParcelStore::new(1 << 20);
        let ids = s.store(
            NewUpload {
                file_name: "a \"b\".edi".into(),
                content: b"hello\0world".to_vec(),
                standard: "Binary",
                header: None,
                from: side(1),
                to: side(2),
            },
            time::OffsetDateTime::UNIX_EPOCH,
        );
        let p = &s.parcels[&ids.inbound];
        let r = download_response(p, b"hello\0world");
        let body = futures_body(r);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["success"], true);
        assert_eq!(v["data"]["fileName"], "a \"b\".edi");
        assert_eq!(v["data"]["content"], "aGVsbG8Ad29ybGQ=");
        assert_eq!(v["data"]["bytes"], 11);
        assert_eq!(v["errorCode"], "");
        assert_eq!(parcel_json(p)["statusHistory"][0]["status"], "InBoxReady");
    }

    fn futures_body(r: Response) -> Vec<u8> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            axum::body::to_bytes(r.into_body(), usize::MAX)
                .await
                .unwrap()
                .to_vec()
        })
    }
}
