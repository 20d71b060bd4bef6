//! One deadline per SOAP call (issue 16, finding 6): `--upstream-timeout`
//! bounds a whole SOAP call, not each of its upstream calls. A WhoAmI as a
//! session whose token is about to expire makes up to four upstream calls
//! (refresh, call, 401, refresh, retry); each is quicker than the timeout,
//! but together they are not.
//!
//! Nothing here times the gateway: the upstream counts the requests it got,
//! and the deadline cuts the call before the third (each upstream step takes
//! 600 ms, the deadline is 1 s). Without one deadline per call all four are
//! made and the call ends with an Authentication fault after ~2.4 s.

mod support;

use std::time::Duration;

use serde_json::json;
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ok(data: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"success": true, "data": data, "errorCode": "", "message": ""}))
}

#[tokio::test]
async fn a_whoami_that_refreshes_and_retries_ends_within_the_upstream_timeout() {
    let server = MockServer::start().await;
    let step = Duration::from_millis(600);
    // Login's token is about to expire (the frozen clock is 12:00:00), so
    // the call refreshes it first.
    Mock::given(method("POST"))
        .and(path("/v2/auth/login"))
        .respond_with(ok(
            json!({"token": "tok-old", "expiresAt": "2026-05-07T12:00:10Z", "userId": 1042}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/refresh"))
        .respond_with(
            ok(json!({"token": "tok-new", "expiresAt": "2099-01-01T00:00:00Z", "userId": 1042}))
                .set_delay(step),
        )
        .mount(&server)
        .await;
    // The upstream then refuses the fresh token, slowly: refresh and retry.
    Mock::given(method("GET"))
        .and(path("/v2/users/me"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"success": false, "errorCode": "InvalidSession", "message": "Token expired."}))
                .set_delay(step),
        )
        .mount(&server)
        .await;

    let mut config = config_for(&server.uri());
    config.upstream_timeout = Duration::from_secs(1);
    let gw = spawn_gateway(&config).await;
    let sid = gw.login(Soap::V11, "jsmith", "pw").await;
    let before = server.received_requests().await.unwrap().len();

    let reply = gw.call(Soap::V11, "WhoAmI", &[("SessionID", &sid)]).await;
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert!(
        reply
            .body
            .contains("the upstream did not complete this call within 1s (--upstream-timeout)"),
        "{}",
        reply.body
    );
    // Give the abandoned call's steps time to show themselves, were any left.
    tokio::time::sleep(2 * step).await;
    let made: Vec<String> = server.received_requests().await.unwrap()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert!(
        made.len() <= 2,
        "the call went on past its deadline: {made:?}"
    );
    assert_eq!(
        made.first().map(String::as_str),
        Some("POST /v2/auth/refresh")
    );
    gw.stop().await;
}
