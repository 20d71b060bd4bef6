//! Webhook delivery of the sandbox against a real scripted receiver.

mod support;

use std::time::{Duration, Instant};

use base64::Engine as _;
use ecgrid_gateway::domain::DeliveryStatus;
use ecgrid_gateway::sandbox::{DeliveryPolicy, SandboxConfig};
use serde_json::json;
use support::api::{fast_policy, test_config, Api};
use support::receiver::{Receiver, Reply};

const WAIT: Duration = Duration::from_secs(5);

fn statuses(event: &serde_json::Value) -> Vec<serde_json::Value> {
    event["attemptLog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["httpStatus"].clone())
        .collect()
}

#[tokio::test]
async fn delivers_payload_on_200() {
    let rx = Receiver::start(vec![Reply::status(200)]).await;
    let api = Api::start(test_config()).await;
    let cb = api.create_callback(&rx.url("/hook"), json!({})).await;
    let ids = api.fire_inbox().await;
    assert_eq!(ids.len(), 1);
    let e = api.wait_terminal(ids[0], WAIT).await;
    assert_eq!(e["status"], "delivered", "{e}");
    assert_eq!(e["attempts"], 1);
    assert_eq!(e["httpStatus"], 200);
    assert_eq!(e["responseBody"], "OK");
    assert_eq!(e["isTest"], false);
    assert!(e["delivered"].as_str().unwrap().ends_with('Z'));
    assert_eq!(statuses(&e), vec![json!(200)]);

    let reqs = rx.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/hook");
    assert_eq!(
        reqs[0].header("content-type").as_deref(),
        Some("application/json")
    );
    assert!(reqs[0].header("authorization").is_none());
    let body = reqs[0].json();
    assert_eq!(body["eventId"], ids[0]);
    assert_eq!(body["callBackQueueId"], cb);
    assert_eq!(body["callBackEvent"], "InBox");
    assert_eq!(body["parcelId"], 5550001);
    assert_eq!(body["fileName"], "850.edi");
    assert_eq!(body["mailboxId"], 101);
    assert_eq!(body["isTest"], false);
    assert_eq!(
        e["payload"]
            .as_str()
            .map(|p| serde_json::from_str::<serde_json::Value>(p).unwrap()),
        Some(body)
    );

    // Visible in event-list and as the callback's queue entry.
    let list = api
        .ok("/v2/callbacks/event-list", json!({"callbackId": cb}))
        .await;
    assert_eq!(list["totalRecords"], 1);
    assert_eq!(list["events"][0]["status"], "delivered");
    let q = api.ok("/v2/callbacks/queue-list", json!({})).await;
    assert_eq!(q["queueEntries"][0]["deliveryStatus"], "delivered");
    assert_eq!(q["queueEntries"][0]["lastHttpStatus"], 200);
    assert_eq!(q["queueEntries"][0]["attempts"], 1);
    api.shutdown().await;
}

#[tokio::test]
async fn retries_after_500_then_delivers() {
    let rx = Receiver::start(vec![Reply::status(500), Reply::status(200)]).await;
    let api = Api::start(test_config()).await;
    api.create_callback(&rx.url("/h"), json!({})).await;
    let ids = api.fire_inbox().await;
    let e = api.wait_terminal(ids[0], WAIT).await;
    assert_eq!(e["status"], "delivered", "{e}");
    assert_eq!(e["attempts"], 2);
    assert_eq!(statuses(&e), vec![json!(500), json!(200)]);
    assert_eq!(e["retriesRemaining"], 2);
    assert_eq!(rx.requests().len(), 2);
    api.shutdown().await;
}

#[tokio::test]
async fn always_500_ends_dead_letter_after_retries() {
    let rx = Receiver::start(vec![Reply::status(500).body("boom")]).await;
    let api = Api::start(test_config()).await;
    api.create_callback(&rx.url("/h"), json!({"retries": 2}))
        .await;
    let ids = api.fire_inbox().await;
    let e = api.wait_terminal(ids[0], WAIT).await;
    assert_eq!(e["status"], "dead_letter", "{e}");
    assert_eq!(e["attempts"], 3);
    assert_eq!(e["retriesRemaining"], 0);
    assert_eq!(e["httpStatus"], 500);
    assert!(
        e["message"].as_str().unwrap().contains("retries exhausted"),
        "{e}"
    );
    assert_eq!(rx.requests().len(), 3);
    // Backoff spacing: each retry waited at least half the base delay.
    let reqs = rx.requests();
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(10));
    let dead = api
        .ok("/v2/callbacks/event-list", json!({"status": "dead_letter"}))
        .await;
    assert_eq!(dead["totalRecords"], 1);
    api.shutdown().await;
}

#[tokio::test]
async fn rate_limited_then_delivered_with_retry_after_capped() {
    // Retry-After: 30 is capped at backoff_max (100 ms), so this stays fast.
    let rx = Receiver::start(vec![
        Reply::status(429).header("Retry-After", "30"),
        Reply::status(200),
    ])
    .await;
    let api = Api::start(test_config()).await;
    api.create_callback(&rx.url("/h"), json!({"retries": 0}))
        .await;
    let started = Instant::now();
    let ids = api.fire_inbox().await;
    let e = api.wait_terminal(ids[0], WAIT).await;
    assert_eq!(e["status"], "delivered", "{e}");
    assert_eq!(statuses(&e), vec![json!(429), json!(200)]);
    // 429 did not consume the (zero) retry budget.
    assert_eq!(e["retriesRemaining"], 0);
    assert!(started.elapsed() < Duration::from_secs(3));
    let reqs = rx.requests();
    assert!(
        reqs[1].at - reqs[0].at >= Duration::from_millis(90),
        "waited the capped Retry-After"
    );
    api.shutdown().await;
}

#[tokio::test]
async fn endless_429_gives_up_to_dead_letter() {
    let rx = Receiver::start(vec![Reply::status(429).header("Retry-After", "0")]).await;
    let mut config = test_config();
    config.delivery.max_rate_limited_attempts = 3;
    let api = Api::start(config).await;
    api.create_callback(&rx.url("/h"), json!({})).await;
    let ids = api.fire_inbox().await;
    let e = api.wait_terminal(ids[0], WAIT).await;
    assert_eq!(e["status"], "dead_letter", "{e}");
    assert_eq!(e["attempts"], 3);
    assert!(
        e["message"].as_str().unwrap().contains("rate-limited"),
        "{e}"
    );
    api.shutdown().await;
}

#[tokio::test]
async fn test_endpoint_reports_rate_limited() {
    let rx = Receiver::start(vec![Reply::status(429).header("Retry-After", "1")]).await;
    let api = Api::start(test_config()).await;
    let cb = api.create_callback(&rx.url("/h"), json!({})).await;
    let t = api
        .ok("/v2/callbacks/test", json!({"callbackId": cb}))
        .await;
    assert_eq!(t["httpStatus"], 429);
    assert_eq!(t["status"], "rate_limited");
    // single attempt, not retried
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx.requests().len(), 1);
    api.shutdown().await;
}

#[tokio::test]
async fn test_delivery_records_a_test_event() {
    let rx = Receiver::start(vec![Reply::status(200).body("fine")]).await;
    let api = Api::start(test_config()).await;
    let cb = api.create_callback(&rx.url("/t"), json!({})).await;
    // Guide shape: the id is also accepted as callBackQueueId.
    let t = api
        .ok("/v2/callbacks/test", json!({"callBackQueueId": cb}))
        .await;
    assert_eq!(t["callbackId"], cb);
    assert_eq!(t["httpStatus"], 200);
    assert_eq!(t["responseBody"], "fine");
    assert_eq!(t["status"], "delivered");
    assert!(t["testedAt"].as_str().unwrap().ends_with('Z'));
    let id = t["deliveryId"].as_i64().unwrap();
    assert!(id >= 88001);
    let e = api.event(id).await;
    assert_eq!(e["isTest"], true);
    assert_eq!(e["attempts"], 1);
    assert_eq!(rx.requests()[0].json()["isTest"], true);
    let q = api.ok("/v2/callbacks/queue-list", json!({})).await;
    assert_eq!(q["queueEntries"][0]["callbackEventId"], id);
    assert_eq!(q["queueEntries"][0]["isTest"], true);
    let q = api
        .call(
            reqwest::Method::GET,
            &format!("/v2/callbacks/get-queue-by-id?callbackId={cb}"),
            None,
        )
        .await;
    assert_eq!(q.1["data"]["lastResponseBody"], "fine");
    api.shutdown().await;
}

#[tokio::test]
async fn slow_endpoint_times_out_with_null_status() {
    let rx = Receiver::start(vec![Reply::status(200).delay(Duration::from_secs(2))]).await;
    let mut config = test_config();
    config.delivery.timeout = Duration::from_millis(300);
    let api = Api::start(config).await;
    let cb = api.create_callback(&rx.url("/slow"), json!({})).await;
    let started = Instant::now();
    let t = api
        .ok("/v2/callbacks/test", json!({"callbackId": cb}))
        .await;
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "timed out promptly"
    );
    assert_eq!(t["httpStatus"], serde_json::Value::Null);
    assert_eq!(t["responseBody"], serde_json::Value::Null);
    assert_eq!(t["status"], "failed");
    assert!(t["message"].as_str().unwrap().contains("timeout"), "{t}");
    let e = api.event(t["deliveryId"].as_i64().unwrap()).await;
    assert!(e["attemptLog"][0]["error"]
        .as_str()
        .unwrap()
        .contains("timeout"));
    api.shutdown().await;
}

#[tokio::test]
async fn closed_port_gives_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let api = Api::start(test_config()).await;
    let cb = api
        .create_callback(&format!("http://127.0.0.1:{port}/x"), json!({}))
        .await;
    let t = api
        .ok("/v2/callbacks/test", json!({"callbackId": cb}))
        .await;
    assert_eq!(t["httpStatus"], serde_json::Value::Null);
    assert_eq!(t["status"], "failed");
    assert!(t["message"].as_str().unwrap().contains("connect"), "{t}");
    api.shutdown().await;
}

#[tokio::test]
async fn basic_credentials_are_sent() {
    let rx = Receiver::start(vec![Reply::status(200)]).await;
    let api = Api::start(test_config()).await;
    let cb = api
        .ok(
            "/v2/callbacks/create",
            json!({"url": rx.url("/b"), "event": "Parcel", "httpAuthType": "Basic",
                   "username": "hookuser", "password": "s3cr3t!", "frequency": 0}),
        )
        .await;
    assert_eq!(cb["username"], "hookuser");
    assert!(
        cb.get("password").is_none(),
        "password never returned: {cb}"
    );
    let t = api
        .ok(
            "/v2/callbacks/test",
            json!({"callbackId": cb["callbackId"]}),
        )
        .await;
    assert_eq!(t["status"], "delivered");
    let auth = rx.requests()[0].header("authorization").unwrap();
    let encoded = auth.strip_prefix("Basic ").unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), "hookuser:s3cr3t!");
    api.shutdown().await;
}

#[tokio::test]
async fn long_response_body_is_cut_to_256_characters() {
    let body = format!("{}{}", "é".repeat(200), "x".repeat(200));
    let rx = Receiver::start(vec![Reply::status(200).body(body.clone())]).await;
    let api = Api::start(test_config()).await;
    let cb = api.create_callback(&rx.url("/long"), json!({})).await;
    let t = api
        .ok("/v2/callbacks/test", json!({"callbackId": cb}))
        .await;
    let got = t["responseBody"].as_str().unwrap();
    assert_eq!(got.chars().count(), 256);
    assert_eq!(got, body.chars().take(256).collect::<String>());
    api.shutdown().await;
}

#[tokio::test]
async fn redirect_is_a_failure_and_not_followed() {
    let target = Receiver::start(vec![Reply::status(200)]).await;
    let rx = Receiver::start(vec![
        Reply::status(302).header("Location", &target.url("/moved"))
    ])
    .await;
    let api = Api::start(test_config()).await;
    let cb = api
        .create_callback(&rx.url("/r"), json!({"retries": 0}))
        .await;
    let t = api
        .ok("/v2/callbacks/test", json!({"callbackId": cb}))
        .await;
    assert_eq!(t["httpStatus"], 302);
    assert_eq!(t["status"], "failed");
    assert!(
        t["message"].as_str().unwrap().contains("not followed"),
        "{t}"
    );
    // A queued delivery dead-letters (retries 0) without following either.
    let ids = api.fire_inbox().await;
    let e = api.wait_terminal(ids[0], WAIT).await;
    assert_eq!(e["status"], "dead_letter");
    assert_eq!(e["httpStatus"], 302);
    assert_eq!(rx.requests().len(), 2);
    assert!(target.requests().is_empty());
    api.shutdown().await;
}

/// A sandbox that attempts one delivery at a time, so that a second event
/// stays pending while the first is in flight at a slow receiver.
fn one_at_a_time() -> SandboxConfig {
    SandboxConfig {
        delivery: DeliveryPolicy {
            max_in_flight: 1,
            ..fast_policy()
        },
        ..test_config()
    }
}

/// Fires two events: the first reaches the receiver (and is in flight while
/// the receiver delays), the second is pending behind it.
async fn in_flight_and_pending(api: &Api, rx: &Receiver) -> (i64, i64) {
    let first = api.fire_inbox().await[0];
    assert_eq!(rx.wait_for(1, WAIT).await.len(), 1);
    let second = api.fire_inbox().await[0];
    let e = api.event(second).await;
    assert_eq!(e["status"], "pending");
    assert_eq!(e["attempts"], 0);
    (first, second)
}

#[tokio::test]
async fn suspended_callback_holds_until_active_again() {
    let rx = Receiver::start(vec![
        Reply::status(200).delay(Duration::from_millis(300)),
        Reply::status(200),
    ])
    .await;
    let api = Api::start(one_at_a_time()).await;
    let cb = api.create_callback(&rx.url("/s"), json!({})).await;
    let (first, second) = in_flight_and_pending(&api, &rx).await;
    api.ok(
        "/v2/callbacks/update",
        json!({"callbackId": cb, "status": "Suspended"}),
    )
    .await;
    // Suspended callbacks get no new events.
    assert_eq!(
        api.ok("/sandbox/events", json!({"event": "InBox"})).await["matched"],
        0
    );
    assert_eq!(api.wait_terminal(first, WAIT).await["status"], "delivered");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let held = api.event(second).await;
    assert_eq!(held["status"], "pending", "held while suspended: {held}");
    assert_eq!(held["attempts"], 0);
    assert_eq!(rx.requests().len(), 1);
    let q = api
        .call(
            reqwest::Method::GET,
            &format!("/v2/callbacks/get-queue-by-id?callbackId={cb}"),
            None,
        )
        .await
        .1;
    assert_eq!(q["data"]["status"], "Suspended");
    assert_eq!(q["data"]["deliveryStatus"], "pending");

    api.ok(
        "/v2/callbacks/update",
        json!({"callbackId": cb, "status": "Active"}),
    )
    .await;
    let e = api.wait_terminal(second, WAIT).await;
    assert_eq!(e["status"], "delivered", "{e}");
    assert_eq!(rx.requests().len(), 2);
    let report = api.shutdown().await.unwrap();
    assert!(report.unfinished.is_empty());
}

#[tokio::test]
async fn deleted_callback_dead_letters_open_deliveries() {
    let rx = Receiver::start(vec![Reply::status(500).delay(Duration::from_millis(300))]).await;
    let api = Api::start(one_at_a_time()).await;
    let cb = api.create_callback(&rx.url("/d"), json!({})).await;
    let (first, second) = in_flight_and_pending(&api, &rx).await;
    assert_eq!(
        api.call(
            reqwest::Method::DELETE,
            "/v2/callbacks",
            Some(json!({"callbackId": cb}))
        )
        .await
        .1["data"],
        true
    );
    // The pending one ends at once; the in-flight one when its attempt fails.
    let e2 = api.event(second).await;
    assert_eq!(e2["status"], "dead_letter");
    assert!(e2["message"].as_str().unwrap().contains("deleted"), "{e2}");
    let e1 = api.wait_terminal(first, WAIT).await;
    assert_eq!(e1["status"], "dead_letter");
    assert_eq!(e1["attempts"], 1);
    assert!(e1["message"].as_str().unwrap().contains("deleted"), "{e1}");
    // Events of the deleted callback stay visible.
    let list = api
        .ok("/v2/callbacks/event-list", json!({"callbackId": cb}))
        .await;
    assert_eq!(list["totalRecords"], 2);
    assert_eq!(rx.requests().len(), 1);
    api.shutdown().await;
}

#[tokio::test]
async fn terminated_callback_dead_letters_open_deliveries() {
    let rx = Receiver::start(vec![Reply::status(200).delay(Duration::from_millis(300))]).await;
    let api = Api::start(one_at_a_time()).await;
    let cb = api.create_callback(&rx.url("/t"), json!({})).await;
    let (first, second) = in_flight_and_pending(&api, &rx).await;
    api.ok(
        "/v2/callbacks/update",
        json!({"callbackId": cb, "status": "Terminated"}),
    )
    .await;
    let e2 = api.event(second).await;
    assert_eq!(e2["status"], "dead_letter");
    assert!(
        e2["message"].as_str().unwrap().contains("terminated"),
        "{e2}"
    );
    // A successful in-flight attempt still counts as delivered.
    assert_eq!(api.wait_terminal(first, WAIT).await["status"], "delivered");
    api.shutdown().await;
}

#[tokio::test]
async fn shutdown_lets_in_flight_finish_and_reports_the_rest() {
    let rx = Receiver::start(vec![Reply::status(200).delay(Duration::from_millis(300))]).await;
    let api = Api::start(one_at_a_time()).await;
    api.create_callback(&rx.url("/sd"), json!({})).await;
    let (first, second) = in_flight_and_pending(&api, &rx).await;
    let started = Instant::now();
    let report = api.shutdown().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(report.finished, 1);
    assert_eq!(report.unfinished.len(), 1, "{report:?}");
    let u = &report.unfinished[0];
    assert_eq!(u.callback_event_id, second);
    assert_eq!(u.status, DeliveryStatus::Pending);
    assert_eq!(u.attempts, 0);
    assert!(!u.was_in_flight);
    assert_ne!(u.callback_event_id, first);
}

#[tokio::test]
async fn shutdown_grace_cuts_off_slow_attempts() {
    let rx = Receiver::start(vec![Reply::status(200).delay(Duration::from_secs(3))]).await;
    let mut config = test_config();
    config.delivery.shutdown_grace = Duration::from_millis(100);
    let api = Api::start(config).await;
    api.create_callback(&rx.url("/slow"), json!({})).await;
    let id = api.fire_inbox().await[0];
    rx.wait_for(1, WAIT).await;
    let started = Instant::now();
    let report = api.shutdown().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "bounded by the grace"
    );
    assert_eq!(report.finished, 0);
    assert_eq!(report.unfinished.len(), 1);
    assert_eq!(report.unfinished[0].callback_event_id, id);
    assert!(report.unfinished[0].was_in_flight);
}

/// Issue 16, finding 8: a delivery resolves the URL's host once and checks
/// every address; a name that does not resolve and one that resolves to an
/// internal address get the same error, which names no network step.
#[tokio::test]
async fn a_host_that_does_not_resolve_to_a_public_address_is_refused_without_naming_the_step() {
    let api = Api::start(test_config()).await;
    let cb = api
        .create_callback("https://no-such-host.invalid/hook", json!({}))
        .await;
    let t = api
        .ok("/v2/callbacks/test", json!({"callbackId": cb}))
        .await;
    assert_eq!(t["httpStatus"], serde_json::Value::Null);
    assert_eq!(t["status"], "failed");
    let message = t["message"].as_str().unwrap();
    assert!(
        message.contains(ecgrid_gateway::sandbox::url_rule::REFUSED_ADDRESS),
        "{t}"
    );
    for step in ["dns error", "connect error", "tls error", "timeout"] {
        assert!(!message.contains(step), "{step}: {t}");
    }
    // A localhost name is loopback without DNS: delivered with the flag.
    let rx = Receiver::start(vec![Reply::status(200).body("ok")]).await;
    let url = rx.url("/h").replace("127.0.0.1", "hooks.localhost");
    let cb = api.create_callback(&url, json!({})).await;
    let t = api
        .ok("/v2/callbacks/test", json!({"callbackId": cb}))
        .await;
    assert_eq!(t["httpStatus"], 200, "{t}");
    api.shutdown().await;
}
