//! REST v2 parcel endpoints (`docs/REST.md`, "Parcel endpoints"): upload,
//! download, confirm, reset-to-inbox, get, inbox-list, outbox-list,
//! pending-inbox-list.
//!
//! The published variants of a field name (`ecGridIdFrom` /
//! `fromECGridId`, `bytes` / `size`, `parcelId` / `id`) are read as separate
//! optional fields with one accessor each, as in `callbacks`: serde's
//! `alias` refuses a record that carries both. Lists are read whether the
//! upstream answers the paged object or the bare array the reference shows;
//! an upload's answer whether it is the number or the object of
//! `upload-a-file.md`. The file travels as base64 text both ways and is
//! never decoded here.

use std::borrow::Cow;
use std::ops::Range;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::client::{Auth, RestClient, SplicedBody};
use super::error::RestError;
use super::paging::ListPage;
use super::timestamp;

/// Largest answer a download may have: a 64 MiB file is about 85.4 MiB of
/// base64, plus the record around it.
pub const MAX_DOWNLOAD_ANSWER_BYTES: usize = 100 * 1024 * 1024;

/// One entry of a parcel's status history *(ext)*.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct StatusEntry {
    /// A `ParcelStatus` name.
    pub status: Option<String>,
    /// When.
    #[serde(deserialize_with = "timestamp::option")]
    pub date: Option<OffsetDateTime>,
    /// What happened.
    pub message: Option<String>,
}

/// A parcel record (`ParcelIDInfo` in the reference).
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ParcelRecord {
    /// `parcelId`.
    pub parcel_id: Option<i64>,
    /// `id`, the path form's name for the same id.
    pub id: Option<i64>,
    /// The mailbox the parcel is in.
    pub mailbox_id: Option<i32>,
    /// The network the parcel is in.
    pub network_id: Option<i32>,
    /// `fileName`.
    pub file_name: Option<String>,
    /// `bytes`.
    pub bytes: Option<i64>,
    /// `size`, the guides' name for `bytes`.
    pub size: Option<i64>,
    /// A `ParcelStatus` name.
    pub status: Option<String>,
    /// `ecGridIdFrom`.
    #[serde(rename = "ecGridIdFrom")]
    pub ecgrid_id_from: Option<i32>,
    /// `fromECGridId`, the guides' name.
    #[serde(rename = "fromECGridId")]
    pub from_ecgrid_id: Option<i32>,
    /// `ecGridIdTo`.
    #[serde(rename = "ecGridIdTo")]
    pub ecgrid_id_to: Option<i32>,
    /// `toECGridId`, the guides' name.
    #[serde(rename = "toECGridId")]
    pub to_ecgrid_id: Option<i32>,
    /// When the parcel was created.
    #[serde(deserialize_with = "timestamp::option")]
    pub created: Option<OffsetDateTime>,
    /// When its status last changed.
    #[serde(deserialize_with = "timestamp::option")]
    pub modified: Option<OffsetDateTime>,
    /// *(ext)* `InBox` or `OutBox`.
    pub direction: Option<String>,
    /// *(ext)* Sender's network.
    pub network_id_from: Option<i32>,
    /// *(ext)* Sender's network name.
    pub network_name_from: Option<String>,
    /// *(ext)* Sender's mailbox.
    pub mailbox_id_from: Option<i32>,
    /// *(ext)* Sender's mailbox name.
    pub mailbox_name_from: Option<String>,
    /// *(ext)* Recipient's network.
    pub network_id_to: Option<i32>,
    /// *(ext)* Recipient's network name.
    pub network_name_to: Option<String>,
    /// *(ext)* Recipient's mailbox.
    pub mailbox_id_to: Option<i32>,
    /// *(ext)* Recipient's mailbox name.
    pub mailbox_name_to: Option<String>,
    /// *(ext)* An `EDIStandard` name.
    pub standard: Option<String>,
    /// *(ext)* Mailbag control id.
    pub mailbag_control_id: Option<String>,
    /// *(ext)* The interchange the file carries.
    pub interchange_id: Option<i64>,
    /// *(ext)* The latest history entry's message.
    pub status_message: Option<String>,
    /// *(ext)* Every status the parcel has had, oldest first.
    pub status_history: Option<Vec<StatusEntry>>,
}

impl ParcelRecord {
    /// The parcel id under either published name.
    pub fn parcel_id(&self) -> Option<i64> {
        self.parcel_id.or(self.id)
    }

    /// The size under either published name.
    pub fn bytes(&self) -> Option<i64> {
        self.bytes.or(self.size)
    }

    /// The sender's ECGrid ID under either published name.
    pub fn ecgrid_id_from(&self) -> Option<i32> {
        self.ecgrid_id_from.or(self.from_ecgrid_id)
    }

    /// The recipient's ECGrid ID under either published name.
    pub fn ecgrid_id_to(&self) -> Option<i32> {
        self.ecgrid_id_to.or(self.to_ecgrid_id)
    }
}

/// A page of parcels: the paged object, or the reference's bare array.
#[derive(Deserialize, Debug)]
#[serde(untagged)]
pub enum ParcelPage {
    /// `{totalRecords, pageNo, recordsPerPage, parcels}`.
    Paged(PagedParcels),
    /// `[parcel, …]`.
    Bare(Vec<ParcelRecord>),
}

/// The paged form of a parcel list.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PagedParcels {
    /// Matching parcels across all pages.
    pub total_records: Option<i64>,
    /// This page's number (1-based).
    pub page_no: Option<i64>,
    /// The page size used.
    pub records_per_page: Option<i64>,
    /// This page's parcels.
    pub parcels: Vec<ParcelRecord>,
}

impl ListPage for ParcelPage {
    type Item = ParcelRecord;
    fn into_parts(self) -> (Vec<ParcelRecord>, Option<u64>) {
        let (parcels, total, _, _) = self.into_page();
        (parcels, total.and_then(|t| u64::try_from(t).ok()))
    }
}

impl ParcelPage {
    /// `(parcels, total records, page number, page size)`; a bare array is
    /// one whole page.
    pub fn into_page(self) -> (Vec<ParcelRecord>, Option<i64>, Option<i64>, Option<i64>) {
        match self {
            ParcelPage::Paged(page) => (
                page.parcels,
                page.total_records,
                page.page_no,
                page.records_per_page,
            ),
            ParcelPage::Bare(parcels) => (parcels, None, None, None),
        }
    }
}

/// The filter of `inbox-list` and `outbox-list`; `None` fields are not
/// sent (the upstream's default applies).
#[derive(Serialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ParcelFilter {
    /// Mailbox (absent = the caller's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox_id: Option<i32>,
    /// *(ext)* Network (absent = the caller's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_id: Option<i32>,
    /// Sender's ECGrid ID.
    #[serde(rename = "ecGridIdFrom", skip_serializing_if = "Option::is_none")]
    pub ecgrid_id_from: Option<i32>,
    /// Recipient's ECGrid ID.
    #[serde(rename = "ecGridIdTo", skip_serializing_if = "Option::is_none")]
    pub ecgrid_id_to: Option<i32>,
    /// One `ParcelStatus` name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Created on or after (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub begin_date: Option<String>,
    /// Created on or before (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// *(ext)* Mailbag control id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbag_control_id: Option<String>,
    /// Page number (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_no: Option<u32>,
    /// Page size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records_per_page: Option<u32>,
}

/// `POST /v2/parcels/upload`.
#[derive(Serialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UploadParcel<'a> {
    /// The file's name.
    pub file_name: &'a str,
    /// The file, base64: sent in front of the other fields, written from
    /// this text itself (`RestClient::post_spliced`), so not serialized
    /// with them.
    #[serde(skip)]
    pub content: &'a str,
    /// The decoded size, when the client said it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<i64>,
    /// Sender's ECGrid ID (must be the caller's).
    #[serde(rename = "ecGridIdFrom", skip_serializing_if = "Option::is_none")]
    pub ecgrid_id_from: Option<i32>,
    /// Recipient's ECGrid ID (overrides the interchange header).
    #[serde(rename = "ecGridIdTo", skip_serializing_if = "Option::is_none")]
    pub ecgrid_id_to: Option<i32>,
    /// Mailbox to send from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox_id: Option<i32>,
    /// *(ext)* Network to send from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_id: Option<i32>,
}

/// An upload's answer: the new parcel id, bare or in an object.
#[derive(Deserialize, Debug)]
#[serde(untagged)]
enum UploadAnswer {
    Id(i64),
    Object {
        #[serde(rename = "parcelId", alias = "id")]
        parcel_id: i64,
    },
}

/// A download's answer.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct DownloadedParcel {
    /// `parcelId`.
    pub parcel_id: Option<i64>,
    /// `fileName`.
    pub file_name: Option<String>,
    /// The file, base64 (passed to the SOAP answer as it is).
    pub content: Option<String>,
    /// `bytes`.
    pub bytes: Option<i64>,
    /// `size`, the guides' name.
    pub size: Option<i64>,
    /// *(ext)* When the file arrived.
    #[serde(deserialize_with = "timestamp::option")]
    pub file_date: Option<OffsetDateTime>,
    /// *(ext)* An `EDIStandard` name.
    pub standard: Option<String>,
}

/// A download's answer as read: `content` borrowed from the answer's bytes
/// (owned only when the JSON escapes something, which base64 never needs).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct DownloadAnswer<'a> {
    parcel_id: Option<i64>,
    file_name: Option<String>,
    #[serde(borrow)]
    content: Option<BorrowedText<'a>>,
    bytes: Option<i64>,
    size: Option<i64>,
    #[serde(deserialize_with = "timestamp::option")]
    file_date: Option<OffsetDateTime>,
    standard: Option<String>,
}

/// A JSON string borrowed from the answer when it has no escapes (serde
/// borrows a `Cow` only as a field of its own, not inside an `Option`).
#[derive(Deserialize, Default)]
struct BorrowedText<'a>(#[serde(borrow)] Cow<'a, str>);

/// Where `text`, a slice of `whole`, lies in it.
fn range_in(whole: &[u8], text: &str) -> Range<usize> {
    let start = (text.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize);
    start..start + text.len()
}

/// The answer's bytes in `range` as a `String`, made from the answer's own
/// buffer (moved to its front, the rest dropped) rather than copied into a
/// new one: a 50 MiB download is then held once as JSON and once in the
/// SOAP answer, not three times (`bench/parcel_rss.py`).
fn text_in_place(answer: Bytes, range: Range<usize>) -> Option<String> {
    if range.end > answer.len() {
        return None;
    }
    let mut buffer = Vec::from(answer);
    buffer.truncate(range.end);
    buffer.drain(..range.start);
    String::from_utf8(buffer).ok()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ParcelIdBody {
    parcel_id: i64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    no_update: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MailboxBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    mailbox_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    network_id: Option<i32>,
}

impl RestClient {
    /// `POST /v2/parcels/upload` → the outbound parcel id.
    pub async fn upload_parcel(
        &self,
        auth: &Auth,
        upload: &UploadParcel<'_>,
    ) -> Result<i64, RestError> {
        let body = SplicedBody {
            key: "content",
            text: upload.content,
            rest: upload,
        };
        let answer: UploadAnswer = self
            .post_spliced("/v2/parcels/upload", auth, &body, 1024 * 1024)
            .await?;
        Ok(match answer {
            UploadAnswer::Id(id) | UploadAnswer::Object { parcel_id: id } => id,
        })
    }

    /// `POST /v2/parcels/download {parcelId, noUpdate}`.
    pub async fn download_parcel(
        &self,
        auth: &Auth,
        parcel_id: i64,
        no_update: bool,
    ) -> Result<DownloadedParcel, RestError> {
        let body = ParcelIdBody {
            parcel_id,
            no_update,
        };
        let (status, answer) = self
            .post_large_answer(
                "/v2/parcels/download",
                auth,
                &body,
                64,
                MAX_DOWNLOAD_ANSWER_BYTES,
            )
            .await?;
        let read: DownloadAnswer<'_> = self.decode_answer(status, &answer)?;
        let DownloadAnswer {
            parcel_id,
            file_name,
            content,
            bytes,
            size,
            file_date,
            standard,
        } = read;
        let (content, range) = match content.map(|text| text.0) {
            Some(Cow::Borrowed(text)) => (None, Some(range_in(&answer, text))),
            Some(Cow::Owned(text)) => (Some(text), None),
            None => (None, None),
        };
        let content = match range {
            Some(range) => {
                Some(
                    text_in_place(answer, range).ok_or_else(|| RestError::BadResponse {
                        upstream: self.base().to_string(),
                        reason: "the download's content is not text".to_string(),
                    })?,
                )
            }
            None => content,
        };
        Ok(DownloadedParcel {
            parcel_id,
            file_name,
            content,
            bytes,
            size,
            file_date,
            standard,
        })
    }

    /// `POST /v2/parcels/confirm {parcelId}` → whether it was confirmed.
    pub async fn confirm_parcel(&self, auth: &Auth, parcel_id: i64) -> Result<bool, RestError> {
        let body = ParcelIdBody {
            parcel_id,
            no_update: false,
        };
        self.post("/v2/parcels/confirm", auth, Some(&body)).await
    }

    /// `POST /v2/parcels/reset-to-inbox/{id}` → whether it was reset.
    pub async fn reset_parcel(&self, auth: &Auth, parcel_id: i64) -> Result<bool, RestError> {
        self.post(
            &format!("/v2/parcels/reset-to-inbox/{parcel_id}"),
            auth,
            None::<&()>,
        )
        .await
    }

    /// `GET /v2/parcels/{id}`.
    pub async fn parcel(&self, auth: &Auth, parcel_id: i64) -> Result<ParcelRecord, RestError> {
        self.get(&format!("/v2/parcels/{parcel_id}"), auth).await
    }

    /// `POST /v2/parcels/pending-inbox-list {mailboxId?, networkId?}`: every
    /// parcel waiting in the inbox.
    pub async fn pending_inbox(
        &self,
        auth: &Auth,
        mailbox_id: Option<i32>,
        network_id: Option<i32>,
    ) -> Result<Vec<ParcelRecord>, RestError> {
        let body = MailboxBody {
            mailbox_id,
            network_id,
        };
        let page: ParcelPage = self
            .post("/v2/parcels/pending-inbox-list", auth, Some(&body))
            .await?;
        Ok(page.into_page().0)
    }

    /// One page of `POST /v2/parcels/{inbox,outbox}-list`.
    pub async fn parcel_page(
        &self,
        auth: &Auth,
        box_: ParcelBox,
        filter: &ParcelFilter,
    ) -> Result<ParcelPage, RestError> {
        self.post(box_.list_path(), auth, Some(filter)).await
    }

    /// Every parcel of a list, page by page (`paging`); `filter`'s own page
    /// fields are left unset.
    pub async fn parcel_list_all(
        &self,
        auth: &Auth,
        box_: ParcelBox,
        filter: &ParcelFilter,
    ) -> Result<Vec<ParcelRecord>, RestError> {
        let filter = ParcelFilter {
            page_no: None,
            records_per_page: None,
            ..filter.clone()
        };
        self.list_all::<ParcelPage, _>(box_.list_path(), auth, &filter)
            .await
    }
}

/// Which side of a mailbox a parcel list reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParcelBox {
    /// Inbound parcels.
    InBox,
    /// Outbound parcels.
    OutBox,
}

impl ParcelBox {
    fn list_path(self) -> &'static str {
        match self {
            ParcelBox::InBox => "/v2/parcels/inbox-list",
            ParcelBox::OutBox => "/v2/parcels/outbox-list",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parcel_record_reads_every_published_name() {
        let reference: ParcelRecord = serde_json::from_value(json!({
            "parcelId": 5, "bytes": 10, "ecGridIdFrom": 1, "ecGridIdTo": 2,
            "created": "2026-05-07T08:00:00Z"
        }))
        .unwrap();
        let guides: ParcelRecord = serde_json::from_value(json!({
            "id": 5, "size": 10, "fromECGridId": 1, "toECGridId": 2,
            "created": "2026-05-07T08:00:00"
        }))
        .unwrap();
        for record in [&reference, &guides] {
            assert_eq!(record.parcel_id(), Some(5));
            assert_eq!(record.bytes(), Some(10));
            assert_eq!(record.ecgrid_id_from(), Some(1));
            assert_eq!(record.ecgrid_id_to(), Some(2));
        }
        assert_eq!(reference.created, guides.created);
        let both: ParcelRecord =
            serde_json::from_value(json!({"parcelId": 5, "id": 5, "bytes": 1, "size": 1})).unwrap();
        assert_eq!(both.parcel_id(), Some(5));
    }

    #[test]
    fn lists_and_uploads_read_in_both_published_shapes() {
        let paged: ParcelPage = serde_json::from_value(json!({
            "totalRecords": 3, "pageNo": 1, "recordsPerPage": 2,
            "parcels": [{"parcelId": 1}, {"parcelId": 2}]
        }))
        .unwrap();
        let (parcels, total, page, size) = paged.into_page();
        assert_eq!(
            (parcels.len(), total, page, size),
            (2, Some(3), Some(1), Some(2))
        );
        let bare: ParcelPage = serde_json::from_value(json!([{"parcelId": 1}])).unwrap();
        assert_eq!(bare.into_page().0.len(), 1);
        let id: UploadAnswer = serde_json::from_value(json!(77)).unwrap();
        let object: UploadAnswer =
            serde_json::from_value(json!({"parcelId": 77, "status": "x"})).unwrap();
        for answer in [id, object] {
            assert!(matches!(
                answer,
                UploadAnswer::Id(77) | UploadAnswer::Object { parcel_id: 77 }
            ));
        }
    }

    #[test]
    fn a_download_answer_keeps_its_content_in_the_answers_buffer() {
        let answer = Bytes::from(br#"{"parcelId":7,"content":"QUJD","bytes":3}"#.to_vec());
        let read: DownloadAnswer<'_> = serde_json::from_slice(&answer).unwrap();
        assert_eq!((read.parcel_id, read.bytes), (Some(7), Some(3)));
        let Some(BorrowedText(Cow::Borrowed(text))) = read.content else {
            panic!("content not borrowed");
        };
        let range = range_in(&answer, text);
        let buffer = answer.as_ptr();
        let content = text_in_place(answer, range).unwrap();
        assert_eq!(content, "QUJD");
        assert_eq!(content.as_ptr(), buffer, "the answer's buffer, not a copy");
        let escaped: DownloadAnswer<'_> = serde_json::from_str(r#"{"content":"QU\/D"}"#).unwrap();
        assert!(matches!(escaped.content, Some(BorrowedText(Cow::Owned(ref t))) if t == "QU/D"));
        assert_eq!(text_in_place(Bytes::from_static(b"ab"), 1..5), None);
    }

    #[test]
    fn requests_send_only_what_is_set() {
        let filter = ParcelFilter {
            ecgrid_id_from: Some(1),
            status: Some("InBoxReady".into()),
            ..ParcelFilter::default()
        };
        assert_eq!(
            serde_json::to_value(&filter).unwrap(),
            json!({"ecGridIdFrom": 1, "status": "InBoxReady"})
        );
        let download = ParcelIdBody {
            parcel_id: 9,
            no_update: true,
        };
        assert_eq!(
            serde_json::to_value(&download).unwrap(),
            json!({"parcelId": 9, "noUpdate": true})
        );
        let upload = UploadParcel {
            file_name: "a.edi",
            content: "QQ==",
            bytes: Some(1),
            ..UploadParcel::default()
        };
        // `content` goes in front, spliced (`client::tests`).
        assert_eq!(
            serde_json::to_value(&upload).unwrap(),
            json!({"fileName": "a.edi", "bytes": 1})
        );
    }
}
