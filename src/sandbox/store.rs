//! In-memory callbacks and events (deliveries), and their JSON shapes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Instant;

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::envelope::{fmt_time, time_json};
use crate::domain::{CallBackEventType, DeliveryStatus, Direction, HttpAuthType, Objects, Status};

/// First callback id.
pub(crate) const FIRST_CALLBACK_ID: i32 = 7001;
/// First event id.
pub(crate) const FIRST_EVENT_ID: i64 = 88001;

/// One callback registration.
#[derive(Clone)]
pub(crate) struct Callback {
    pub id: i32,
    /// Owning account (index into `Shared::accounts`).
    pub owner: usize,
    pub url: String,
    pub object: Objects,
    pub direction: Direction,
    /// Guide event name given at create/update (`callBackEvent`).
    pub guide: Option<CallBackEventType>,
    pub network_id: i32,
    pub mailbox_id: i32,
    pub ecgrid_id: i32,
    pub user_id: i32,
    pub auth: HttpAuthType,
    pub username: Option<String>,
    pub password: Option<String>,
    pub status: Status,
    pub frequency: u32,
    pub retries: u32,
    pub object_status: i32,
    pub created: OffsetDateTime,
    pub modified: OffsetDateTime,
    /// Latest delivery (event) of this callback.
    pub latest_event: Option<i64>,
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("id", &self.id)
            .field("object", &self.object)
            .field("direction", &self.direction)
            .field("status", &self.status)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Callback {
    /// The guide name: explicit, or derived from object + direction.
    pub fn guide_name(&self) -> Option<CallBackEventType> {
        self.guide
            .or_else(|| CallBackEventType::from_object_and_direction(self.object, self.direction))
    }

    /// HTTP Basic credentials, when registered.
    pub fn basic_credentials(&self) -> Option<(String, String)> {
        match (self.auth, &self.username, &self.password) {
            (HttpAuthType::Basic, Some(u), Some(p)) => Some((u.clone(), p.clone())),
            _ => None,
        }
    }

    /// The callback record of docs/REST.md (never the password).
    pub fn record_json(&self) -> Value {
        json!({
            "callbackId": self.id,
            "callBackQueueId": self.id,
            "url": self.url,
            "callBackUrl": self.url,
            "event": self.object,
            "callBackEvent": self.guide_name(),
            "direction": self.direction,
            "networkId": self.network_id,
            "mailboxId": self.mailbox_id,
            "ecGridId": self.ecgrid_id,
            "userId": self.user_id,
            "httpAuthType": self.auth,
            "username": self.username,
            "status": self.status,
            "frequency": self.frequency,
            "retries": self.retries,
            "objectStatus": self.object_status,
            "created": fmt_time(self.created),
            "modified": fmt_time(self.modified),
        })
    }

    /// The queue entry: the record plus its latest delivery.
    pub fn queue_entry_json(&self, latest: Option<&Event>) -> Value {
        json!({
            "callbackId": self.id,
            "callBackQueueId": self.id,
            "url": self.url,
            "event": self.object,
            "callBackEvent": self.guide_name(),
            "mailboxId": self.mailbox_id,
            "queuedAt": time_json(latest.map(|e| e.created)),
            "lastAttempt": time_json(latest.and_then(|e| e.last_attempt)),
            "attempts": latest.map(|e| e.attempts).unwrap_or(0),
            "status": self.status,
            "lastHttpStatus": latest.and_then(|e| e.http_status),
            "networkId": self.network_id,
            "direction": self.direction,
            "httpAuthType": self.auth,
            "username": self.username,
            "frequency": self.frequency,
            "retries": self.retries,
            "objectStatus": self.object_status,
            "ecGridId": self.ecgrid_id,
            "userId": self.user_id,
            "created": fmt_time(self.created),
            "modified": fmt_time(self.modified),
            "callbackEventId": latest.map(|e| e.id),
            "deliveryStatus": latest.map(|e| e.status),
            "isTest": latest.map(|e| e.is_test),
            "objectId": latest.map(|e| e.object_id),
            "retriesRemaining": latest.map(|e| e.retries_remaining()).unwrap_or(self.retries),
            "nextAttempt": time_json(latest.and_then(|e| e.next_attempt)),
            "lastResponseBody": latest.and_then(|e| e.response_body.clone()),
        })
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone)]
pub(crate) struct AttemptRecord {
    pub attempt: u32,
    pub at: OffsetDateTime,
    pub http_status: Option<u16>,
    pub response_body: Option<String>,
    pub error: Option<String>,
}

/// One event: a delivery of one notification to one callback.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub id: i64,
    pub callback_id: i32,
    pub owner: usize,
    pub object: Objects,
    pub guide: Option<CallBackEventType>,
    pub mailbox_id: i32,
    pub network_id: i32,
    pub object_id: i64,
    pub file_name: String,
    pub is_test: bool,
    pub status: DeliveryStatus,
    pub created: OffsetDateTime,
    pub delivered: Option<OffsetDateTime>,
    pub http_status: Option<u16>,
    pub attempts: u32,
    /// Attempts answered 429 (not counted against `retries`).
    pub rate_limited: u32,
    /// Attempts that failed otherwise (non-2xx other than 429, or no response).
    pub failures: u32,
    pub last_attempt: Option<OffsetDateTime>,
    pub next_attempt: Option<OffsetDateTime>,
    /// When the worker may attempt it next.
    pub next_due: Instant,
    pub response_body: Option<String>,
    pub message: Option<String>,
    /// The webhook body (JSON text).
    pub payload: String,
    pub log: Vec<AttemptRecord>,
    pub in_flight: bool,
    /// Retry budget (the callback's `retries`, refreshed at each attempt).
    pub retries: u32,
}

impl Event {
    /// Retries not yet used (429 answers do not count).
    pub fn retries_remaining(&self) -> u32 {
        let counted = self.attempts.saturating_sub(self.rate_limited);
        self.retries.saturating_sub(counted.saturating_sub(1))
    }

    /// The event JSON of docs/REST.md; `detail` adds `payload` and `attemptLog`.
    pub fn json(&self, detail: bool) -> Value {
        let mut v = json!({
            "callbackEventId": self.id,
            "callbackId": self.callback_id,
            "event": self.object,
            "mailboxId": self.mailbox_id,
            "objectId": self.object_id,
            "status": self.status,
            "created": fmt_time(self.created),
            "delivered": time_json(self.delivered),
            "httpStatus": self.http_status,
            "attempts": self.attempts,
            "lastAttempt": time_json(self.last_attempt),
            "nextAttempt": time_json(self.next_attempt),
            "isTest": self.is_test,
            "fileName": self.file_name,
            "responseBody": self.response_body,
            "retriesRemaining": self.retries_remaining(),
            "networkId": self.network_id,
            "callBackEvent": self.guide,
            "message": self.message,
        });
        if detail {
            if let Value::Object(m) = &mut v {
                m.insert("payload".into(), Value::String(self.payload.clone()));
                let log: Vec<Value> = self
                    .log
                    .iter()
                    .map(|a| {
                        json!({
                            "attempt": a.attempt,
                            "at": fmt_time(a.at),
                            "httpStatus": a.http_status,
                            "responseBody": a.response_body,
                            "error": a.error,
                        })
                    })
                    .collect();
                m.insert("attemptLog".into(), Value::Array(log));
            }
        }
        v
    }
}

/// Everything the sandbox remembers about callbacks and deliveries.
pub(crate) struct Store {
    pub callbacks: BTreeMap<i32, Callback>,
    pub events: BTreeMap<i64, Event>,
    /// Ids of non-test events whose status is open (pending/failed/rate_limited).
    pub open: BTreeSet<i64>,
    next_callback: i32,
    next_event: i64,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            callbacks: BTreeMap::new(),
            events: BTreeMap::new(),
            open: BTreeSet::new(),
            next_callback: FIRST_CALLBACK_ID,
            next_event: FIRST_EVENT_ID,
        }
    }
}

/// What a new event is about (the callback supplies the rest).
pub(crate) struct NewEvent {
    pub guide: Option<CallBackEventType>,
    pub object: Objects,
    pub mailbox_id: i32,
    pub object_id: i64,
    pub file_name: String,
    pub is_test: bool,
}

impl Store {
    /// Allocates the next callback id.
    pub fn next_callback_id(&mut self) -> i32 {
        let id = self.next_callback;
        self.next_callback = self.next_callback.saturating_add(1);
        id
    }

    /// A callback owned by `owner`, or `None` (also for another account's).
    pub fn owned(&self, id: i32, owner: usize) -> Option<&Callback> {
        self.callbacks.get(&id).filter(|c| c.owner == owner)
    }

    /// Queues a new event for callback `cb_id` (must exist) and returns its id.
    /// Test events are not put in the worker's open set.
    pub fn add_event(&mut self, cb_id: i32, new: NewEvent) -> Option<i64> {
        let cb = self.callbacks.get(&cb_id)?;
        let id = self.next_event;
        self.next_event = self.next_event.saturating_add(1);
        let now = OffsetDateTime::now_utc();
        let guide = new.guide.or_else(|| cb.guide_name());
        let payload = json!({
            "eventId": id,
            "callBackQueueId": cb.id,
            "callBackEvent": guide,
            "ecGridId": cb.ecgrid_id,
            "mailboxId": new.mailbox_id,
            "parcelId": new.object_id,
            "fileName": new.file_name,
            "eventDateTime": fmt_time(now),
            "isTest": new.is_test,
        })
        .to_string();
        let event = Event {
            id,
            callback_id: cb.id,
            owner: cb.owner,
            object: new.object,
            guide,
            mailbox_id: new.mailbox_id,
            network_id: cb.network_id,
            object_id: new.object_id,
            file_name: new.file_name,
            is_test: new.is_test,
            status: DeliveryStatus::Pending,
            created: now,
            delivered: None,
            http_status: None,
            attempts: 0,
            rate_limited: 0,
            failures: 0,
            last_attempt: None,
            next_attempt: None,
            next_due: Instant::now(),
            response_body: None,
            message: None,
            payload,
            log: Vec::new(),
            in_flight: false,
            retries: cb.retries,
        };
        if !new.is_test {
            self.open.insert(id);
        }
        self.events.insert(id, event);
        if let Some(cb) = self.callbacks.get_mut(&cb_id) {
            cb.latest_event = Some(id);
        }
        Some(id)
    }

    /// Ends an open, not-in-flight event as dead_letter with `reason`.
    pub fn dead_letter(&mut self, event_id: i64, reason: String) {
        if let Some(e) = self.events.get_mut(&event_id) {
            if e.status.is_open() && !e.in_flight {
                e.status = DeliveryStatus::DeadLetter;
                e.next_attempt = None;
                e.message = Some(reason);
                self.open.remove(&event_id);
                tracing::info!(
                    callback_event_id = event_id,
                    callback_id = e.callback_id,
                    "delivery dead-lettered"
                );
            }
        }
    }

    /// Dead-letters every open, not-in-flight event of a callback.
    pub fn dead_letter_callback(&mut self, cb_id: i32, reason: &str) {
        let ids: Vec<i64> = self
            .open
            .iter()
            .copied()
            .filter(|id| self.events.get(id).is_some_and(|e| e.callback_id == cb_id))
            .collect();
        for id in ids {
            self.dead_letter(id, reason.to_string());
        }
    }
}
