//! REST v2 callback endpoints (`docs/REST.md`, "Callbacks"): create, update,
//! delete, test, get-queue-by-id, queue-list, event-list, get-event-by-id.
//!
//! Ids: a callback (registration) is `callbackId`, which the callbacks guide
//! calls `callBackQueueId`; an event (one delivery, test or real) is
//! `callbackEventId`. The published variants of a field name are read as
//! separate optional fields with one accessor each (`callback_id()`,
//! `url()`), because the sandbox writes both names at once and serde's
//! `alias` refuses a field given twice. Fields marked *(ext)* in the contract
//! are `Option` with `#[serde(default)]`, so a real upstream that omits them
//! still decodes; enum-valued fields stay text here and are parsed at the
//! operation, where an unknown value becomes a Server fault naming the field.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::client::{Auth, RestClient};
use super::error::RestError;
use super::timestamp;

use super::paging::ListPage;
pub use super::paging::{MAX_PAGES, MAX_PAGE_SIZE};

/// `POST /v2/callbacks/create` body. Which fields are set decides the shape:
/// the reference shape (`url`, `event`, `httpAuthType`, `username`,
/// `password`) or the guide shape (`callBackUrl`, `callBackEvent`,
/// `ecGridId`); `None` fields are not sent.
#[derive(Serialize, Default, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CreateCallback {
    /// Reference shape: endpoint URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Reference shape: `Objects` name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Guide shape: endpoint URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
    /// Guide shape: guide event name (`InBox`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_event: Option<String>,
    /// Network scope (0 = the caller's network).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_id: Option<i32>,
    /// Mailbox scope (0 = every mailbox of the network).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox_id: Option<i32>,
    /// Guide shape: ECGrid ID scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ec_grid_id: Option<i32>,
    /// `HTTPAuthType` name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_auth_type: Option<String>,
    /// HTTP user for the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// HTTP password for the endpoint (never logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Minimum seconds between calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<i32>,
    /// Retries before a delivery is dead-lettered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
    /// `Status` name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// *(ext)* `Direction` name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// *(ext)* Object status filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_status: Option<i32>,
    /// *(ext)* Owning user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i32>,
}

impl std::fmt::Debug for CreateCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateCallback")
            .field("url", &self.url)
            .field("event", &self.event)
            .field("call_back_url", &self.call_back_url)
            .field("call_back_event", &self.call_back_event)
            .field("network_id", &self.network_id)
            .field("mailbox_id", &self.mailbox_id)
            .field("http_auth_type", &self.http_auth_type)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// `POST /v2/callbacks/update` body (only the fields the gateway changes).
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCallback {
    /// The callback.
    pub callback_id: i64,
    /// New `Status` name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// `{callbackId}` body of delete and test.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CallbackIdBody {
    callback_id: i64,
}

/// `{callbackEventId}` body of get-event-by-id.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventIdBody {
    callback_event_id: i64,
}

/// `POST /v2/callbacks/queue-list` filter.
#[derive(Serialize, Debug, Default, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct QueueListFilter {
    /// Mailbox (absent = all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox_id: Option<i32>,
    /// *(ext)* Network (absent = all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_id: Option<i32>,
    /// Callback `Status` name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// `POST /v2/callbacks/event-list` filter.
#[derive(Serialize, Debug, Default, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EventListFilter {
    /// Mailbox (absent = all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox_id: Option<i32>,
    /// Events created at or after this time (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub begin_date: Option<String>,
    /// *(ext)* Only this callback's events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_id: Option<i64>,
    /// *(ext)* Delivery status name (`pending`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// A callback record (`create`, `update`), also the registration part of a
/// queue entry.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct CallbackRecord {
    /// `callbackId`.
    #[serde(rename = "callbackId")]
    pub callback_id_field: Option<i64>,
    /// `callBackQueueId`: the guide's name for the same id.
    pub call_back_queue_id: Option<i64>,
    /// `url`.
    #[serde(rename = "url")]
    pub url_field: Option<String>,
    /// `callBackUrl`: the guide's name for the URL.
    pub call_back_url: Option<String>,
    /// `Objects` name.
    pub event: Option<String>,
    /// Guide event name, `null` when the scope has none.
    pub call_back_event: Option<String>,
    /// *(ext)* `Direction` name.
    pub direction: Option<String>,
    /// Network scope.
    pub network_id: Option<i32>,
    /// Mailbox scope.
    pub mailbox_id: Option<i32>,
    /// *(ext)* ECGrid ID scope.
    pub ec_grid_id: Option<i32>,
    /// *(ext)* Owning user.
    pub user_id: Option<i32>,
    /// `HTTPAuthType` name.
    pub http_auth_type: Option<String>,
    /// *(ext)* HTTP user (the password is never returned).
    pub username: Option<String>,
    /// Callback `Status` name.
    pub status: Option<String>,
    /// *(ext)* Minimum seconds between calls.
    pub frequency: Option<i64>,
    /// *(ext)* Retries per delivery.
    pub retries: Option<i64>,
    /// *(ext)* Object status filter.
    pub object_status: Option<i64>,
    /// *(ext)* Registered at.
    #[serde(deserialize_with = "timestamp::option")]
    pub created: Option<OffsetDateTime>,
    /// *(ext)* Last changed at.
    #[serde(deserialize_with = "timestamp::option")]
    pub modified: Option<OffsetDateTime>,
}

impl CallbackRecord {
    /// The callback id, under either published name.
    pub fn callback_id(&self) -> Option<i64> {
        self.callback_id_field.or(self.call_back_queue_id)
    }

    /// The endpoint URL, under either published name.
    pub fn url(&self) -> Option<&str> {
        self.url_field
            .as_deref()
            .or(self.call_back_url.as_deref())
            .filter(|u| !u.is_empty())
    }
}

/// A queue entry: one per callback, with its latest delivery.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct QueueEntry {
    /// The registration fields.
    #[serde(flatten)]
    pub callback: CallbackRecord,
    /// When the latest delivery was queued.
    #[serde(default, deserialize_with = "timestamp::option")]
    pub queued_at: Option<OffsetDateTime>,
    /// Its latest attempt.
    #[serde(default, deserialize_with = "timestamp::option")]
    pub last_attempt: Option<OffsetDateTime>,
    /// Attempts made.
    #[serde(default)]
    pub attempts: Option<i64>,
    /// HTTP status of the latest attempt.
    #[serde(default)]
    pub last_http_status: Option<i64>,
    /// *(ext)* The latest delivery.
    #[serde(default)]
    pub callback_event_id: Option<i64>,
    /// *(ext)* Its delivery status name.
    #[serde(default)]
    pub delivery_status: Option<String>,
    /// *(ext)* Whether it was a test delivery.
    #[serde(default)]
    pub is_test: Option<bool>,
    /// *(ext)* The object (parcel) it is about.
    #[serde(default)]
    pub object_id: Option<i64>,
    /// *(ext)* Retries left.
    #[serde(default)]
    pub retries_remaining: Option<i64>,
    /// *(ext)* Next scheduled attempt.
    #[serde(default, deserialize_with = "timestamp::option")]
    pub next_attempt: Option<OffsetDateTime>,
    /// *(ext)* Body excerpt of the latest answer.
    #[serde(default)]
    pub last_response_body: Option<String>,
}

/// One attempt of a delivery (`attemptLog`).
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Attempt {
    /// 1-based attempt number.
    pub attempt: Option<i64>,
    /// When it was made.
    #[serde(deserialize_with = "timestamp::option")]
    pub at: Option<OffsetDateTime>,
    /// The endpoint's status; `None` when no response came.
    pub http_status: Option<i64>,
    /// Body excerpt.
    pub response_body: Option<String>,
    /// Why no response came.
    pub error: Option<String>,
}

/// An event: one delivery of one callback.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct CallbackEvent {
    /// The event id.
    pub callback_event_id: Option<i64>,
    /// The callback.
    #[serde(rename = "callbackId")]
    pub callback_id_field: Option<i64>,
    /// The guide's name for the callback id.
    pub call_back_queue_id: Option<i64>,
    /// `Objects` name.
    pub event: Option<String>,
    /// Mailbox.
    pub mailbox_id: Option<i32>,
    /// The object (parcel) id.
    pub object_id: Option<i64>,
    /// Delivery status name.
    pub status: Option<String>,
    /// Queued at.
    #[serde(deserialize_with = "timestamp::option")]
    pub created: Option<OffsetDateTime>,
    /// Delivered at.
    #[serde(deserialize_with = "timestamp::option")]
    pub delivered: Option<OffsetDateTime>,
    /// Latest endpoint status.
    pub http_status: Option<i64>,
    /// *(ext)* Attempts made.
    pub attempts: Option<i64>,
    /// *(ext)* Latest attempt.
    #[serde(deserialize_with = "timestamp::option")]
    pub last_attempt: Option<OffsetDateTime>,
    /// *(ext)* Next scheduled attempt.
    #[serde(deserialize_with = "timestamp::option")]
    pub next_attempt: Option<OffsetDateTime>,
    /// *(ext)* Test delivery.
    pub is_test: Option<bool>,
    /// *(ext)* File name.
    pub file_name: Option<String>,
    /// *(ext)* Latest body excerpt.
    pub response_body: Option<String>,
    /// *(ext)* Retries left.
    pub retries_remaining: Option<i64>,
    /// *(ext)* Network.
    pub network_id: Option<i32>,
    /// *(ext)* Guide event name.
    pub call_back_event: Option<String>,
    /// *(ext)* Why the latest attempt had no response.
    pub message: Option<String>,
    /// *(ext, get-event-by-id)* Every attempt.
    pub attempt_log: Option<Vec<Attempt>>,
}

impl CallbackEvent {
    /// The callback id, under either published name.
    pub fn callback_id(&self) -> Option<i64> {
        self.callback_id_field.or(self.call_back_queue_id)
    }
}

/// `POST /v2/callbacks/test` answer.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct TestResult {
    /// The callback.
    #[serde(rename = "callbackId")]
    pub callback_id_field: Option<i64>,
    /// The guide's name for the callback id.
    pub call_back_queue_id: Option<i64>,
    /// The URL called.
    pub url: Option<String>,
    /// The endpoint's status; `None` when no response came.
    pub http_status: Option<i64>,
    /// Body excerpt.
    pub response_body: Option<String>,
    /// When the test ran.
    #[serde(deserialize_with = "timestamp::option")]
    pub tested_at: Option<OffsetDateTime>,
    /// *(ext)* The test event's `callbackEventId`.
    pub delivery_id: Option<i64>,
    /// *(ext)* Delivery status name.
    pub status: Option<String>,
    /// *(ext)* Why there was no response.
    pub message: Option<String>,
}

/// One page of `queue-list`.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct QueuePage {
    /// Matching entries in all pages.
    pub total_records: Option<u64>,
    /// This page's entries.
    pub queue_entries: Vec<QueueEntry>,
}

/// One page of `event-list`.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct EventPage {
    /// Matching events in all pages.
    pub total_records: Option<u64>,
    /// This page's events.
    pub events: Vec<CallbackEvent>,
}

impl RestClient {
    /// `POST /v2/callbacks/create`.
    pub async fn create_callback(
        &self,
        auth: &Auth,
        body: &CreateCallback,
    ) -> Result<CallbackRecord, RestError> {
        self.post("/v2/callbacks/create", auth, Some(body)).await
    }

    /// `POST /v2/callbacks/update`.
    pub async fn update_callback(
        &self,
        auth: &Auth,
        body: &UpdateCallback,
    ) -> Result<CallbackRecord, RestError> {
        self.post("/v2/callbacks/update", auth, Some(body)).await
    }

    /// `DELETE /v2/callbacks {callbackId}`.
    pub async fn delete_callback(&self, auth: &Auth, callback_id: i64) -> Result<(), RestError> {
        let _: serde_json::Value = self
            .delete("/v2/callbacks", auth, &CallbackIdBody { callback_id })
            .await?;
        Ok(())
    }

    /// `POST /v2/callbacks/test {callbackId}`: one synchronous test delivery.
    pub async fn test_callback(
        &self,
        auth: &Auth,
        callback_id: i64,
    ) -> Result<TestResult, RestError> {
        self.post(
            "/v2/callbacks/test",
            auth,
            Some(&CallbackIdBody { callback_id }),
        )
        .await
    }

    /// `GET /v2/callbacks/get-queue-by-id?callbackId=N`.
    pub async fn queue_entry(
        &self,
        auth: &Auth,
        callback_id: i64,
    ) -> Result<QueueEntry, RestError> {
        self.get_query(
            "/v2/callbacks/get-queue-by-id",
            auth,
            &[("callbackId", callback_id.to_string())],
        )
        .await
    }

    /// `POST /v2/callbacks/get-event-by-id {callbackEventId}`.
    pub async fn callback_event(
        &self,
        auth: &Auth,
        callback_event_id: i64,
    ) -> Result<CallbackEvent, RestError> {
        self.post(
            "/v2/callbacks/get-event-by-id",
            auth,
            Some(&EventIdBody { callback_event_id }),
        )
        .await
    }

    /// Every page of `POST /v2/callbacks/queue-list` (at most
    /// [`MAX_PAGES`] of [`MAX_PAGE_SIZE`]).
    pub async fn queue_list_all(
        &self,
        auth: &Auth,
        filter: &QueueListFilter,
    ) -> Result<Vec<QueueEntry>, RestError> {
        self.list_all::<QueuePage, _>("/v2/callbacks/queue-list", auth, filter)
            .await
    }

    /// Every page of `POST /v2/callbacks/event-list` (at most
    /// [`MAX_PAGES`] of [`MAX_PAGE_SIZE`]).
    pub async fn event_list_all(
        &self,
        auth: &Auth,
        filter: &EventListFilter,
    ) -> Result<Vec<CallbackEvent>, RestError> {
        self.list_all::<EventPage, _>("/v2/callbacks/event-list", auth, filter)
            .await
    }
}

impl ListPage for QueuePage {
    type Item = QueueEntry;
    fn into_parts(self) -> (Vec<QueueEntry>, Option<u64>) {
        (self.queue_entries, self.total_records)
    }
}

impl ListPage for EventPage {
    type Item = CallbackEvent;
    fn into_parts(self) -> (Vec<CallbackEvent>, Option<u64>) {
        (self.events, self.total_records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn record_reads_both_published_names_even_when_given_together() {
        let both: CallbackRecord = serde_json::from_value(json!({
            "callbackId": 7001, "callBackQueueId": 7001,
            "url": "https://a/h", "callBackUrl": "https://a/h",
            "event": "Parcel", "callBackEvent": "InBox", "created": "2026-05-07T09:00:00Z"
        }))
        .unwrap();
        assert_eq!(both.callback_id(), Some(7001));
        assert_eq!(both.url(), Some("https://a/h"));
        assert!(both.created.is_some());
        // The guide's create answer: guide names only, no (ext) fields.
        let guide: CallbackRecord = serde_json::from_value(json!({
            "callBackQueueId": 7002, "callBackUrl": "https://b/h",
            "callBackEvent": "InBox", "status": "Active"
        }))
        .unwrap();
        assert_eq!(guide.callback_id(), Some(7002));
        assert_eq!(guide.url(), Some("https://b/h"));
        assert_eq!(guide.frequency, None);
    }

    #[test]
    fn queue_entry_flattens_the_registration() {
        let entry: QueueEntry = serde_json::from_value(json!({
            "callbackId": 7001, "url": "https://a/h", "event": "Parcel", "mailboxId": 101,
            "queuedAt": null, "lastAttempt": null, "attempts": 0, "status": "Active",
            "lastHttpStatus": null
        }))
        .unwrap();
        assert_eq!(entry.callback.callback_id(), Some(7001));
        assert_eq!(entry.callback.status.as_deref(), Some("Active"));
        assert_eq!(entry.attempts, Some(0));
        assert_eq!(entry.delivery_status, None);
    }

    #[test]
    fn create_sends_only_set_fields_and_debug_hides_the_password() {
        let body = CreateCallback {
            url: Some("https://a/h".into()),
            event: Some("Parcel".into()),
            password: Some("hunter2".into()),
            ..CreateCallback::default()
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"url": "https://a/h", "event": "Parcel", "password": "hunter2"})
        );
        let shown = format!("{body:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("<redacted>"),
            "{shown}"
        );
    }
}
