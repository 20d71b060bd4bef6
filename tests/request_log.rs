//! At `info`, every request leaves one "request finished" line carrying
//! its duration, inside the request's span with the operation and the
//! upstream call's status and duration (the clock is read only when such a
//! line or span is recorded; this pins that they still are).

mod support;

use serde_json::json;
use support::logs::CapturedLogs;
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_request_is_logged_with_its_durations_at_info() {
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
    let reply = gw
        .call(
            Soap::V11,
            "WhoAmI",
            &[("SessionID", "key-for-the-log-test")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    gw.stop().await;

    let logs = captured.text();
    let finished: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("request finished"))
        .collect();
    assert_eq!(finished.len(), 1, "{logs}");
    let line = finished[0];
    for field in [
        "op=\"WhoAmI\"",
        "upstream_status=200",
        "upstream_ms=",
        "status=200",
        "elapsed_ms=",
    ] {
        assert!(line.contains(field), "no {field} in: {line}");
    }
}
