//! Callback and event endpoints, and `POST /sandbox/events`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::auth::Caller;
use super::delivery::{apply_test_outcome, attempt, AttemptJob};
use super::envelope::{fmt_time, ok, ApiError, Fields, JsonFields, Page};
use super::state::Shared;
use super::store::{Callback, NewEvent};
use super::url_rule::{check_callback_url, check_resolved_at_registration};
use crate::domain::{CallBackEventType, Direction, HttpAuthType, Objects, Status, UnknownVariant};

/// Most callbacks per account.
const MAX_CALLBACKS_PER_ACCOUNT: usize = 1_000;
/// Most open deliveries before `/sandbox/events` answers 429.
const MAX_OPEN_DELIVERIES: usize = 10_000;
/// Upper bound of `retries`.
const MAX_RETRIES: i64 = 20;
/// Upper bound of `frequency` (seconds).
const MAX_FREQUENCY: i64 = 86_400;

/// An event name: an `Objects` name or a guide name.
#[derive(Debug, Clone, Copy)]
enum EventName {
    Object(Objects),
    Guide(CallBackEventType),
}

fn parse_event_name(field: &str, raw: &str) -> Result<EventName, ApiError> {
    if let Ok(g) = raw.parse::<CallBackEventType>() {
        return Ok(EventName::Guide(g));
    }
    raw.parse::<Objects>().map(EventName::Object).map_err(|e: UnknownVariant| {
        ApiError::invalid_parameter(format!(
            "field `{field}`: '{raw}' is not a valid Objects or CallBackEvent name; accepted values: {}; or {}",
            e.accepted.join(", "),
            CallBackEventType::NAMES.join(", ")
        ))
    })
}

fn str_of(f: &Fields, names: &[&str]) -> Result<Option<(String, String)>, ApiError> {
    for n in names {
        if let Some(v) = f.opt_str(n)? {
            return Ok(Some((n.to_string(), v)));
        }
    }
    Ok(None)
}

fn callback_id(f: &Fields) -> Result<i32, ApiError> {
    f.opt_id("callbackId")?
        .or(f.opt_id("callBackQueueId")?)
        .ok_or_else(|| {
            ApiError::invalid_parameter("field `callbackId` (or `callBackQueueId`) is required")
        })
}

fn not_found(id: i32) -> ApiError {
    ApiError::not_found(format!("callback {id} not found"))
}

fn unsupported_auth(t: HttpAuthType) -> Result<(), ApiError> {
    match t {
        HttpAuthType::Digest | HttpAuthType::Certificate => Err(ApiError::invalid_parameter(
            format!("field `httpAuthType`: {t} is not supported by the sandbox; use None or Basic"),
        )),
        _ => Ok(()),
    }
}

/// The registration-time lookup of a new callback URL's host name (before
/// the store is locked: it may wait up to `url_rule::REGISTRATION_LOOKUP`).
async fn check_url_resolves(s: &Shared, f: &Fields) -> Result<(), ApiError> {
    if let Some((name, url)) = str_of(f, &["url", "callBackUrl"])? {
        let url = check_callback_url(&url, s.config.allow_http_callbacks)
            .map_err(|e| ApiError::invalid_parameter(format!("field `{name}`: {e}")))?;
        check_resolved_at_registration(&url, s.config.allow_http_callbacks)
            .await
            .map_err(|e| ApiError::invalid_parameter(format!("field `{name}`: {e}")))?;
    }
    Ok(())
}

/// Applies the fields shared by create and update onto `cb`.
fn apply_common(s: &Shared, f: &Fields, cb: &mut Callback) -> Result<(), ApiError> {
    if let Some((name, url)) = str_of(f, &["url", "callBackUrl"])? {
        let url = check_callback_url(&url, s.config.allow_http_callbacks)
            .map_err(|e| ApiError::invalid_parameter(format!("field `{name}`: {e}")))?;
        cb.url = url.to_string();
    }
    if let Some((name, ev)) = str_of(f, &["callBackEvent", "event"])? {
        match parse_event_name(&name, &ev)? {
            EventName::Guide(g) => {
                let (o, d) = g.object_and_direction();
                cb.object = o;
                cb.direction = d;
                cb.guide = Some(g);
            }
            EventName::Object(o) => {
                cb.object = o;
                cb.guide = None;
            }
        }
    }
    if let Some(d) = f.opt_enum::<Direction>("direction")? {
        if let Some(g) = cb.guide {
            if g.object_and_direction().1 != d {
                return Err(ApiError::invalid_parameter(format!(
                    "field `direction`: {d} contradicts callBackEvent {g}"
                )));
            }
        }
        cb.direction = d;
    }
    if let Some(v) = f.opt_id("mailboxId")? {
        cb.mailbox_id = v;
    }
    if let Some(v) = f.opt_id("networkId")? {
        if v != 0 {
            cb.network_id = v;
        }
    }
    if let Some(v) = f.opt_id("ecGridId")? {
        cb.ecgrid_id = v;
    }
    if let Some(v) = f.opt_id("userId")? {
        if v != 0 {
            cb.user_id = v;
        }
    }
    if let Some(v) = f.opt_int("objectStatus", i64::from(i32::MIN)..=i64::from(i32::MAX))? {
        cb.object_status = i32::try_from(v).unwrap_or(0);
    }
    if let Some(v) = f.opt_int("frequency", 0..=MAX_FREQUENCY)? {
        cb.frequency = u32::try_from(v).unwrap_or(1);
    }
    if let Some(v) = f.opt_int("retries", 0..=MAX_RETRIES)? {
        cb.retries = u32::try_from(v).unwrap_or(3);
    }
    if let Some(v) = f.opt_enum::<Status>("status")? {
        cb.status = v;
    }
    if let Some(t) = f.opt_enum::<HttpAuthType>("httpAuthType")? {
        unsupported_auth(t)?;
        cb.auth = t;
    }
    if let Some(u) = f.opt_str("username")? {
        cb.username = Some(u).filter(|u| !u.is_empty());
    }
    if let Some(p) = f.opt_str("password")? {
        cb.password = Some(p).filter(|p| !p.is_empty());
    }
    match cb.auth {
        HttpAuthType::Basic => {
            if cb.username.is_none() || cb.password.is_none() {
                return Err(ApiError::invalid_parameter(
                    "httpAuthType Basic requires both `username` and `password`",
                ));
            }
            if cb.username.as_deref().is_some_and(|u| u.contains(':')) {
                return Err(ApiError::invalid_parameter(
                    "field `username` must not contain ':' (HTTP Basic)",
                ));
            }
        }
        _ => {
            cb.username = None;
            cb.password = None;
        }
    }
    Ok(())
}

fn caller(s: &Shared, headers: &HeaderMap) -> Result<Caller, ApiError> {
    s.authenticate(headers)
}

/// `POST /v2/callbacks/create` (reference or guide shape).
pub(crate) async fn create(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let c = caller(&s, &headers)?;
    if str_of(&f, &["url", "callBackUrl"])?.is_none() {
        return Err(ApiError::invalid_parameter(
            "field `url` (or `callBackUrl`) is required",
        ));
    }
    if str_of(&f, &["event", "callBackEvent"])?.is_none() {
        return Err(ApiError::invalid_parameter(format!(
            "field `event` (an Objects name, e.g. Parcel) or `callBackEvent` ({}) is required",
            CallBackEventType::NAMES.join(", ")
        )));
    }
    check_url_resolves(&s, &f).await?;
    let now = OffsetDateTime::now_utc();
    let mut cb = Callback {
        id: 0,
        owner: c.idx,
        url: String::new(),
        object: Objects::Parcel,
        direction: Direction::NoDir,
        guide: None,
        network_id: c.account.network_id,
        mailbox_id: 0,
        ecgrid_id: 0,
        user_id: c.account.user_id,
        auth: HttpAuthType::None,
        username: None,
        password: None,
        status: Status::Active,
        frequency: 1,
        retries: 3,
        object_status: 0,
        created: now,
        modified: now,
        latest_event: None,
    };
    apply_common(&s, &f, &mut cb)?;
    let record = {
        let mut store = s.store();
        if store
            .callbacks
            .values()
            .filter(|x| x.owner == c.idx)
            .count()
            >= MAX_CALLBACKS_PER_ACCOUNT
        {
            return Err(ApiError::invalid_parameter(format!(
                "an account may register at most {MAX_CALLBACKS_PER_ACCOUNT} callbacks"
            )));
        }
        cb.id = store.next_callback_id();
        let record = cb.record_json();
        store.callbacks.insert(cb.id, cb);
        record
    };
    tracing::info!(
        callback_id = record["callbackId"].as_i64(),
        "callback created"
    );
    Ok(ok(record))
}

/// `POST /v2/callbacks/update`.
pub(crate) async fn update(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let c = caller(&s, &headers)?;
    let id = callback_id(&f)?;
    check_url_resolves(&s, &f).await?;
    let record = {
        let mut store = s.store();
        let current = store.owned(id, c.idx).ok_or_else(|| not_found(id))?.clone();
        let mut cb = current.clone();
        apply_common(&s, &f, &mut cb)?;
        cb.modified = OffsetDateTime::now_utc();
        let record = cb.record_json();
        let status = cb.status;
        store.callbacks.insert(id, cb);
        if status == Status::Terminated {
            store.dead_letter_callback(id, &format!("callback {id} was terminated"));
        }
        record
    };
    s.wake.notify_one();
    tracing::info!(callback_id = id, "callback updated");
    Ok(ok(record))
}

/// `DELETE /v2/callbacks {callbackId}`: open deliveries end dead_letter.
pub(crate) async fn delete(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let c = caller(&s, &headers)?;
    let id = callback_id(&f)?;
    {
        let mut store = s.store();
        store.owned(id, c.idx).ok_or_else(|| not_found(id))?;
        store.callbacks.remove(&id);
        store.dead_letter_callback(id, &format!("callback {id} was deleted"));
    }
    s.wake.notify_one();
    tracing::info!(callback_id = id, "callback deleted");
    Ok(ok(true))
}

/// `POST /v2/callbacks/test`: one synchronous attempt, recorded as a test event.
pub(crate) async fn test(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let c = caller(&s, &headers)?;
    let id = callback_id(&f)?;
    let (job, url) = {
        let mut store = s.store();
        let cb = store.owned(id, c.idx).ok_or_else(|| not_found(id))?;
        let url = cb.url.clone();
        let basic = cb.basic_credentials();
        let new = NewEvent {
            guide: cb.guide_name(),
            object: cb.object,
            mailbox_id: if cb.mailbox_id != 0 {
                cb.mailbox_id
            } else {
                c.account.mailbox_id
            },
            object_id: 0,
            file_name: "test.edi".to_string(),
            is_test: true,
        };
        let event_id = store
            .add_event(id, new)
            .ok_or_else(|| ApiError::internal("could not record the test event"))?;
        let payload = store
            .events
            .get(&event_id)
            .map(|e| e.payload.clone())
            .unwrap_or_default();
        (
            AttemptJob {
                event_id,
                callback_id: id,
                url: url.clone(),
                basic,
                payload,
            },
            url,
        )
    };
    let o = attempt(&s.client, &job, s.config.delivery.timeout).await;
    let status = apply_test_outcome(&mut s.store(), job.event_id, &o);
    tracing::info!(
        callback_id = id,
        callback_event_id = job.event_id,
        http_status = o.http_status,
        status = %status,
        "test delivery"
    );
    Ok(ok(json!({
        "callbackId": id,
        "url": url,
        "httpStatus": o.http_status,
        "responseBody": o.body,
        "testedAt": fmt_time(o.at),
        "deliveryId": job.event_id,
        "status": status,
        "message": o.error,
    })))
}

/// `GET /v2/callbacks/get-queue-by-id?callbackId=N`.
pub(crate) async fn get_queue_by_id(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let c = caller(&s, &headers)?;
    let f = Fields::from_query(q.as_deref());
    let id = callback_id(&f)?;
    let store = s.store();
    let cb = store.owned(id, c.idx).ok_or_else(|| not_found(id))?;
    let latest = cb.latest_event.and_then(|e| store.events.get(&e));
    Ok(ok(cb.queue_entry_json(latest)))
}

/// `POST /v2/callbacks/queue-list`.
pub(crate) async fn queue_list(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let c = caller(&s, &headers)?;
    let page = Page::from_fields(&f)?;
    let mailbox = f.opt_id("mailboxId")?;
    let network = f.opt_id("networkId")?;
    let status = f.opt_enum::<Status>("status")?;
    let only = f.opt_id("callbackId")?.or(f.opt_id("callBackQueueId")?);
    let store = s.store();
    let entries: Vec<Value> = store
        .callbacks
        .values()
        .filter(|cb| cb.owner == c.idx)
        .filter(|cb| mailbox.map_or(true, |m| m == 0 || cb.mailbox_id == m))
        .filter(|cb| network.map_or(true, |n| n == 0 || cb.network_id == n))
        .filter(|cb| status.map_or(true, |st| cb.status == st))
        .filter(|cb| only.map_or(true, |id| cb.id == id))
        .map(|cb| cb.queue_entry_json(cb.latest_event.and_then(|e| store.events.get(&e))))
        .collect();
    Ok(ok(page.listing("queueEntries", &entries)))
}

/// `POST /v2/callbacks/event-list`.
pub(crate) async fn event_list(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let c = caller(&s, &headers)?;
    let page = Page::from_fields(&f)?;
    let mailbox = f.opt_id("mailboxId")?;
    let event = match f.opt_str("event")? {
        Some(e) => Some(parse_event_name("event", &e)?),
        None => None,
    };
    let begin = f.opt_datetime("beginDate", false)?;
    let end = f.opt_datetime("endDate", true)?;
    let cb_id = f.opt_id("callbackId")?.or(f.opt_id("callBackQueueId")?);
    let status = f.opt_enum::<crate::domain::DeliveryStatus>("status")?;
    let store = s.store();
    let events: Vec<Value> = store
        .events
        .values()
        .filter(|e| e.owner == c.idx)
        .filter(|e| mailbox.map_or(true, |m| m == 0 || e.mailbox_id == m))
        .filter(|e| match event {
            None => true,
            Some(EventName::Object(o)) => e.object == o,
            Some(EventName::Guide(g)) => e.guide == Some(g),
        })
        .filter(|e| begin.map_or(true, |b| e.created >= b))
        .filter(|e| end.map_or(true, |b| e.created <= b))
        .filter(|e| cb_id.map_or(true, |id| e.callback_id == id))
        .filter(|e| status.map_or(true, |st| e.status == st))
        .map(|e| e.json(false))
        .collect();
    Ok(ok(page.listing("events", &events)))
}

/// `POST /v2/callbacks/get-event-by-id {callbackEventId}`.
pub(crate) async fn get_event_by_id(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let c = caller(&s, &headers)?;
    let id = f
        .opt_int("callbackEventId", 0..=i64::MAX)?
        .ok_or_else(|| ApiError::invalid_parameter("field `callbackEventId` is required"))?;
    let store = s.store();
    let e = store
        .events
        .get(&id)
        .filter(|e| e.owner == c.idx)
        .ok_or_else(|| ApiError::not_found(format!("callback event {id} not found")))?;
    Ok(ok(e.json(true)))
}

/// `POST /sandbox/events {mailboxId, event, objectId, fileName}`: queues one
/// delivery per matching Active callback of the caller.
pub(crate) async fn fire(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let c = caller(&s, &headers)?;
    let raw = f.req_str("event")?;
    let name = parse_event_name("event", &raw)?;
    let mailbox_id = f
        .opt_id("mailboxId")?
        .filter(|m| *m != 0)
        .unwrap_or(c.account.mailbox_id);
    let object_id = f.opt_int("objectId", 0..=i64::MAX)?.unwrap_or(0);
    let file_name = f.opt_str("fileName")?.unwrap_or_default();
    let (object, direction, guide) = match name {
        EventName::Guide(g) => {
            let (o, d) = g.object_and_direction();
            (o, d, Some(g))
        }
        EventName::Object(o) => (o, Direction::NoDir, None),
    };
    let created: Vec<Value> = {
        let mut store = s.store();
        if store.open.len() >= MAX_OPEN_DELIVERIES {
            return Err(ApiError::rate_limited(
                5,
                format!("too many open deliveries (limit {MAX_OPEN_DELIVERIES}); try again later"),
            ));
        }
        let targets: Vec<i32> = store
            .callbacks
            .values()
            .filter(|cb| cb.owner == c.idx && cb.status == Status::Active)
            .filter(|cb| cb.object == object)
            .filter(|cb| cb.direction == Direction::NoDir || cb.direction == direction)
            .filter(|cb| match cb.guide_name() {
                Some(g) => guide == Some(g),
                None => true,
            })
            .filter(|cb| cb.mailbox_id == 0 || cb.mailbox_id == mailbox_id)
            .map(|cb| cb.id)
            .collect();
        targets
            .into_iter()
            .filter_map(|cb_id| {
                let ev = store.add_event(
                    cb_id,
                    NewEvent {
                        guide,
                        object,
                        mailbox_id,
                        object_id,
                        file_name: file_name.clone(),
                        is_test: false,
                    },
                )?;
                Some(json!({"callbackEventId": ev, "callbackId": cb_id}))
            })
            .collect()
    };
    s.wake.notify_one();
    tracing::info!(matched = created.len(), event = %raw, "sandbox event fired");
    Ok(ok(json!({ "matched": created.len(), "events": created })))
}
