//! No secret reaches a log line: passwords, API keys, bearer tokens and
//! whole SessionIDs are absent from everything the gateway logs at debug
//! level through a full session (login, refresh, calls, faults, logout).

mod support;

use serde_json::json;
use support::logs::CapturedLogs;
use support::*;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PASSWORD: &str = "Pw-only-in-request-7781";
const TOKEN: &str = "token-first-secret-5521";
const FRESH_TOKEN: &str = "token-fresh-secret-9034";
const API_KEY: &str = "apikey-secret-6612-abcdef";

fn ok(data: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": data}))
}

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let captured = CapturedLogs::default();
    tracing::subscriber::set_global_default(captured.subscriber("debug"))
        .expect("first subscriber");

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/login"))
        .respond_with(ok(
            json!({"token": TOKEN, "expiresAt": "2026-05-07T12:00:05Z", "userId": 7}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/refresh"))
        .respond_with(ok(
            json!({"token": FRESH_TOKEN, "expiresAt": "2099-01-01T00:00:00Z", "userId": 7}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/users/me"))
        .and(header("authorization", format!("Bearer {FRESH_TOKEN}").as_str()))
        .respond_with(ok(json!({"userId": 7, "login": "demo", "networkId": 1, "mailboxId": 2, "authLevel": "MailboxUser"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/users/me"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"success": false, "errorCode": "InvalidAPIKey", "message": "bad key"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/logout"))
        .respond_with(ok(json!(null)))
        .mount(&server)
        .await;

    let gw = spawn_gateway(&config_for(&server.uri())).await;
    let reply = gw
        .call(
            Soap::V11,
            "Login",
            &[("LoginName", "demo"), ("Password", PASSWORD)],
        )
        .await;
    let sid = reply.text_of("LoginResult").expect("logged in");
    // Refresh (the token expires within the refresh margin), then a call.
    assert_eq!(
        gw.call(Soap::V11, "WhoAmI", &[("SessionID", &sid)])
            .await
            .status,
        200
    );
    // An API key in place of a SessionID, refused upstream.
    assert_eq!(
        gw.call(Soap::V12, "WhoAmI", &[("SessionID", API_KEY)])
            .await
            .status,
        500
    );
    // A fault that echoes nothing secret, and a logout.
    gw.call(Soap::V11, "Login", &[("LoginName", "demo")]).await;
    assert_eq!(
        gw.call(Soap::V11, "Logout", &[("SessionID", &sid)])
            .await
            .status,
        200
    );
    gw.stop().await;

    let logs = captured.text();
    // The capture worked and saw the session's life.
    assert!(logs.contains("session created"), "{logs}");
    assert!(logs.contains("bearer token refreshed"), "{logs}");
    assert!(logs.contains("session ended"), "{logs}");
    assert!(
        logs.contains(&format!("{}…", &sid[..4])),
        "redacted SessionID is logged: {logs}"
    );
    assert!(logs.contains("op=\"WhoAmI\""), "{logs}");
    for secret in [
        PASSWORD,
        TOKEN,
        FRESH_TOKEN,
        API_KEY,
        sid.as_str(),
        &sid[..13],
    ] {
        assert!(
            !logs.contains(secret),
            "secret '{secret}' leaked into the logs:\n{logs}"
        );
    }
}
