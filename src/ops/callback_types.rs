//! The crossings from the REST callback models to the WSDL's callback types
//! (`crate::schema::types`): `CallBackEventIDInfo` (a callback
//! registration), `CallBackQueueIDInfo` (a delivery, or a callback's latest
//! delivery) and `CallBackLogInfo` (one attempt). Each function is named
//! after the wire type it builds; the generated types write themselves in
//! the WSDL's order.
//!
//! The id mapping (also in `docs/MAPPING.md`):
//!
//! | SOAP | REST |
//! |---|---|
//! | `CallBackEventID` | `callbackId` (`s:int`: a larger id is a Server fault) |
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

use crate::domain::{
    CallBackEventType, DeliveryStatus, Direction, HttpAuthType, Objects, Status, StatusCallBack,
    UnknownVariant,
};
use crate::rest::callbacks::{Attempt, CallbackEvent, CallbackRecord, QueueEntry, TestResult};
use crate::schema::types::{
    ArrayOfCallBackLogInfo, CallBackEventIDInfo, CallBackLogInfo, CallBackQueueIDInfo, HTTPAuthInfo,
};
use crate::schema::XsDateTime;
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

/// `CallBackEventIDInfo` of a callback record (`CallBackQueue` left out:
/// only `CallBackEventInfo` fills it).
pub fn callback_event_id_info(record: &CallbackRecord) -> Result<CallBackEventIDInfo, Fault> {
    let id = record
        .callback_id()
        .ok_or_else(|| Fault::server("upstream callback record has no callbackId"))?;
    let call_back_event_id = i32::try_from(id).map_err(|_| {
        Fault::server(format!(
            "upstream callbackId {id} does not fit the WSDL's CallBackEventID (an s:int)"
        ))
    })?;
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
    let http_authentication =
        upstream_opt::<HttpAuthType>("httpAuthType", record.http_auth_type.as_deref())?.map(
            |r#type| {
                Box::new(HTTPAuthInfo {
                    r#type,
                    user: record.username.clone().filter(|u| !u.is_empty()),
                    password: None,
                })
            },
        );
    Ok(CallBackEventIDInfo {
        call_back_event_id,
        network_id: record.network_id.unwrap_or(0),
        mailbox_id: record.mailbox_id.unwrap_or(0),
        user_id: record.user_id.unwrap_or(0),
        created: record.created.into(),
        modified: record.modified.into(),
        system_object,
        object_status: short(record.object_status),
        status_code: guide.map(|g| g.as_str().to_string()),
        direction,
        frequency: short(record.frequency),
        max_calls: short(record.retries),
        status,
        url: record.url().map(str::to_string),
        http_authentication,
        call_back_queue: None,
    })
}

/// `CallBackLogInfo` of one `attemptLog` item of event `event_id`.
pub fn callback_log_info(event_id: i64, attempt: &Attempt) -> CallBackLogInfo {
    CallBackLogInfo {
        call_back_log_id: event_id,
        date: attempt.at.into(),
        call_number: short(attempt.attempt),
        return_code: int(attempt.http_status),
        message: message(attempt.response_body.as_deref(), attempt.error.as_deref()),
    }
}

/// One `CallBackLogInfo` per `attemptLog` item of an event.
fn callback_log_of(event: &CallbackEvent) -> ArrayOfCallBackLogInfo {
    let id = event.callback_event_id.unwrap_or(0);
    ArrayOfCallBackLogInfo(
        event
            .attempt_log
            .iter()
            .flatten()
            .map(|attempt| callback_log_info(id, attempt))
            .collect(),
    )
}

/// The body when there is one, else the reason there was no response.
fn message(body: Option<&str>, reason: Option<&str>) -> Option<String> {
    body.filter(|b| !b.is_empty())
        .or(reason.filter(|r| !r.is_empty()))
        .map(str::to_string)
}

/// `CallBackQueueIDInfo` of a callback just created: armed (`Active`),
/// nothing delivered yet, the registration in `CallBackEvent`.
pub fn callback_queue_id_info_of_created(
    record: &CallbackRecord,
) -> Result<CallBackQueueIDInfo, Fault> {
    let info = callback_event_id_info(record)?;
    Ok(CallBackQueueIDInfo {
        call_back_queue_id: i64::from(info.call_back_event_id),
        date: record.created.into(),
        calls_remaining: info.max_calls,
        next_call: XsDateTime(None),
        status: StatusCallBack::Active,
        object_id: 0,
        user_id: info.user_id,
        test: false,
        call_back_log: None,
        call_back_event: Some(Box::new(info)),
    })
}

/// `CallBackQueueIDInfo` of a queue entry (a callback and its latest
/// delivery). `latest` is that delivery read with `get-event-by-id`, whose
/// `attemptLog` gives one log entry per attempt; without it the entry's own
/// summary gives one.
pub fn callback_queue_id_info_of_queue_entry(
    entry: &QueueEntry,
    latest: Option<&CallbackEvent>,
) -> Result<CallBackQueueIDInfo, Fault> {
    let info = callback_event_id_info(&entry.callback)?;
    let delivery: Option<DeliveryStatus> =
        upstream_opt("deliveryStatus", entry.delivery_status.as_deref())?;
    let is_test = entry.is_test.unwrap_or(false);
    let attempts = entry.attempts.unwrap_or(0);
    let call_back_log = match (latest, entry.callback_event_id) {
        (Some(event), _) if event.attempt_log.is_some() => Some(callback_log_of(event)),
        (_, Some(event_id)) if attempts > 0 => {
            Some(ArrayOfCallBackLogInfo(vec![CallBackLogInfo {
                call_back_log_id: event_id,
                date: entry.last_attempt.into(),
                call_number: short(Some(attempts)),
                return_code: int(entry.last_http_status),
                message: message(entry.last_response_body.as_deref(), None),
            }]))
        }
        _ => None,
    };
    Ok(CallBackQueueIDInfo {
        call_back_queue_id: i64::from(info.call_back_event_id),
        date: entry.queued_at.or(info.created.0).into(),
        calls_remaining: short(entry.retries_remaining.or(entry.callback.retries)),
        next_call: entry.next_attempt.into(),
        status: status_callback(delivery, is_test),
        object_id: entry.object_id.unwrap_or(0),
        user_id: info.user_id,
        test: is_test,
        call_back_log,
        call_back_event: Some(Box::new(info)),
    })
}

/// `CallBackQueueIDInfo` of one event (delivery) of `event-list` or
/// `get-event-by-id` (no `CallBackEvent`, `UserID` 0: the caller fills it
/// when it has the registration).
pub fn callback_queue_id_info_of_event(
    event: &CallbackEvent,
) -> Result<CallBackQueueIDInfo, Fault> {
    let callback_id = event
        .callback_id()
        .ok_or_else(|| Fault::server("upstream event has no callbackId"))?;
    let delivery: Option<DeliveryStatus> = upstream_opt("status", event.status.as_deref())?;
    let is_test = event.is_test.unwrap_or(false);
    let call_back_log = if event.attempt_log.is_some() {
        Some(callback_log_of(event))
    } else {
        match (event.callback_event_id, event.attempts.unwrap_or(0)) {
            (Some(id), attempts) if attempts > 0 => {
                Some(ArrayOfCallBackLogInfo(vec![CallBackLogInfo {
                    call_back_log_id: id,
                    date: event.last_attempt.or(event.delivered).into(),
                    call_number: short(Some(attempts)),
                    return_code: int(event.http_status),
                    message: message(event.response_body.as_deref(), event.message.as_deref()),
                }]))
            }
            _ => None,
        }
    };
    Ok(CallBackQueueIDInfo {
        call_back_queue_id: callback_id,
        date: event.created.into(),
        call_back_event: None,
        calls_remaining: short(event.retries_remaining),
        next_call: event.next_attempt.into(),
        status: status_callback(delivery, is_test),
        object_id: event.object_id.unwrap_or(0),
        user_id: 0,
        test: is_test,
        call_back_log,
    })
}

/// `CallBackQueueIDInfo` of the answer of `POST /v2/callbacks/test` for
/// callback `callback_id`: `Test` true, one log entry with the endpoint's
/// status (0 when no response came) and its body (or why there was no
/// response).
pub fn callback_queue_id_info_of_test(
    callback_id: i64,
    result: &TestResult,
) -> Result<CallBackQueueIDInfo, Fault> {
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
    Ok(CallBackQueueIDInfo {
        call_back_queue_id: result
            .callback_id_field
            .or(result.call_back_queue_id)
            .unwrap_or(callback_id),
        date: result.tested_at.into(),
        call_back_event: None,
        calls_remaining: 0,
        next_call: XsDateTime(None),
        status,
        object_id: 0,
        user_id: 0,
        test: true,
        call_back_log: Some(ArrayOfCallBackLogInfo(vec![CallBackLogInfo {
            call_back_log_id: result.delivery_id.unwrap_or(0),
            date: result.tested_at.into(),
            call_number: 1,
            return_code: int(result.http_status),
            message: message(result.response_body.as_deref(), result.message.as_deref()),
        }])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::WriteXml;
    use crate::soap::writer::XmlWriter;
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
        let info = callback_event_id_info(&record(json!({
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
            info.http_authentication,
            Some(Box::new(HTTPAuthInfo {
                r#type: HttpAuthType::Basic,
                user: Some("u".into()),
                password: None,
            }))
        );
    }

    #[test]
    fn every_guide_event_crosses_to_object_direction_and_status_code() {
        for &guide in CallBackEventType::ALL {
            let info = callback_event_id_info(&record(json!({
                "callBackQueueId": 1, "callBackUrl": "https://a/h",
                "callBackEvent": guide.as_str(), "status": "Active"
            })))
            .unwrap();
            let (object, direction) = guide.object_and_direction();
            assert_eq!(
                (info.system_object, info.direction, info.status_code),
                (object, direction, Some(guide.as_str().to_string()))
            );
            assert_eq!(info.http_authentication, None);
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
            let fault = callback_event_id_info(&record(body)).unwrap_err();
            assert_eq!(fault.code, crate::soap::FaultCode::Server);
            assert!(
                fault.message.contains(&format!("`{field}`")),
                "{}",
                fault.message
            );
        }
        let event: CallbackEvent =
            serde_json::from_value(json!({"callbackId": 1, "status": "lost"})).unwrap();
        let fault = callback_queue_id_info_of_event(&event).unwrap_err();
        assert!(fault.message.contains("`status`"), "{}", fault.message);
    }

    #[test]
    fn test_results_are_completed_only_when_delivered() {
        let ok: TestResult = serde_json::from_value(json!({
            "callbackId": 7, "httpStatus": 200, "responseBody": "OK", "status": "delivered",
            "deliveryId": 88, "testedAt": "2026-05-07T12:00:00Z"
        }))
        .unwrap();
        let info = callback_queue_id_info_of_test(7, &ok).unwrap();
        assert_eq!(info.status, StatusCallBack::Completed);
        assert!(info.test);
        let log = &info.call_back_log.unwrap().0[0];
        assert_eq!(
            (
                log.call_back_log_id,
                log.return_code,
                log.message.as_deref()
            ),
            (88, 200, Some("OK"))
        );

        let refused: TestResult = serde_json::from_value(json!({
            "callbackId": 7, "httpStatus": null, "responseBody": null,
            "status": "dead_letter", "message": "connection refused"
        }))
        .unwrap();
        let info = callback_queue_id_info_of_test(7, &refused).unwrap();
        assert_eq!(info.status, StatusCallBack::Error);
        let log = &info.call_back_log.unwrap().0[0];
        assert_eq!(
            (log.return_code, log.message.as_deref()),
            (0, Some("connection refused"))
        );

        // No (ext) status: judged by the HTTP status.
        let bare: TestResult =
            serde_json::from_value(json!({"callbackId": 7, "httpStatus": 500})).unwrap();
        assert_eq!(
            callback_queue_id_info_of_test(7, &bare).unwrap().status,
            StatusCallBack::Error
        );
    }

    #[test]
    fn written_in_wsdl_order_without_password() {
        let info = callback_event_id_info(&record(json!({
            "callbackId": 7001, "url": "https://a/h", "event": "Parcel",
            "callBackEvent": "InBox", "httpAuthType": "Basic", "username": "u", "password": "p"
        })))
        .unwrap();
        let mut w = XmlWriter::default();
        info.write_xml(&mut w, "X");
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

    #[test]
    fn a_callback_id_beyond_s_int_is_a_server_fault_not_a_wrapped_id() {
        let fault = callback_event_id_info(&record(json!({
            "callbackId": 2_147_483_648i64, "event": "Parcel"
        })))
        .unwrap_err();
        assert_eq!(fault.code, crate::soap::FaultCode::Server);
        assert!(
            fault.message.contains("2147483648 does not fit"),
            "{}",
            fault.message
        );
    }
}
