//! The sandbox's logs never contain secrets (passwords, API keys, tokens,
//! Basic credentials), even at trace level.

mod support;

use ecgrid_gateway::sandbox::{DEMO_API_KEY, DEMO_PASSWORD};
use serde_json::json;
use support::api::{test_config, Api};
use support::logs::CapturedLogs;
use support::receiver::{Receiver, Reply};

#[tokio::test(flavor = "current_thread")]
async fn logs_carry_no_secrets() {
    let captured = CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber("ecgrid_gateway=trace,info"));

    let rx = Receiver::start(vec![Reply::status(500), Reply::status(200)]).await;
    let api = Api::start(test_config()).await;
    let mut anon = api.with_key("");
    anon.key = None;
    let token = anon
        .ok(
            "/v2/auth/login",
            json!({"login": "demo", "password": DEMO_PASSWORD}),
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_string();
    anon.bearer = Some(token.clone());
    let cb = anon
        .ok(
            "/v2/callbacks/create",
            json!({"url": rx.url("/hook?sig=querysecret"), "event": "Parcel", "httpAuthType": "Basic",
                   "username": "hookuser", "password": "hookpass-secret", "frequency": 0}),
        )
        .await["callbackId"]
        .clone();
    anon.ok("/v2/callbacks/test", json!({"callbackId": cb}))
        .await;
    let id = anon.fire_inbox().await;
    let _ = anon
        .post(
            "/v2/auth/login",
            json!({"login": "demo", "password": "wrong-pass-secret"}),
        )
        .await;
    let e = anon
        .wait_terminal(id[0], std::time::Duration::from_secs(5))
        .await;
    assert_eq!(e["status"], "delivered");
    anon.ok("/v2/auth/refresh", json!({"token": token})).await;
    api.shutdown().await;

    let logs = captured.text();
    assert!(
        logs.contains("webhook delivery attempt"),
        "attempts are logged: {logs}"
    );
    assert!(logs.contains("login succeeded"));
    for secret in [
        DEMO_PASSWORD,
        DEMO_API_KEY,
        &token,
        "hookpass-secret",
        "wrong-pass-secret",
        "querysecret",
        "aG9va3VzZXI6",
    ] {
        assert!(!logs.contains(secret), "log leaks {secret}:\n{logs}");
    }
}
