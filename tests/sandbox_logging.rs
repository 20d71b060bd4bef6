//! The sandbox's logs never contain secrets (passwords, API keys, tokens,
//! Basic credentials), even at trace level.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use ecgrid_gateway::sandbox::{DEMO_API_KEY, DEMO_PASSWORD};
use serde_json::json;
use support::api::{test_config, Api};
use support::receiver::{Receiver, Reply};

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn logs_carry_no_secrets() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("ecgrid_gateway=trace,info")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

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

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
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
