//! One callback by id: `CallBackQueueInfo`, `CallBackEventInfo` and
//! `CallBackEventSetStatus`.
//!
//! * `CallBackQueueInfo(CallBackQueueID)` → `GET get-queue-by-id` (the queue
//!   entry: the callback and its latest delivery) and, when the entry names
//!   that delivery's `callbackEventId`, `POST get-event-by-id` for its
//!   `attemptLog`: one `CallBackLog` entry per attempt.
//! * `CallBackEventInfo(CallBackEventID, QueueCount)` → `get-queue-by-id`
//!   for the registration, and `event-list {callbackId}` (also filtered
//!   here, for an upstream that ignores the *(ext)* filter) for its latest
//!   `QueueCount` deliveries, newest first, in `CallBackQueue`
//!   (`QueueCount` 0 leaves `CallBackQueue` out).
//! * `CallBackEventSetStatus(CallBackEventID, Status)` → `POST update
//!   {callbackId, status}` → `true` (v4.1 only).
//!
//! `CallBackQueueID` and `CallBackEventID` are both the REST `callbackId`.

use std::cmp::Reverse;

use crate::domain::Status;
use crate::rest::callbacks::{EventListFilter, UpdateCallback};
use crate::rest::Auth;
use crate::soap::writer::{WriteBody, XmlWriter};
use crate::soap::{Fault, Params};

use super::callback_types::{EventIdInfo, QueueIdInfo};
use super::{Context, Operation};

/// A `CallBackQueueInfo` request.
pub struct CallBackQueueInfo {
    session_id: Option<String>,
    callback_id: i64,
}

/// `CallBackQueueInfoResult` (`CallBackQueueIDInfo`).
pub struct CallBackQueueInfoResponse(QueueIdInfo);

impl Operation for CallBackQueueInfo {
    const NAME: &'static str = "CallBackQueueInfo";
    type Response = CallBackQueueInfoResponse;

    fn parse(params: &Params) -> Result<Self, Fault> {
        Ok(CallBackQueueInfo {
            session_id: params.get("SessionID").map(str::to_string),
            callback_id: params.required_int::<i64>("CallBackQueueID")?,
        })
    }

    async fn call(self, ctx: &Context) -> Result<CallBackQueueInfoResponse, Fault> {
        let session = self.session_id.as_deref();
        let id = self.callback_id;
        let entry = ctx
            .call_as(session, |auth: Auth| async move {
                ctx.rest.queue_entry(&auth, id).await
            })
            .await?;
        let latest = match entry.callback_event_id {
            Some(event_id) => Some(
                ctx.call_as(session, |auth: Auth| async move {
                    ctx.rest.callback_event(&auth, event_id).await
                })
                .await?,
            ),
            None => None,
        };
        Ok(CallBackQueueInfoResponse(QueueIdInfo::from_queue_entry(
            &entry,
            latest.as_ref(),
        )?))
    }
}

impl WriteBody for CallBackQueueInfoResponse {
    fn write_body(&self, w: &mut XmlWriter) {
        self.0.write(w, "CallBackQueueInfoResult");
    }
}

/// A `CallBackEventInfo` request.
pub struct CallBackEventInfo {
    session_id: Option<String>,
    callback_id: i64,
    queue_count: usize,
}

/// `CallBackEventInfoResult` (`CallBackEventIDInfo` with `CallBackQueue`).
pub struct CallBackEventInfoResponse(EventIdInfo);

impl Operation for CallBackEventInfo {
    const NAME: &'static str = "CallBackEventInfo";
    type Response = CallBackEventInfoResponse;

    fn parse(params: &Params) -> Result<Self, Fault> {
        let queue_count = params.int::<i16>("QueueCount")?.unwrap_or(0);
        let queue_count = usize::try_from(queue_count).map_err(|_| {
            Fault::invalid(format!(
                "parameter QueueCount must be 0 or more (how many of the latest deliveries to list), got {queue_count}"
            ))
        })?;
        Ok(CallBackEventInfo {
            session_id: params.get("SessionID").map(str::to_string),
            callback_id: i64::from(params.required_int::<i32>("CallBackEventID")?),
            queue_count,
        })
    }

    async fn call(self, ctx: &Context) -> Result<CallBackEventInfoResponse, Fault> {
        let session = self.session_id.as_deref();
        let id = self.callback_id;
        let entry = ctx
            .call_as(session, |auth: Auth| async move {
                ctx.rest.queue_entry(&auth, id).await
            })
            .await?;
        let mut info = EventIdInfo::from_record(&entry.callback)?;
        if self.queue_count > 0 {
            let filter = EventListFilter {
                callback_id: Some(id),
                ..EventListFilter::default()
            };
            let filter = &filter;
            let mut events = ctx
                .call_as(session, |auth: Auth| async move {
                    ctx.rest.event_list_all(&auth, filter).await
                })
                .await?;
            events.retain(|e| e.callback_id() == Some(id));
            events.sort_by_key(|e| Reverse((e.created, e.callback_event_id)));
            events.truncate(self.queue_count);
            let mut queue = Vec::with_capacity(events.len());
            for event in &events {
                let mut item = QueueIdInfo::from_event(event)?;
                item.user_id = info.user_id;
                queue.push(item);
            }
            info.queue = Some(queue);
        }
        Ok(CallBackEventInfoResponse(info))
    }
}

impl WriteBody for CallBackEventInfoResponse {
    fn write_body(&self, w: &mut XmlWriter) {
        self.0.write(w, "CallBackEventInfoResult");
    }
}

/// A `CallBackEventSetStatus` request.
pub struct CallBackEventSetStatus {
    session_id: Option<String>,
    body: UpdateCallback,
}

/// `CallBackEventSetStatusResult`: `true` once the upstream took it.
pub struct CallBackEventSetStatusResponse;

impl Operation for CallBackEventSetStatus {
    const NAME: &'static str = "CallBackEventSetStatus";
    type Response = CallBackEventSetStatusResponse;

    fn parse(params: &Params) -> Result<Self, Fault> {
        let callback_id = i64::from(params.required_int::<i32>("CallBackEventID")?);
        let status: Status = params.required_enumeration("Status")?;
        Ok(CallBackEventSetStatus {
            session_id: params.get("SessionID").map(str::to_string),
            body: UpdateCallback {
                callback_id,
                status: Some(status.as_str().to_string()),
            },
        })
    }

    async fn call(self, ctx: &Context) -> Result<CallBackEventSetStatusResponse, Fault> {
        let body = &self.body;
        ctx.call_as(self.session_id.as_deref(), |auth: Auth| async move {
            ctx.rest.update_callback(&auth, body).await
        })
        .await?;
        Ok(CallBackEventSetStatusResponse)
    }
}

impl WriteBody for CallBackEventSetStatusResponse {
    fn write_body(&self, w: &mut XmlWriter) {
        w.boolean("CallBackEventSetStatusResult", true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_count_must_not_be_negative() {
        let p = Params::from_pairs([("CallBackEventID", "1"), ("QueueCount", "-1")]);
        let fault = CallBackEventInfo::parse(&p).err().unwrap();
        assert!(
            fault.message.contains("QueueCount must be 0 or more"),
            "{}",
            fault.message
        );
        let p = Params::from_pairs([("CallBackEventID", "1"), ("QueueCount", "5")]);
        assert_eq!(CallBackEventInfo::parse(&p).unwrap().queue_count, 5);
    }

    #[test]
    fn set_status_crosses_status_by_name() {
        let p = Params::from_pairs([("CallBackEventID", "7"), ("Status", "suspended")]);
        let op = CallBackEventSetStatus::parse(&p).unwrap();
        assert_eq!(
            serde_json::to_value(&op.body).unwrap(),
            serde_json::json!({"callbackId": 7, "status": "Suspended"})
        );
        let bad = Params::from_pairs([("CallBackEventID", "7"), ("Status", "Paused")]);
        let fault = CallBackEventSetStatus::parse(&bad).err().unwrap();
        assert!(fault
            .message
            .contains("Development, Active, Preproduction, Suspended, Terminated"));
    }
}
