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
use crate::soap::writer::{format_datetime, WriteBody, XmlWriter};
use crate::soap::{Fault, Params};

use super::callback_types::{
    upstream_enum, write_event_array, write_queue_array, EventIdInfo, QueueIdInfo,
};
use super::{Context, Operation};

/// `Some(id)` for a scope id other than 0 ("all").
fn scope(params: &Params, name: &str) -> Result<Option<i32>, Fault> {
    Ok(params.int::<i32>(name)?.filter(|&id| id != 0))
}

/// A `CallBackEventListEx` request.
pub struct CallBackEventListEx {
    session_id: Option<String>,
    filter: QueueListFilter,
    show_inactive: bool,
}

/// `CallBackEventListExResult` (`ArrayOfCallBackEventIDInfo`).
pub struct CallBackEventListExResponse(Vec<EventIdInfo>);

impl Operation for CallBackEventListEx {
    const NAME: &'static str = "CallBackEventListEx";
    type Response = CallBackEventListExResponse;

    fn parse(params: &Params) -> Result<Self, Fault> {
        let show_inactive = params.bool("ShowInactive")?.unwrap_or(false);
        Ok(CallBackEventListEx {
            session_id: params.get("SessionID").map(str::to_string),
            filter: QueueListFilter {
                network_id: scope(params, "NetworkID")?,
                mailbox_id: scope(params, "MailboxID")?,
                status: (!show_inactive).then(|| Status::Active.as_str().to_string()),
            },
            show_inactive,
        })
    }

    async fn call(self, ctx: &Context) -> Result<CallBackEventListExResponse, Fault> {
        let filter = &self.filter;
        let entries = ctx
            .call_as(self.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.queue_list_all(&auth, filter).await
            })
            .await?;
        let mut list = Vec::with_capacity(entries.len());
        for entry in &entries {
            let info = EventIdInfo::from_record(&entry.callback)?;
            if self.show_inactive || info.status == Status::Active {
                list.push(info);
            }
        }
        Ok(CallBackEventListExResponse(list))
    }
}

impl WriteBody for CallBackEventListExResponse {
    fn write_body(&self, w: &mut XmlWriter) {
        write_event_array(w, "CallBackEventListExResult", &self.0);
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

/// A pending or failed list request (the plain and `Ex` forms alike).
struct QueueListRequest {
    session_id: Option<String>,
    network_id: Option<i32>,
    mailbox_id: Option<i32>,
    max_days: Option<i16>,
    keep: Keep,
}

impl QueueListRequest {
    fn parse(params: &Params, keep: Keep, ex: bool) -> Result<Self, Fault> {
        let (network_id, mailbox_id) = if ex {
            (scope(params, "NetworkID")?, scope(params, "MailboxID")?)
        } else {
            (None, None)
        };
        let max_days = match keep {
            Keep::Open => None,
            Keep::DeadLetter => {
                let days = params.int::<i16>("MaxDays")?.unwrap_or(0);
                if days < 0 {
                    return Err(Fault::invalid(format!(
                        "parameter MaxDays must be 0 (no date limit) or more, got {days}"
                    )));
                }
                Some(days).filter(|&d| d > 0)
            }
        };
        Ok(QueueListRequest {
            session_id: params.get("SessionID").map(str::to_string),
            network_id,
            mailbox_id,
            max_days,
            keep,
        })
    }

    async fn run(self, ctx: &Context) -> Result<Vec<QueueIdInfo>, Fault> {
        let begin_date = self
            .max_days
            .map(|days| format_datetime(ctx.now() - time::Duration::days(i64::from(days))));
        let mut by_id: BTreeMap<(Option<time::OffsetDateTime>, i64), CallbackEvent> =
            BTreeMap::new();
        for status in self.keep.statuses() {
            let filter = EventListFilter {
                mailbox_id: self.mailbox_id,
                begin_date: begin_date.clone(),
                callback_id: None,
                status: Some(status.as_str().to_string()),
            };
            let filter = &filter;
            let events = ctx
                .call_as(self.session_id.as_deref(), |auth: Auth| async move {
                    ctx.rest.event_list_all(&auth, filter).await
                })
                .await?;
            for event in events {
                let Some(id) = event.callback_event_id else {
                    continue;
                };
                let delivery: DeliveryStatus =
                    upstream_enum("status", event.status.as_deref().unwrap_or(""))?;
                let in_network = match (self.network_id, event.network_id) {
                    (Some(wanted), Some(actual)) => wanted == actual,
                    _ => true,
                };
                if self.keep.statuses().contains(&delivery) && in_network {
                    by_id.insert((event.created, id), event);
                }
            }
        }
        by_id.values().map(QueueIdInfo::from_event).collect()
    }
}

macro_rules! queue_list_op {
    ($(#[$doc:meta])* $name:ident, $response:ident, $result:literal, $keep:expr, $ex:expr) => {
        $(#[$doc])*
        pub struct $name(QueueListRequest);

        #[doc = concat!("`", $result, "` (`ArrayOfCallBackQueueIDInfo`).")]
        pub struct $response(Vec<QueueIdInfo>);

        impl Operation for $name {
            const NAME: &'static str = stringify!($name);
            type Response = $response;

            fn parse(params: &Params) -> Result<Self, Fault> {
                QueueListRequest::parse(params, $keep, $ex).map($name)
            }

            async fn call(self, ctx: &Context) -> Result<$response, Fault> {
                self.0.run(ctx).await.map($response)
            }
        }

        impl WriteBody for $response {
            fn write_body(&self, w: &mut XmlWriter) {
                write_queue_array(w, $result, &self.0);
            }
        }
    };
}

queue_list_op!(
    /// A `CallBackPendingList` request.
    CallBackPendingList, CallBackPendingListResponse, "CallBackPendingListResult", Keep::Open, false
);
queue_list_op!(
    /// A `CallBackPendingListEx` request.
    CallBackPendingListEx, CallBackPendingListExResponse, "CallBackPendingListExResult", Keep::Open, true
);
queue_list_op!(
    /// A `CallBackFailedList` request.
    CallBackFailedList, CallBackFailedListResponse, "CallBackFailedListResult", Keep::DeadLetter, false
);
queue_list_op!(
    /// A `CallBackFailedListEx` request.
    CallBackFailedListEx, CallBackFailedListExResponse, "CallBackFailedListExResult", Keep::DeadLetter, true
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_inactive_false_asks_for_active_only_and_zero_scopes_mean_all() {
        let p = Params::from_pairs([
            ("NetworkID", "0"),
            ("MailboxID", "101"),
            ("ShowInactive", "false"),
        ]);
        let op = CallBackEventListEx::parse(&p).unwrap();
        assert_eq!(
            op.filter,
            QueueListFilter {
                mailbox_id: Some(101),
                network_id: None,
                status: Some("Active".into())
            }
        );
        let p = Params::from_pairs([("ShowInactive", "true")]);
        assert_eq!(CallBackEventListEx::parse(&p).unwrap().filter.status, None);
    }

    #[test]
    fn max_days_zero_is_unbounded_and_negative_is_refused() {
        let p = Params::from_pairs([("MaxDays", "0")]);
        assert_eq!(
            QueueListRequest::parse(&p, Keep::DeadLetter, false)
                .unwrap()
                .max_days,
            None
        );
        let p = Params::from_pairs([("MaxDays", "7")]);
        assert_eq!(
            QueueListRequest::parse(&p, Keep::DeadLetter, false)
                .unwrap()
                .max_days,
            Some(7)
        );
        let p = Params::from_pairs([("MaxDays", "-1")]);
        assert!(QueueListRequest::parse(&p, Keep::DeadLetter, false)
            .err()
            .unwrap()
            .message
            .contains("MaxDays must be 0"));
    }

    #[test]
    fn keep_sets() {
        assert!(Keep::Open.statuses().iter().all(|s| s.is_open()));
        assert_eq!(Keep::DeadLetter.statuses(), &[DeliveryStatus::DeadLetter]);
    }
}
