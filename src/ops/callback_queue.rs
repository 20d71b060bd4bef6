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

use crate::rest::callbacks::{EventListFilter, UpdateCallback};
use crate::rest::Auth;
use crate::schema::requests::{
    CallBackEventInfoRequest, CallBackEventSetStatusRequest, CallBackQueueInfoRequest,
};
use crate::schema::responses::{
    CallBackEventInfoResponse, CallBackEventSetStatusResponse, CallBackQueueInfoResponse,
};
use crate::schema::types::ArrayOfCallBackQueueIDInfo;
use crate::soap::{Fault, Params};

use super::callback_types::{
    callback_event_id_info, callback_queue_id_info_of_event, callback_queue_id_info_of_queue_entry,
};
use super::{Context, Operation};

/// A `CallBackQueueInfo` request: the generated `CallBackQueueInfoRequest`.
pub use crate::schema::requests::CallBackQueueInfoRequest as CallBackQueueInfo;

impl Operation for CallBackQueueInfo {
    const NAME: &'static str = "CallBackQueueInfo";
    type Response = CallBackQueueInfoResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        let request = CallBackQueueInfoRequest::parse(params)?;
        params.require("CallBackQueueID")?;
        Ok(request)
    }

    async fn call(self, ctx: &Context) -> Result<CallBackQueueInfoResponse, Fault> {
        let session = self.session_id.as_deref();
        let id = self.call_back_queue_id;
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
        let info = callback_queue_id_info_of_queue_entry(&entry, latest.as_ref())?;
        Ok(CallBackQueueInfoResponse { result: Some(info) })
    }
}

/// A `CallBackEventInfo` request: the generated `CallBackEventInfoRequest`,
/// with `CallBackEventID` required and `QueueCount` 0 or more.
pub use crate::schema::requests::CallBackEventInfoRequest as CallBackEventInfo;

impl Operation for CallBackEventInfo {
    const NAME: &'static str = "CallBackEventInfo";
    type Response = CallBackEventInfoResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        let request = CallBackEventInfoRequest::parse(params)?;
        if request.queue_count < 0 {
            return Err(Fault::invalid(format!(
                "parameter QueueCount must be 0 or more (how many of the latest deliveries to list), got {}",
                request.queue_count
            )));
        }
        params.require("CallBackEventID")?;
        Ok(request)
    }

    async fn call(self, ctx: &Context) -> Result<CallBackEventInfoResponse, Fault> {
        let session = self.session_id.as_deref();
        let id = i64::from(self.call_back_event_id);
        let entry = ctx
            .call_as(session, |auth: Auth| async move {
                ctx.rest.queue_entry(&auth, id).await
            })
            .await?;
        let mut info = callback_event_id_info(&entry.callback)?;
        // Not negative: `parse` refused that.
        let queue_count = usize::try_from(self.queue_count).unwrap_or(0);
        if queue_count > 0 {
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
            events.truncate(queue_count);
            let mut queue = Vec::with_capacity(events.len());
            for event in &events {
                let mut item = callback_queue_id_info_of_event(event)?;
                item.user_id = info.user_id;
                queue.push(item);
            }
            info.call_back_queue = Some(ArrayOfCallBackQueueIDInfo(queue));
        }
        Ok(CallBackEventInfoResponse { result: Some(info) })
    }
}

/// A `CallBackEventSetStatus` request: the generated
/// `CallBackEventSetStatusRequest`, with both parameters required.
pub use crate::schema::requests::CallBackEventSetStatusRequest as CallBackEventSetStatus;

impl Operation for CallBackEventSetStatus {
    const NAME: &'static str = "CallBackEventSetStatus";
    type Response = CallBackEventSetStatusResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        let request = CallBackEventSetStatusRequest::parse(params)?;
        params.require("CallBackEventID")?;
        params.require("Status")?;
        Ok(request)
    }

    async fn call(self, ctx: &Context) -> Result<CallBackEventSetStatusResponse, Fault> {
        let body = &update_callback(&self);
        ctx.call_as(self.session_id.as_deref(), |auth: Auth| async move {
            ctx.rest.update_callback(&auth, body).await
        })
        .await?;
        Ok(CallBackEventSetStatusResponse { result: true })
    }
}

/// The REST `update` body of a `CallBackEventSetStatus`.
fn update_callback(request: &CallBackEventSetStatus) -> UpdateCallback {
    UpdateCallback {
        callback_id: i64::from(request.call_back_event_id),
        status: Some(request.status.as_str().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_count_must_not_be_negative() {
        let mut p = Params::from_pairs([("CallBackEventID", "1"), ("QueueCount", "-1")]);
        let fault = <CallBackEventInfo as Operation>::parse(&mut p)
            .err()
            .unwrap();
        assert!(
            fault.message.contains("QueueCount must be 0 or more"),
            "{}",
            fault.message
        );
        let mut p = Params::from_pairs([("CallBackEventID", "1"), ("QueueCount", "5")]);
        assert_eq!(
            <CallBackEventInfo as Operation>::parse(&mut p)
                .unwrap()
                .queue_count,
            5
        );
    }

    #[test]
    fn set_status_crosses_status_by_name() {
        let mut p = Params::from_pairs([("CallBackEventID", "7"), ("Status", "suspended")]);
        let op = <CallBackEventSetStatus as Operation>::parse(&mut p).unwrap();
        assert_eq!(
            serde_json::to_value(update_callback(&op)).unwrap(),
            serde_json::json!({"callbackId": 7, "status": "Suspended"})
        );
        let mut bad = Params::from_pairs([("CallBackEventID", "7"), ("Status", "Paused")]);
        let fault = <CallBackEventSetStatus as Operation>::parse(&mut bad)
            .err()
            .unwrap();
        assert!(fault
            .message
            .contains("Development, Active, Preproduction, Suspended, Terminated"));
    }

    #[test]
    fn ids_and_status_are_required_not_defaulted() {
        let mut blank = Params::from_pairs([("SessionID", "S"), ("CallBackQueueID", " ")]);
        let mut no_status = Params::from_pairs([("CallBackEventID", "7")]);
        let mut no_id = Params::from_pairs([("Status", "Active")]);
        for (fault, name) in [
            (
                <CallBackQueueInfo as Operation>::parse(&mut blank).err(),
                "CallBackQueueID",
            ),
            (
                <CallBackEventInfo as Operation>::parse(&mut no_status).err(),
                "",
            ),
            (
                <CallBackEventInfo as Operation>::parse(&mut no_id).err(),
                "CallBackEventID",
            ),
            (
                <CallBackEventSetStatus as Operation>::parse(&mut no_status).err(),
                "Status",
            ),
            (
                <CallBackEventSetStatus as Operation>::parse(&mut no_id).err(),
                "CallBackEventID",
            ),
        ] {
            match fault {
                Some(fault) => assert_eq!(fault.message, format!("parameter {name} is required")),
                None => assert_eq!(name, "", "{name} accepted when missing"),
            }
        }
    }
}
