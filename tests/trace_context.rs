//! W3C trace context through the gateway: a client's `traceparent` is
//! continued (same trace id, the gateway's own span id as the parent the
//! upstream sees, flags kept), a missing or malformed one starts a new
//! trace, every REST call carries it, and the request's log lines carry
//! the trace id beside the request id.

mod support;

use serde_json::json;
use support::logs::CapturedLogs;
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GIVEN: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn is_valid_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() == 4
        && parts[0] == "00"
        && [32, 16, 2].iter().zip(&parts[1..]).all(|(len, part)| {
            part.len() == *len
                && part
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
        && parts[1] != "0".repeat(32)
        && parts[2] != "0".repeat(16)
}

/// A SOAP 1.1 call of `op` with an API key as SessionID, `request_id` as
/// `X-Request-Id` and `traceparent` when given; it must answer 200.
async fn call(gw: &TestGateway, op: &str, request_id: &str, traceparent: Option<&str>) {
    let mut request = gw
        .http
        .post(gw.url(PATH41))
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("X-Request-Id", request_id)
        .body(envelope(
            Soap::V11,
            NS41,
            op,
            &[("SessionID", "key-for-trace-test")],
        ));
    if let Some(value) = traceparent {
        request = request.header("traceparent", value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{op}");
}

#[tokio::test]
async fn traceparent_is_continued_or_started_sent_upstream_and_logged() {
    let captured = CapturedLogs::default();
    tracing::subscriber::set_global_default(captured.subscriber("info")).expect("first subscriber");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "data": {"userId": 7, "login": "demo", "networkId": 1, "mailboxId": 2, "authLevel": "MailboxUser"}
        })))
        .mount(&server)
        .await;
    let gw = spawn_gateway(&config_for(&server.uri())).await;
    let whoami = |traceparent| call(&gw, "WhoAmI", "trace-test-1", traceparent);
    whoami(Some(GIVEN)).await;
    whoami(None).await;
    whoami(None).await;
    whoami(Some(
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    ))
    .await;
    gw.stop().await;

    let sent: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.headers
                .get("traceparent")
                .expect("every REST call carries a traceparent")
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(sent.len(), 4, "{sent:?}");
    for value in &sent {
        assert!(is_valid_traceparent(value), "{value}");
    }
    // Continued: same trace and flags, the gateway's own span as parent.
    assert!(
        sent[0].starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{}",
        sent[0]
    );
    assert!(sent[0].ends_with("-01"));
    assert_ne!(&sent[0][36..52], "00f067aa0ba902b7");
    // Started: a new trace each time, also for a malformed header.
    let trace_ids: std::collections::HashSet<&str> = sent.iter().map(|v| &v[3..35]).collect();
    assert_eq!(trace_ids.len(), 4, "{sent:?}");

    let logs = captured.text();
    let finished: Vec<&str> = logs
        .lines()
        // This test's requests (the other test of this binary logs too).
        .filter(|l| l.contains("request finished") && l.contains("request_id=trace-test-1"))
        .collect();
    assert_eq!(finished.len(), 4, "{logs}");
    for (line, value) in finished.iter().zip(&sent) {
        assert!(line.contains("request_id=trace-test-1"), "{line}");
        assert!(
            line.contains(&format!("trace_id={}", &value[3..35])),
            "{line} / {value}"
        );
    }
}

#[tokio::test]
async fn the_legacy_route_carries_the_calls_traceparent() {
    use ecgrid_gateway::routing::table::LegacyService;
    use ecgrid_gateway::routing::{DefaultRoute, RouteSettings};
    use support::fake_legacy::{fixed, FakeLegacy};
    let fake = FakeLegacy::start("pw").await;
    fake.script(
        "CarbonCopyList",
        fixed("<CarbonCopyListResponse xmlns=\"https://os.ecgrid.io/\"/>"),
    );
    let mut config = config_for("http://127.0.0.1:9");
    config.routing = RouteSettings {
        legacy: Some(LegacyService::Url(fake.base.clone())),
        default_route: DefaultRoute::Legacy,
        ..RouteSettings::default()
    };
    let gw = spawn_gateway(&config).await;
    for traceparent in [Some(GIVEN), None] {
        call(&gw, "CarbonCopyList", "trace-test-legacy", traceparent).await;
    }
    gw.stop().await;
    let sent: Vec<String> = fake
        .received_of("CarbonCopyList")
        .iter()
        .map(|r| r.header("traceparent").expect("a traceparent").to_string())
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().all(|v| is_valid_traceparent(v)), "{sent:?}");
    // The client's trace continued, the gateway's span as the parent.
    assert!(
        sent[0].starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{}",
        sent[0]
    );
    assert_ne!(sent[0], GIVEN);
    // None given: one started.
    assert_ne!(&sent[1][3..35], "4bf92f3577b34da6a3ce929d0e0e4736");
}
