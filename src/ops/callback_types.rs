//! The WSDL types of the callback operations, built from the REST models and
//! written in the WSDL's element order: `CallBackEventIDInfo` (a callback
//! registration), `CallBackQueueIDInfo` (a delivery, or a callback's latest
//! delivery), `CallBackLogInfo` (one attempt) and their `ArrayOf…` forms.
//!
//! The id mapping (also in `docs/MAPPING.md`):
//!
//! | SOAP | REST |
//! |---|---|
//! | `CallBackEventID` | `callbackId` |
//! | `CallBackQueueID` | `callbackId` (the guide's `callBackQueueId` is the same id; `get-queue-by-id` is keyed by it) |
//! | `CallBackLogInfo/CallBackLogID` | `callbackEventId` (one event, i.e. one delivery) |
//! | `ObjectID` | `objectId` (the parcel id) |
//!
//! Enum crossings: `SystemObject` ← `event` (an `Objects` name), or the
//! object of the guide's `callBackEvent`; `StatusCode` ← the guide event name
//! (`InBox`, `OutBoxError`, …), omitted when the scope has none; `Direction`
//! ← `direction` *(ext)*, else the guide event's direction, else `NoDir`;
//! `Status` ← callback `status`; `HTTPAuthentication/Type` ← `httpAuthType`;
//! `MaxCalls` ← `retries`; queue `Status` ← [`status_callback`]. An unknown
//! value from upstream is a Server fault naming the field. The HTTP password
//! is never written (`HTTPAuthInfo/Password` is `minOccurs=0`, and REST never
//! returns it anyway).

use std::str::FromStr;

use time::OffsetDateTime;

use crate::domain::{
    CallBackEventType, DeliveryStatus, Direction, HttpAuthType, Objects, Status, StatusCallBack,
    UnknownVariant,
};
use crate::rest::callbacks::{Attempt, CallbackEvent, CallbackRecord, QueueEntry, TestResult};
use crate::soap::writer::XmlWriter;
use crate::soap::Fault;

/// Parses an enum-valued field the upstream sent; an unknown name is a
/// Server fault naming the field.
pub fn upstream_enum<E>(field: &str, value: &str) -> Result<E, Fault>
where
    E: FromStr<Err = UnknownVariant>,
{
    value.parse().map_err(|err: UnknownVariant| {
        Fault::server(format!(
            "upstream sent a value the WSDL cannot carry in field `{field}`: {err}"
        ))
    })
}

/// [`upstream_enum`] for an optional field; absent or empty is `None`.
fn upstream_opt<E>(field: &str, value: Option<&str>) -> Result<Option<E>, Fault>
where
    E: FromStr<Err = UnknownVariant>,
{
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => upstream_enum(field, text).map(Some),
    }
}

/// The WSDL's `StatusCallBack` of a delivery.
///
/// No delivery yet is `Active` (the callback is armed). A test delivery is
/// never retried, so it is `Completed` when delivered and `Error` otherwise.
/// Any other delivery follows [`DeliveryStatus::to_status_callback`].
pub fn status_callback(delivery: Option<DeliveryStatus>, is_test: bool) -> StatusCallBack {
    match delivery {
        None => StatusCallBack::Active,
        Some(DeliveryStatus::Delivered) if is_test => StatusCallBack::Completed,
        Some(_) if is_test => StatusCallBack::Error,
        Some(status) => status.to_status_callback(),
    }
}

/// An `xs:short` from a REST number, saturating.
fn short(value: Option<i64>) -> i16 {
    value
        .unwrap_or(0)
        .clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// An `xs:int` from a REST number, saturating.
fn int(value: Option<i64>) -> i32 {
    value
        .unwrap_or(0)
        .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// `HTTPAuthInfo` without its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAuthInfo {
    /// `Type`.
    pub kind: HttpAuthType,
    /// `User` (omitted when none).
    pub user: Option<String>,
}

/// `CallBackEventIDInfo`: a callback registration.
#[derive(Debug, Clone, PartialEq)]
pub struct EventIdInfo {
    /// `CallBackEventID` ← `callbackId`.
    pub callback_event_id: i64,
    /// `NetworkID` ← `networkId`.
    pub network_id: i32,
    /// `MailboxID` ← `mailboxId`.
    pub mailbox_id: i32,
    /// `UserID` ← `userId` *(ext)*.
    pub user_id: i32,
    /// `Created` ← `created` *(ext)*.
    pub created: Option<OffsetDateTime>,
    /// `Modified` ← `modified` *(ext)*.
    pub modified: Option<OffsetDateTime>,
    /// `SystemObject` ← `event`, or the guide event's object.
    pub system_object: Objects,
    /// `ObjectStatus` ← `objectStatus` *(ext)*.
    pub object_status: i16,
    /// `StatusCode` ← the guide event name `callBackEvent`.
    pub status_code: Option<CallBackEventType>,
    /// `Direction` ← `direction` *(ext)*, else the guide event's.
    pub direction: Direction,
    /// `Frequency` ← `frequency` *(ext)*.
    pub frequency: i16,
    /// `MaxCalls` ← `retries` *(ext)*.
    pub max_calls: i16,
    /// `Status` ← `status`.
    pub status: Status,
    /// `URL` ← `url` / `callBackUrl`.
    pub url: Option<String>,
    /// `HTTPAuthentication` ← `httpAuthType`, `username`.
    pub http_auth: Option<HttpAuthInfo>,
    /// `CallBackQueue` (only `CallBackEventInfo` fills it).
    pub queue: Option<Vec<QueueIdInfo>>,
}

impl EventIdInfo {
    /// Reads a callback record.
    pub fn from_record(record: &CallbackRecord) -> Result<Self, Fault> {
        let id = record
            .callback_id()
            .ok_or_else(|| Fault::server("upstream callback record has no callbackId"))?;
        let guide: Option<CallBackEventType> =
            upstream_opt("callBackEvent", record.call_back_event.as_deref())?;
        let object: Option<Objects> = upstream_opt("event", record.event.as_deref())?;
        let system_object = match (object, guide) {
            (Some(object), _) => object,
            (None, Some(guide)) => guide.object_and_direction().0,
            (None, None) => {
                return Err(Fault::server(format!(
                    "upstream callback {id} has neither `event` nor `callBackEvent`"
                )))
            }
        };
        let direction = match upstream_opt::<Direction>("direction", record.direction.as_deref())? {
            Some(direction) => direction,
            None => guide.map_or(Direction::NoDir, |g| g.object_and_direction().1),
        };
        let status =
            upstream_opt::<Status>("status", record.status.as_deref())?.unwrap_or(Status::Active);
        let http_auth =
            upstream_opt::<HttpAuthType>("httpAuthType", record.http_auth_type.as_deref())?.map(
                |kind| HttpAuthInfo {
                    kind,
                    user: record.username.clone().filter(|u| !u.is_empty()),
                },
            );
        Ok(EventIdInfo {
            callback_event_id: id,
            network_id: record.network_id.unwrap_or(0),
            mailbox_id: record.mailbox_id.unwrap_or(0),
            user_id: record.user_id.unwrap_or(0),
            created: record.created,
            modified: record.modified,
            system_object,
            object_status: short(record.object_status),
            status_code: guide,
            direction,
            frequency: short(record.frequency),
            max_calls: short(record.retries),
            status,
            url: record.url().map(str::to_string),
            http_auth,
            queue: None,
        })
    }

    /// Writes `<{name}>…</{name}>` in the WSDL's order.
    pub fn write(&self, w: &mut XmlWriter, name: &str) {
        w.start(name);
        w.value("CallBackEventID", self.callback_event_id);
        w.value("NetworkID", self.network_id);
        w.value("MailboxID", self.mailbox_id);
        w.value("UserID", self.user_id);
        w.datetime("Created", self.created);
        w.datetime("Modified", self.modified);
        w.value("SystemObject", self.system_object);
        w.value("ObjectStatus", self.object_status);
        if let Some(code) = self.status_code {
            w.value("StatusCode", code);
        }
        w.value("Direction", self.direction);
        w.value("Frequency", self.frequency);
        w.value("MaxCalls", self.max_calls);
        w.value("Status", self.status);
        w.opt_text("URL", self.url.as_deref());
        if let Some(auth) = &self.http_auth {
            w.start("HTTPAuthentication");
            w.value("Type", auth.kind);
            w.opt_text("User", auth.user.as_deref());
            // Password: never written.
            w.end("HTTPAuthentication");
        }
        if let Some(queue) = &self.queue {
            write_queue_array(w, "CallBackQueue", queue);
        }
        w.end(name);
    }
}

/// `CallBackLogInfo`: one attempt of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogInfo {
    /// `CallBackLogID` ← `callbackEventId`.
    pub id: i64,
    /// `Date` ← the attempt's time.
    pub date: Option<OffsetDateTime>,
    /// `CallNumber` ← the attempt number.
    pub call_number: i16,
    /// `ReturnCode` ← the endpoint's HTTP status, 0 when no response came.
    pub return_code: i32,
    /// `Message` ← the endpoint's body, or why no response came.
    pub message: Option<String>,
}

impl LogInfo {
    /// One entry per `attemptLog` item of an event.
    pub fn from_attempt(event_id: i64, attempt: &Attempt) -> Self {
        LogInfo {
            id: event_id,
            date: attempt.at,
            call_number: short(attempt.attempt),
            return_code: int(attempt.http_status),
            message: message(attempt.response_body.as_deref(), attempt.error.as_deref()),
        }
    }

    fn write(&self, w: &mut XmlWriter) {
        w.start("CallBackLogInfo");
        w.value("CallBackLogID", self.id);
        w.datetime("Date", self.date);
        w.value("CallNumber", self.call_number);
        w.value("ReturnCode", self.return_code);
        w.opt_text("Message", self.message.as_deref());
        w.end("CallBackLogInfo");
    }
}

/// The body when there is one, else the reason there was no response.
fn message(body: Option<&str>, reason: Option<&str>) -> Option<String> {
    body.filter(|b| !b.is_empty())
        .or(reason.filter(|r| !r.is_empty()))
        .map(str::to_string)
}

/// `CallBackQueueIDInfo`: one delivery of a callback (or its latest one).
#[derive(Debug, Clone, PartialEq)]
pub struct QueueIdInfo {
    /// `CallBackQueueID` ← `callbackId`.
    pub callback_queue_id: i64,
    /// `Date` ← when the delivery was queued (or the test ran).
    pub date: Option<OffsetDateTime>,
    /// `CallBackEvent` ← the registration, when the gateway has it.
    pub callback_event: Option<Box<EventIdInfo>>,
    /// `CallsRemaining` ← `retriesRemaining` *(ext)*.
    pub calls_remaining: i16,
    /// `NextCall` ← `nextAttempt` *(ext)*.
    pub next_call: Option<OffsetDateTime>,
    /// `Status` ← [`status_callback`].
    pub status: StatusCallBack,
    /// `ObjectID` ← `objectId`.
    pub object_id: i64,
    /// `UserID` ← the registration's `userId`.
    pub user_id: i32,
    /// `Test` ← `isTest`.
    pub test: bool,
    /// `CallBackLog`; `None` when nothing was attempted.
    pub log: Option<Vec<LogInfo>>,
}

impl QueueIdInfo {
    /// A callback just created: armed (`Active`), nothing delivered yet.
    pub fn from_created(record: &CallbackRecord) -> Result<Self, Fault> {
        let info = EventIdInfo::from_record(record)?;
        Ok(QueueIdInfo {
            callback_queue_id: info.callback_event_id,
            date: record.created,
            calls_remaining: info.max_calls,
            next_call: None,
            status: StatusCallBack::Active,
            object_id: 0,
            user_id: info.user_id,
            test: false,
            log: None,
            callback_event: Some(Box::new(info)),
        })
    }

    /// A queue entry (a callback and its latest delivery). `latest` is that
    /// delivery read with `get-event-by-id`, whose `attemptLog` gives one log
    /// entry per attempt; without it the entry's own summary gives one.
    pub fn from_queue_entry(
        entry: &QueueEntry,
        latest: Option<&CallbackEvent>,
    ) -> Result<Self, Fault> {
        let info = EventIdInfo::from_record(&entry.callback)?;
        let delivery: Option<DeliveryStatus> =
            upstream_opt("deliveryStatus", entry.delivery_status.as_deref())?;
        let is_test = entry.is_test.unwrap_or(false);
        let attempts = entry.attempts.unwrap_or(0);
        let log = match (latest, entry.callback_event_id) {
            (Some(event), _) if event.attempt_log.is_some() => Some(log_of(event)),
            (_, Some(event_id)) if attempts > 0 => Some(vec![LogInfo {
                id: event_id,
                date: entry.last_attempt,
                call_number: short(Some(attempts)),
                return_code: int(entry.last_http_status),
                message: message(entry.last_response_body.as_deref(), None),
            }]),
            _ => None,
        };
        Ok(QueueIdInfo {
            callback_queue_id: info.callback_event_id,
            date: entry.queued_at.or(info.created),
            calls_remaining: short(entry.retries_remaining.or(entry.callback.retries)),
            next_call: entry.next_attempt,
            status: status_callback(delivery, is_test),
            object_id: entry.object_id.unwrap_or(0),
            user_id: info.user_id,
            test: is_test,
            log,
            callback_event: Some(Box::new(info)),
        })
    }

    /// One event (delivery) of `event-list` or `get-event-by-id`.
    pub fn from_event(event: &CallbackEvent) -> Result<Self, Fault> {
        let callback_id = event
            .callback_id()
            .ok_or_else(|| Fault::server("upstream event has no callbackId"))?;
        let delivery: Option<DeliveryStatus> = upstream_opt("status", event.status.as_deref())?;
        let is_test = event.is_test.unwrap_or(false);
        let log = if event.attempt_log.is_some() {
            Some(log_of(event))
        } else {
            match (event.callback_event_id, event.attempts.unwrap_or(0)) {
                (Some(id), attempts) if attempts > 0 => Some(vec![LogInfo {
                    id,
                    date: event.last_attempt.or(event.delivered),
                    call_number: short(Some(attempts)),
                    return_code: int(event.http_status),
                    message: message(event.response_body.as_deref(), event.message.as_deref()),
                }]),
                _ => None,
            }
        };
        Ok(QueueIdInfo {
            callback_queue_id: callback_id,
            date: event.created,
            callback_event: None,
            calls_remaining: short(event.retries_remaining),
            next_call: event.next_attempt,
            status: status_callback(delivery, is_test),
            object_id: event.object_id.unwrap_or(0),
            user_id: 0,
            test: is_test,
            log,
        })
    }

    /// The answer of `POST /v2/callbacks/test` for callback `callback_id`:
    /// `Test` true, one log entry with the endpoint's status (0 when no
    /// response came) and its body (or why there was no response).
    pub fn from_test(callback_id: i64, result: &TestResult) -> Result<Self, Fault> {
        let delivery: Option<DeliveryStatus> = upstream_opt("status", result.status.as_deref())?;
        // A real upstream may omit the (ext) status: judge by the HTTP status.
        let delivered = match delivery {
            Some(status) => status == DeliveryStatus::Delivered,
            None => result.http_status.is_some_and(|s| (200..300).contains(&s)),
        };
        let status = if delivered {
            StatusCallBack::Completed
        } else {
            StatusCallBack::Error
        };
        Ok(QueueIdInfo {
            callback_queue_id: result
                .callback_id_field
                .or(result.call_back_queue_id)
                .unwrap_or(callback_id),
            date: result.tested_at,
            callback_event: None,
            calls_remaining: 0,
            next_call: None,
            status,
            object_id: 0,
            user_id: 0,
            test: true,
            log: Some(vec![LogInfo {
                id: result.delivery_id.unwrap_or(0),
                date: result.tested_at,
                call_number: 1,
                return_code: int(result.http_status),
                message: message(result.response_body.as_deref(), result.message.as_deref()),
            }]),
        })
    }

    /// Writes `<{name}>…</{name}>` in the WSDL's order.
    pub fn write(&self, w: &mut XmlWriter, name: &str) {
        w.start(name);
        w.value("CallBackQueueID", self.callback_queue_id);
        w.datetime("Date", self.date);
        if let Some(event) = &self.callback_event {
            event.write(w, "CallBackEvent");
        }
        w.value("CallsRemaining", self.calls_remaining);
        w.datetime("NextCall", self.next_call);
        w.value("Status", self.status);
        w.value("ObjectID", self.object_id);
        w.value("UserID", self.user_id);
        w.boolean("Test", self.test);
        if let Some(log) = &self.log {
            w.start("CallBackLog");
            for entry in log {
                entry.write(w);
            }
            w.end("CallBackLog");
        }
        w.end(name);
    }
}

fn log_of(event: &CallbackEvent) -> Vec<LogInfo> {
    let id = event.callback_event_id.unwrap_or(0);
    event
        .attempt_log
        .iter()
        .flatten()
        .map(|attempt| LogInfo::from_attempt(id, attempt))
        .collect()
}

/// Writes an `ArrayOfCallBackQueueIDInfo` as `<{name}>`.
pub fn write_queue_array(w: &mut XmlWriter, name: &str, items: &[QueueIdInfo]) {
    w.start(name);
    for item in items {
        item.write(w, "CallBackQueueIDInfo");
    }
    w.end(name);
}

/// Writes an `ArrayOfCallBackEventIDInfo` as `<{name}>`.
pub fn write_event_array(w: &mut XmlWriter, name: &str, items: &[EventIdInfo]) {
    w.start(name);
    for item in items {
        item.write(w, "CallBackEventIDInfo");
    }
    w.end(name);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(value: serde_json::Value) -> CallbackRecord {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn status_callback_crossing() {
        use DeliveryStatus::*;
        assert_eq!(status_callback(None, false), StatusCallBack::Active);
        assert_eq!(status_callback(None, true), StatusCallBack::Active);
        let queued = [
            (Pending, StatusCallBack::Pending),
            (Delivered, StatusCallBack::Completed),
            (Failed, StatusCallBack::Active),
            (RateLimited, StatusCallBack::Pending),
            (DeadLetter, StatusCallBack::Error),
        ];
        for (delivery, expected) in queued {
            assert_eq!(
                status_callback(Some(delivery), false),
                expected,
                "{delivery}"
            );
            let test = if delivery == Delivered {
                StatusCallBack::Completed
            } else {
                StatusCallBack::Error
            };
            assert_eq!(
                status_callback(Some(delivery), true),
                test,
                "test {delivery}"
            );
        }
    }

    #[test]
    fn registration_crossings_from_the_reference_shape() {
        let info = EventIdInfo::from_record(&record(json!({
            "callbackId": 7001, "url": "https://a/h", "event": "Interchange",
            "direction": "OutBox", "httpAuthType": "Basic", "username": "u",
            "status": "Suspended", "frequency": 5, "retries": 40000, "objectStatus": 2
        })))
        .unwrap();
        assert_eq!(info.system_object, Objects::Interchange);
        assert_eq!(info.direction, Direction::OutBox);
        assert_eq!(info.status, Status::Suspended);
        assert_eq!(info.status_code, None);
        assert_eq!(info.max_calls, i16::MAX, "saturates to xs:short");
        assert_eq!(
            info.http_auth,
            Some(HttpAuthInfo {
                kind: HttpAuthType::Basic,
                user: Some("u".into())
            })
        );
    }

    #[test]
    fn every_guide_event_crosses_to_object_direction_and_status_code() {
        for &guide in CallBackEventType::ALL {
            let info = EventIdInfo::from_record(&record(json!({
                "callBackQueueId": 1, "callBackUrl": "https://a/h",
                "callBackEvent": guide.as_str(), "status": "Active"
            })))
            .unwrap();
            let (object, direction) = guide.object_and_direction();
            assert_eq!(
                (info.system_object, info.direction, info.status_code),
                (object, direction, Some(guide))
            );
            assert_eq!(info.http_auth, None);
        }
    }

    #[test]
    fn unknown_upstream_values_are_server_faults_naming_the_field() {
        for (field, body) in [
            (
                "status",
                json!({"callbackId": 1, "event": "Parcel", "status": "Paused"}),
            ),
            ("event", json!({"callbackId": 1, "event": "Parcels"})),
            (
                "direction",
                json!({"callbackId": 1, "event": "Parcel", "direction": "Up"}),
            ),
            (
                "httpAuthType",
                json!({"callbackId": 1, "event": "Parcel", "httpAuthType": "OAuth"}),
            ),
            (
                "callBackEvent",
                json!({"callbackId": 1, "callBackEvent": "Sideways"}),
            ),
        ] {
            let fault = EventIdInfo::from_record(&record(body)).unwrap_err();
            assert_eq!(fault.code, crate::soap::FaultCode::Server);
            assert!(
                fault.message.contains(&format!("`{field}`")),
                "{}",
                fault.message
            );
        }
        let event: CallbackEvent =
            serde_json::from_value(json!({"callbackId": 1, "status": "lost"})).unwrap();
        let fault = QueueIdInfo::from_event(&event).unwrap_err();
        assert!(fault.message.contains("`status`"), "{}", fault.message);
    }

    #[test]
    fn test_results_are_completed_only_when_delivered() {
        let ok: TestResult = serde_json::from_value(json!({
            "callbackId": 7, "httpStatus": 200, "responseBody": "OK", "status": "delivered",
            "deliveryId": 88, "testedAt": "2026-05-07T12:00:00Z"
        }))
        .unwrap();
        let info = QueueIdInfo::from_test(7, &ok).unwrap();
        assert_eq!(info.status, StatusCallBack::Completed);
        assert!(info.test);
        let log = &info.log.unwrap()[0];
        assert_eq!(
            (log.id, log.return_code, log.message.as_deref()),
            (88, 200, Some("OK"))
        );

        let refused: TestResult = serde_json::from_value(json!({
            "callbackId": 7, "httpStatus": null, "responseBody": null,
            "status": "dead_letter", "message": "connection refused"
        }))
        .unwrap();
        let info = QueueIdInfo::from_test(7, &refused).unwrap();
        assert_eq!(info.status, StatusCallBack::Error);
        let log = &info.log.unwrap()[0];
        assert_eq!(
            (log.return_code, log.message.as_deref()),
            (0, Some("connection refused"))
        );

        // No (ext) status: judged by the HTTP status.
        let bare: TestResult =
            serde_json::from_value(json!({"callbackId": 7, "httpStatus": 500})).unwrap();
        assert_eq!(
            QueueIdInfo::from_test(7, &bare).unwrap().status,
            StatusCallBack::Error
        );
    }

    #[test]
    fn written_in_wsdl_order_without_password() {
        let info = EventIdInfo::from_record(&record(json!({
            "callbackId": 7001, "url": "https://a/h", "event": "Parcel",
            "callBackEvent": "InBox", "httpAuthType": "Basic", "username": "u", "password": "p"
        })))
        .unwrap();
        let mut w = XmlWriter::default();
        info.write(&mut w, "X");
        let xml = w.into_string();
        let order = [
            "CallBackEventID",
            "NetworkID",
            "MailboxID",
            "UserID",
            "Created",
            "Modified",
            "SystemObject",
            "ObjectStatus",
            "StatusCode",
            "Direction",
            "Frequency",
            "MaxCalls",
            "Status",
            "URL",
            "HTTPAuthentication",
        ];
        let positions: Vec<usize> = order
            .iter()
            .map(|name| {
                xml.find(&format!("<{name}>"))
                    .unwrap_or_else(|| panic!("{name} in {xml}"))
            })
            .collect();
        assert!(positions.windows(2).all(|p| p[0] < p[1]), "{xml}");
        assert!(!xml.contains("Password") && !xml.contains(">p<"), "{xml}");
        assert!(xml.contains("<StatusCode>InBox</StatusCode><Direction>InBox</Direction>"));
    }
}
