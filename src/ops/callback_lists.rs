//! Callback lists: `CallBackEventListEx`, `CallBackPendingList(Ex)` and
//! `CallBackFailedList(Ex)`.
//!
//! Every list reads all pages of its REST list, bounded by
//! [`MAX_PAGES`](crate::rest::callbacks::MAX_PAGES) pages of
//! [`MAX_PAGE_SIZE`](crate::rest::callbacks::MAX_PAGE_SIZE), and filters
//! again here so an upstream that ignores an *(ext)* filter still gives the
//! right answer. `NetworkID` / `MailboxID` 0 mean "all".
//!
//! * `CallBackEventListEx(NetworkID, MailboxID, ShowInactive)` →
//!   `queue-list` → `ArrayOfCallBackEventIDInfo`; without `ShowInactive`
//!   only `Active` callbacks are listed.
//! * `CallBackPendingList()` / `CallBackPendingListEx(NetworkID, MailboxID)`
//!   → `event-list {status}` once per open delivery status (`pending`,
//!   `failed`, `rate_limited`) → `ArrayOfCallBackQueueIDInfo`, oldest first.
//! * `CallBackFailedList(MaxDays)` / `CallBackFailedListEx(NetworkID,
//!   MailboxID, MaxDays)` → `event-list {beginDate: now − MaxDays days,
//!   status: dead_letter}` keeping `dead_letter` deliveries, oldest first.
//!   `MaxDays` 0 sets no lower date bound.

use std::collections::BTreeMap;

use crate::domain::{DeliveryStatus, Status};
use crate::rest::callbacks::{CallbackEvent, EventListFilter, QueueListFilter};
use crate::rest::Auth;
use crate::schema::requests::{
    CallBackEventListExRequest, CallBackFailedListExRequest, CallBackFailedListRequest,
    CallBackPendingListExRequest, CallBackPendingListRequest,
};
use crate::schema::responses::{
    CallBackEventListExResponse, CallBackFailedListExResponse, CallBackFailedListResponse,
    CallBackPendingListExResponse, CallBackPendingListResponse,
};
use crate::schema::types::{ArrayOfCallBackEventIDInfo, ArrayOfCallBackQueueIDInfo};
use crate::soap::writer::format_datetime;
use crate::soap::{Fault, Params};

use super::callback_types::{
    callback_event_id_info, callback_queue_id_info_of_event, upstream_enum,
};
use super::{Context, Operation};

/// `Some(id)` for a scope id other than 0 ("all").
fn scope(id: i32) -> Option<i32> {
    Some(id).filter(|&id| id != 0)
}

/// A `CallBackEventListEx` request: the generated `CallBackEventListExRequest`.
pub use crate::schema::requests::CallBackEventListExRequest as CallBackEventListEx;

impl Operation for CallBackEventListEx {
    const NAME: &'static str = "CallBackEventListEx";
    type Response = CallBackEventListExResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        CallBackEventListExRequest::parse(params)
    }

    async fn call(self, ctx: &Context) -> Result<CallBackEventListExResponse, Fault> {
        let filter = &queue_list_filter(&self);
        let entries = ctx
            .call_as(self.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.queue_list_all(&auth, filter).await
            })
            .await?;
        let mut list = Vec::with_capacity(entries.len());
        for entry in &entries {
            let info = callback_event_id_info(&entry.callback)?;
            if self.show_inactive || info.status == Status::Active {
                list.push(info);
            }
        }
        let result = Some(ArrayOfCallBackEventIDInfo(list));
        Ok(CallBackEventListExResponse { result })
    }
}

/// The `queue-list` filter of a `CallBackEventListEx`: its scope, and
/// `Active` only unless `ShowInactive`.
fn queue_list_filter(request: &CallBackEventListEx) -> QueueListFilter {
    QueueListFilter {
        network_id: scope(request.network_id),
        mailbox_id: scope(request.mailbox_id),
        status: (!request.show_inactive).then(|| Status::Active.as_str().to_string()),
    }
}

/// Which deliveries a queue list keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// `pending`, `failed`, `rate_limited`.
    Open,
    /// `dead_letter`.
    DeadLetter,
}

impl Keep {
    fn statuses(self) -> &'static [DeliveryStatus] {
        match self {
            Keep::Open => &[
                DeliveryStatus::Pending,
                DeliveryStatus::Failed,
                DeliveryStatus::RateLimited,
            ],
            Keep::DeadLetter => &[DeliveryStatus::DeadLetter],
        }
    }
}

/// What a pending or failed list asks for (the plain and `Ex` forms alike).
struct QueueList<'a> {
    session_id: Option<&'a str>,
    network_id: i32,
    mailbox_id: i32,
    /// 0: no lower date bound.
    max_days: i16,
    keep: Keep,
}

/// Refuses a negative `MaxDays` (0 means no date limit).
fn check_max_days(days: i16) -> Result<(), Fault> {
    if days < 0 {
        return Err(Fault::invalid(format!(
            "parameter MaxDays must be 0 (no date limit) or more, got {days}"
        )));
    }
    Ok(())
}

impl QueueList<'_> {
    async fn run(self, ctx: &Context) -> Result<Option<ArrayOfCallBackQueueIDInfo>, Fault> {
        let begin_date = (self.max_days > 0)
            .then(|| format_datetime(ctx.now() - time::Duration::days(i64::from(self.max_days))));
        let (network_id, mailbox_id) = (scope(self.network_id), scope(self.mailbox_id));
        let mut by_id: BTreeMap<(Option<time::OffsetDateTime>, i64), CallbackEvent> =
            BTreeMap::new();
        for status in self.keep.statuses() {
            let filter = EventListFilter {
                mailbox_id,
                begin_date: begin_date.clone(),
                callback_id: None,
                status: Some(status.as_str().to_string()),
            };
            let filter = &filter;
            let events = ctx
                .call_as(self.session_id, |auth: Auth| async move {
                    ctx.rest.event_list_all(&auth, filter).await
                })
                .await?;
            for event in events {
                let Some(id) = event.callback_event_id else {
                    continue;
                };
                let delivery: DeliveryStatus =
                    upstream_enum("status", event.status.as_deref().unwrap_or(""))?;
                let in_network = match (network_id, event.network_id) {
                    (Some(wanted), Some(actual)) => wanted == actual,
                    _ => true,
                };
                if self.keep.statuses().contains(&delivery) && in_network {
                    by_id.insert((event.created, id), event);
                }
            }
        }
        let list = by_id.values().map(callback_queue_id_info_of_event);
        Ok(Some(ArrayOfCallBackQueueIDInfo(
            list.collect::<Result<_, _>>()?,
        )))
    }
}

/// A `CallBackPendingList` request: the generated `CallBackPendingListRequest`.
pub use crate::schema::requests::CallBackPendingListRequest as CallBackPendingList;

impl Operation for CallBackPendingList {
    const NAME: &'static str = "CallBackPendingList";
    type Response = CallBackPendingListResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        CallBackPendingListRequest::parse(params)
    }

    async fn call(self, ctx: &Context) -> Result<CallBackPendingListResponse, Fault> {
        let list = QueueList {
            session_id: self.session_id.as_deref(),
            network_id: 0,
            mailbox_id: 0,
            max_days: 0,
            keep: Keep::Open,
        };
        let result = list.run(ctx).await?;
        Ok(CallBackPendingListResponse { result })
    }
}

/// A `CallBackPendingListEx` request: the generated `CallBackPendingListExRequest`.
pub use crate::schema::requests::CallBackPendingListExRequest as CallBackPendingListEx;

impl Operation for CallBackPendingListEx {
    const NAME: &'static str = "CallBackPendingListEx";
    type Response = CallBackPendingListExResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        CallBackPendingListExRequest::parse(params)
    }

    async fn call(self, ctx: &Context) -> Result<CallBackPendingListExResponse, Fault> {
        let list = QueueList {
            session_id: self.session_id.as_deref(),
            network_id: self.network_id,
            mailbox_id: self.mailbox_id,
            max_days: 0,
            keep: Keep::Open,
        };
        let result = list.run(ctx).await?;
        Ok(CallBackPendingListExResponse { result })
    }
}

/// A `CallBackFailedList` request: the generated `CallBackFailedListRequest`,
/// with `MaxDays` 0 or more.
pub use crate::schema::requests::CallBackFailedListRequest as CallBackFailedList;

impl Operation for CallBackFailedList {
    const NAME: &'static str = "CallBackFailedList";
    type Response = CallBackFailedListResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        let request = CallBackFailedListRequest::parse(params)?;
        check_max_days(request.max_days)?;
        Ok(request)
    }

    async fn call(self, ctx: &Context) -> Result<CallBackFailedListResponse, Fault> {
        let list = QueueList {
            session_id: self.session_id.as_deref(),
            network_id: 0,
            mailbox_id: 0,
            max_days: self.max_days,
            keep: Keep::DeadLetter,
        };
        let result = list.run(ctx).await?;
        Ok(CallBackFailedListResponse { result })
    }
}

/// A `CallBackFailedListEx` request: the generated
/// `CallBackFailedListExRequest`, with `MaxDays` 0 or more.
pub use crate::schema::requests::CallBackFailedListExRequest as CallBackFailedListEx;

impl Operation for CallBackFailedListEx {
    const NAME: &'static str = "CallBackFailedListEx";
    type Response = CallBackFailedListExResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        let request = CallBackFailedListExRequest::parse(params)?;
        check_max_days(request.max_days)?;
        Ok(request)
    }

    async fn call(self, ctx: &Context) -> Result<CallBackFailedListExResponse, Fault> {
        let list = QueueList {
            session_id: self.session_id.as_deref(),
            network_id: self.network_id,
            mailbox_id: self.mailbox_id,
            max_days: self.max_days,
            keep: Keep::DeadLetter,
        };
        let result = list.run(ctx).await?;
        Ok(CallBackFailedListExResponse { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_inactive_false_asks_for_active_only_and_zero_scopes_mean_all() {
        let mut p = Params::from_pairs([
            ("NetworkID", "0"),
            ("MailboxID", "101"),
            ("ShowInactive", "false"),
        ]);
        let op = <CallBackEventListEx as Operation>::parse(&mut p).unwrap();
        assert_eq!(
            queue_list_filter(&op),
            QueueListFilter {
                mailbox_id: Some(101),
                network_id: None,
                status: Some("Active".into())
            }
        );
        let mut p = Params::from_pairs([("ShowInactive", "true")]);
        let op = <CallBackEventListEx as Operation>::parse(&mut p).unwrap();
        assert_eq!(queue_list_filter(&op).status, None);
    }

    #[test]
    fn max_days_zero_is_unbounded_and_negative_is_refused() {
        let mut p = Params::from_pairs([("MaxDays", "0")]);
        let op = <CallBackFailedList as Operation>::parse(&mut p).unwrap();
        assert_eq!(op.max_days, 0);
        let mut p = Params::from_pairs([("MaxDays", "7"), ("NetworkID", "1")]);
        let op = <CallBackFailedListEx as Operation>::parse(&mut p).unwrap();
        assert_eq!((op.max_days, op.network_id), (7, 1));
        let mut p = Params::from_pairs([("MaxDays", "-1")]);
        for fault in [
            <CallBackFailedList as Operation>::parse(&mut p).err(),
            <CallBackFailedListEx as Operation>::parse(&mut p).err(),
        ] {
            assert!(fault.unwrap().message.contains("MaxDays must be 0"));
        }
    }

    #[test]
    fn keep_sets() {
        assert!(Keep::Open.statuses().iter().all(|s| s.is_open()));
        assert_eq!(Keep::DeadLetter.statuses(), &[DeliveryStatus::DeadLetter]);
    }
}
