//! Sandbox endpoints: auth, users, callbacks CRUD, validation, paging, errors.

mod support;

use std::time::Duration;

use ecgrid_gateway::sandbox::{Account, SandboxConfig, DEMO_API_KEY, DEMO_LOGIN, DEMO_PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};
use support::api::{test_config, Api};

fn anonymous(api: &Api) -> Api {
    let mut a = api.with_key("");
    a.key = None;
    a
}

async fn login(api: &Api) -> String {
    let anon = anonymous(api);
    let d = anon
        .ok(
            "/v2/auth/login",
            json!({"login": DEMO_LOGIN, "password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(d["userId"], Account::demo().user_id);
    assert!(d["expiresAt"].as_str().unwrap().ends_with('Z'));
    d["token"].as_str().unwrap().to_string()
}

fn bearer(api: &Api, token: &str) -> Api {
    let mut a = anonymous(api);
    a.bearer = Some(token.to_string());
    a
}

fn assert_error(got: &(u16, Value), status: u16, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["success"], false, "{}", got.1);
    assert_eq!(got.1["errorCode"], code, "{}", got.1);
    assert!(got.1["data"].is_null());
}

#[tokio::test]
async fn version_login_api_key_and_bearer() {
    let api = Api::start(test_config()).await;
    let anon = anonymous(&api);
    let (s, v) = anon.call(Method::GET, "/v2/auth/version", None).await;
    assert_eq!(s, 200);
    assert_eq!(v["data"]["version"], "2.6");
    assert_eq!(v["errorCode"], "");

    // No credentials, bad key, bad login.
    assert_error(
        &anon.call(Method::GET, "/v2/users/me", None).await,
        401,
        "InvalidAPIKey",
    );
    assert_error(
        &api.with_key("nope")
            .call(Method::GET, "/v2/users/me", None)
            .await,
        401,
        "InvalidAPIKey",
    );
    assert_error(
        &anon
            .post(
                "/v2/auth/login",
                json!({"login": DEMO_LOGIN, "password": "wrong"}),
            )
            .await,
        401,
        "InvalidCredentials",
    );
    assert_error(
        &anon
            .post("/v2/auth/login", json!({"login": DEMO_LOGIN}))
            .await,
        400,
        "InvalidParameter",
    );
    assert_error(
        &bearer(&api, "not-a-token")
            .call(Method::GET, "/v2/users/me", None)
            .await,
        401,
        "InvalidSession",
    );

    // API key.
    let me = api.call(Method::GET, "/v2/users/me", None).await.1["data"].clone();
    assert_eq!(me["login"], DEMO_LOGIN);
    assert_eq!(me["mailboxId"], 101);
    assert_eq!(me["authLevel"], "NetworkAdmin");
    assert!(me.get("password").is_none());
    let sess = api.ok("/v2/auth/session", json!({})).await;
    assert!(
        sess["expiresAt"].is_null(),
        "API-key sessions do not expire"
    );

    // Bearer.
    let token = login(&api).await;
    assert_eq!(token.len(), 32);
    let b = bearer(&api, &token);
    let me = b.call(Method::GET, "/v2/users/me", None).await.1["data"].clone();
    assert_eq!(me["userId"], 1042);
    assert!(me["lastLogin"].is_string());
    let sess = b.ok("/v2/auth/session", json!({})).await;
    assert_eq!(sess["login"], DEMO_LOGIN);
    assert!(sess["expiresAt"].is_string());
    api.shutdown().await;
}

#[tokio::test]
async fn expired_token_refresh_within_grace_and_logout() {
    let config = SandboxConfig {
        token_ttl: Duration::from_millis(200),
        refresh_grace: Duration::from_secs(30),
        ..test_config()
    };
    let api = Api::start(config).await;
    let token = login(&api).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let expired = bearer(&api, &token)
        .call(Method::GET, "/v2/users/me", None)
        .await;
    assert_error(&expired, 401, "InvalidSession");
    assert!(expired.1["message"].as_str().unwrap().contains("expired"));

    // Refresh within the grace: new token works, old one is gone.
    let anon = anonymous(&api);
    let fresh = anon.ok("/v2/auth/refresh", json!({"token": token})).await;
    let new_token = fresh["token"].as_str().unwrap().to_string();
    assert_ne!(new_token, token);
    assert_eq!(fresh["userId"], 1042);
    assert_eq!(
        bearer(&api, &new_token)
            .call(Method::GET, "/v2/users/me", None)
            .await
            .0,
        200
    );
    assert_error(
        &anon.post("/v2/auth/refresh", json!({"token": token})).await,
        401,
        "InvalidSession",
    );
    assert_error(
        &anon.post("/v2/auth/refresh", json!({})).await,
        400,
        "InvalidParameter",
    );

    // Logout invalidates the token.
    let b = bearer(&api, &new_token);
    let (s, v) = b.post("/v2/auth/logout", json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(v["message"], "Session terminated.");
    assert!(v["data"].is_null());
    assert_error(
        &b.call(Method::GET, "/v2/users/me", None).await,
        401,
        "InvalidSession",
    );
    // API-key logout just answers success.
    assert_eq!(api.post("/v2/auth/logout", json!({})).await.0, 200);
    assert_eq!(api.call(Method::GET, "/v2/users/me", None).await.0, 200);
    api.shutdown().await;
}

#[tokio::test]
async fn refresh_after_grace_is_refused() {
    let config = SandboxConfig {
        token_ttl: Duration::from_millis(100),
        refresh_grace: Duration::from_millis(100),
        ..test_config()
    };
    let api = Api::start(config).await;
    let token = login(&api).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = anonymous(&api)
        .post("/v2/auth/refresh", json!({"token": token}))
        .await;
    assert_error(&got, 401, "InvalidSession");
    api.shutdown().await;
}

#[tokio::test]
async fn create_in_both_shapes_returns_both_id_names() {
    let api = Api::start(test_config()).await;
    let reference = api
        .ok(
            "/v2/callbacks/create",
            json!({"url": "https://app.example.com/hook", "event": "Parcel", "mailboxId": 12345,
                   "httpAuthType": "Basic", "username": "webhook_user", "password": "s3cr3t!"}),
        )
        .await;
    assert_eq!(reference["callbackId"], 7001);
    assert_eq!(reference["callBackQueueId"], 7001);
    assert_eq!(reference["url"], "https://app.example.com/hook");
    assert_eq!(reference["callBackUrl"], "https://app.example.com/hook");
    assert_eq!(reference["event"], "Parcel");
    assert_eq!(reference["direction"], "NoDir");
    assert!(reference["callBackEvent"].is_null());
    assert_eq!(reference["mailboxId"], 12345);
    assert_eq!(reference["networkId"], 1);
    assert_eq!(reference["httpAuthType"], "Basic");
    assert_eq!(reference["status"], "Active");
    assert_eq!(reference["frequency"], 1);
    assert_eq!(reference["retries"], 3);
    assert!(reference.get("password").is_none());

    let guide = api
        .ok(
            "/v2/callbacks/create",
            json!({"networkId": 0, "mailboxId": 0, "ecGridId": 0,
                   "callBackUrl": "https://your-app.example.com/webhooks/ecgrid",
                   "callBackEvent": "OutBoxError", "frequency": 5, "retries": 4, "status": "Suspended"}),
        )
        .await;
    assert_eq!(guide["callbackId"], 7002);
    assert_eq!(guide["callBackQueueId"], 7002);
    assert_eq!(guide["event"], "Parcel");
    assert_eq!(guide["direction"], "OutBox");
    assert_eq!(guide["callBackEvent"], "OutBoxError");
    assert_eq!(guide["frequency"], 5);
    assert_eq!(guide["retries"], 4);
    assert_eq!(guide["status"], "Suspended");
    assert_eq!(guide["httpAuthType"], "None");
    assert!(guide["created"].as_str().unwrap().ends_with('Z'));

    // Update, then delete.
    let up = api
        .ok("/v2/callbacks/update", json!({"callbackId": 7002, "status": "Active", "retries": 1, "url": "https://other.example.com/x"}))
        .await;
    assert_eq!(up["status"], "Active");
    assert_eq!(up["retries"], 1);
    assert_eq!(up["url"], "https://other.example.com/x");
    assert_eq!(up["callBackEvent"], "OutBoxError");
    let q = api
        .call(
            Method::GET,
            "/v2/callbacks/get-queue-by-id?callbackId=7002",
            None,
        )
        .await
        .1["data"]
        .clone();
    assert_eq!(q["attempts"], 0);
    assert!(
        q["callbackEventId"].is_null() && q["deliveryStatus"].is_null() && q["queuedAt"].is_null()
    );
    let del = api
        .call(
            Method::DELETE,
            "/v2/callbacks",
            Some(json!({"callbackId": 7002})),
        )
        .await;
    assert_eq!(del.1["data"], true);
    assert_error(
        &api.call(
            Method::GET,
            "/v2/callbacks/get-queue-by-id?callbackId=7002",
            None,
        )
        .await,
        404,
        "ObjectNotFound",
    );
    assert_error(
        &api.call(
            Method::DELETE,
            "/v2/callbacks",
            Some(json!({"callbackId": 7002})),
        )
        .await,
        404,
        "ObjectNotFound",
    );
    api.shutdown().await;
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let api = Api::start(test_config()).await;
    let bad_event = api
        .post(
            "/v2/callbacks/create",
            json!({"url": "https://a.example/h", "event": "Sometimes"}),
        )
        .await;
    assert_error(&bad_event, 400, "InvalidParameter");
    let m = bad_event.1["message"].as_str().unwrap();
    assert!(
        m.contains("`event`") && m.contains("Parcel") && m.contains("InBox"),
        "{m}"
    );

    let no_url = api
        .post("/v2/callbacks/create", json!({"event": "Parcel"}))
        .await;
    assert_error(&no_url, 400, "InvalidParameter");
    assert!(no_url.1["message"].as_str().unwrap().contains("url"));

    let basic = api
        .post("/v2/callbacks/create", json!({"url": "https://a.example/h", "event": "Parcel", "httpAuthType": "Basic", "username": "u"}))
        .await;
    assert_error(&basic, 400, "InvalidParameter");
    assert!(basic.1["message"].as_str().unwrap().contains("password"));

    for t in ["Digest", "Certificate"] {
        let got = api
            .post("/v2/callbacks/create", json!({"url": "https://a.example/h", "event": "Parcel", "httpAuthType": t, "username": "u", "password": "p"}))
            .await;
        assert_error(&got, 400, "InvalidParameter");
        assert!(got.1["message"]
            .as_str()
            .unwrap()
            .contains("not supported by the sandbox"));
    }
    let bad_status = api
        .post(
            "/v2/callbacks/create",
            json!({"url": "https://a.example/h", "event": "Parcel", "status": "Bogus"}),
        )
        .await;
    assert!(bad_status.1["message"]
        .as_str()
        .unwrap()
        .contains("accepted values: Development, Active"));
    let bad_retries = api
        .post(
            "/v2/callbacks/create",
            json!({"url": "https://a.example/h", "event": "Parcel", "retries": -1}),
        )
        .await;
    assert_error(&bad_retries, 400, "InvalidParameter");
    assert!(bad_retries.1["message"]
        .as_str()
        .unwrap()
        .contains("`retries`"));
    let bad_type = api
        .post("/v2/callbacks/update", json!({"callbackId": "seven"}))
        .await;
    assert_error(&bad_type, 400, "InvalidParameter");
    assert!(bad_type.1["message"]
        .as_str()
        .unwrap()
        .contains("`callbackId`"));

    // Malformed JSON and non-object bodies, through raw requests.
    for body in ["{", "[1,2]", "\"x\""] {
        let resp = api
            .client
            .post(format!("{}/v2/callbacks/create", api.base))
            .header("X-API-Key", DEMO_API_KEY)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["errorCode"], "InvalidParameter");
        assert!(v["message"].as_str().unwrap().contains("JSON"), "{v}");
    }
    // Unknown route and wrong method answer in the envelope.
    assert_error(
        &api.post("/v2/nothing", json!({})).await,
        404,
        "ObjectNotFound",
    );
    let wrong = api.call(Method::GET, "/v2/callbacks/create", None).await;
    assert_eq!(wrong.0, 405);
    assert_eq!(wrong.1["success"], false);
    // Nothing was created by the refused requests.
    assert_eq!(
        api.ok("/v2/callbacks/queue-list", json!({})).await["totalRecords"],
        0
    );
    api.shutdown().await;
}

#[tokio::test]
async fn callback_url_rule() {
    let strict = Api::start(SandboxConfig::default()).await;
    let create = |url: &str| json!({"url": url, "event": "Parcel"});
    // Loopback, even over https, needs --allow-http-callbacks (issue 16).
    for url in ["http://127.0.0.1:9/h", "https://127.0.0.1:8443/h"] {
        let refused = strict.post("/v2/callbacks/create", create(url)).await;
        assert_error(&refused, 400, "InvalidParameter");
        assert!(refused.1["message"].as_str().unwrap().contains(
            "callback URL must use https:// to a public address; http:// and loopback addresses are allowed only when the sandbox runs with --allow-http-callbacks"
        ), "{url}: {}", refused.1);
    }
    strict.shutdown().await;

    let lax = Api::start(test_config()).await;
    assert_eq!(
        lax.post(
            "/v2/callbacks/create",
            create("https://hooks.example.com/h")
        )
        .await
        .0,
        200
    );
    assert_eq!(
        lax.post("/v2/callbacks/create", create("http://127.0.0.1:9/h"))
            .await
            .0,
        200
    );
    assert_eq!(
        lax.post("/v2/callbacks/create", create("http://localhost:9/h"))
            .await
            .0,
        200
    );
    assert_eq!(
        lax.post("/v2/callbacks/create", create("http://[::1]:9/h"))
            .await
            .0,
        200
    );
    for bad in [
        "http://hooks.example.com/h",
        "http://192.168.1.10/h",
        "ftp://127.0.0.1/h",
        "not a url",
    ] {
        let got = lax.post("/v2/callbacks/create", create(bad)).await;
        assert_error(&got, 400, "InvalidParameter");
        assert!(
            got.1["message"]
                .as_str()
                .unwrap()
                .contains("must use https://"),
            "{bad}"
        );
    }
    // Update applies the same rule.
    let got = lax
        .post(
            "/v2/callbacks/update",
            json!({"callbackId": 7001, "url": "http://example.org/"}),
        )
        .await;
    assert_error(&got, 400, "InvalidParameter");
    lax.shutdown().await;
}

#[tokio::test]
async fn other_accounts_callbacks_are_not_found() {
    let mut other = Account::demo();
    other.login = "other".into();
    other.api_key = "other-key".into();
    other.user_id = 2001;
    let mut config = test_config();
    config.accounts.push(other);
    let api = Api::start(config).await;
    let mine = api.create_callback("https://a.example/h", json!({})).await;
    let them = api.with_key("other-key");
    assert_error(
        &them
            .post(
                "/v2/callbacks/update",
                json!({"callbackId": mine, "status": "Suspended"}),
            )
            .await,
        404,
        "ObjectNotFound",
    );
    assert_error(
        &them
            .post("/v2/callbacks/test", json!({"callbackId": mine}))
            .await,
        404,
        "ObjectNotFound",
    );
    assert_error(
        &them
            .call(
                Method::DELETE,
                "/v2/callbacks",
                Some(json!({"callbackId": mine})),
            )
            .await,
        404,
        "ObjectNotFound",
    );
    assert_error(
        &them
            .call(
                Method::GET,
                &format!("/v2/callbacks/get-queue-by-id?callbackId={mine}"),
                None,
            )
            .await,
        404,
        "ObjectNotFound",
    );
    assert_eq!(
        them.ok("/v2/callbacks/queue-list", json!({})).await["totalRecords"],
        0
    );
    // Their events do not match my callbacks either.
    assert_eq!(
        them.ok("/sandbox/events", json!({"event": "InBox"})).await["matched"],
        0
    );
    let ids = api.fire_inbox().await;
    assert_error(
        &them
            .post(
                "/v2/callbacks/get-event-by-id",
                json!({"callbackEventId": ids[0]}),
            )
            .await,
        404,
        "ObjectNotFound",
    );
    assert_eq!(
        them.ok("/v2/callbacks/event-list", json!({})).await["totalRecords"],
        0
    );
    api.shutdown().await;
}

#[tokio::test]
async fn paging_and_filters() {
    let api = Api::start(test_config()).await;
    for (event, mailbox) in [("InBox", 0), ("OutBox", 101), ("InBox", 555)] {
        api.ok(
            "/v2/callbacks/create",
            json!({"callBackUrl": "https://a.example/h", "callBackEvent": event, "mailboxId": mailbox, "status": "Suspended"}),
        )
        .await;
    }
    let page = api
        .ok(
            "/v2/callbacks/queue-list",
            json!({"pageNo": 2, "recordsPerPage": 2}),
        )
        .await;
    assert_eq!(page["totalRecords"], 3);
    assert_eq!(page["pageNo"], 2);
    assert_eq!(page["recordsPerPage"], 2);
    assert_eq!(page["queueEntries"].as_array().unwrap().len(), 1);
    assert_eq!(page["queueEntries"][0]["callbackId"], 7003);
    let defaults = api.ok("/v2/callbacks/queue-list", json!({})).await;
    assert_eq!(
        (
            defaults["pageNo"].clone(),
            defaults["recordsPerPage"].clone()
        ),
        (json!(1), json!(100))
    );
    let by_mailbox = api
        .ok("/v2/callbacks/queue-list", json!({"mailboxId": 555}))
        .await;
    assert_eq!(by_mailbox["totalRecords"], 1);
    assert_eq!(
        api.ok("/v2/callbacks/queue-list", json!({"status": "Active"}))
            .await["totalRecords"],
        0
    );
    assert_eq!(
        api.ok("/v2/callbacks/queue-list", json!({"status": "Suspended"}))
            .await["totalRecords"],
        3
    );
    for bad in [
        json!({"pageNo": 0}),
        json!({"recordsPerPage": 0}),
        json!({"recordsPerPage": 501}),
        json!({"pageNo": "x"}),
    ] {
        assert_error(
            &api.post("/v2/callbacks/queue-list", bad.clone()).await,
            400,
            "InvalidParameter",
        );
        assert_error(
            &api.post("/v2/callbacks/event-list", bad).await,
            400,
            "InvalidParameter",
        );
    }
    assert_error(
        &api.post("/v2/callbacks/event-list", json!({"status": "lost"}))
            .await,
        400,
        "InvalidParameter",
    );
    assert_error(
        &api.post(
            "/v2/callbacks/event-list",
            json!({"beginDate": "yesterday"}),
        )
        .await,
        400,
        "InvalidParameter",
    );
    let dated = api
        .ok(
            "/v2/callbacks/event-list",
            json!({"beginDate": "2000-01-01", "endDate": "2000-01-02T00:00:00Z"}),
        )
        .await;
    assert_eq!(dated["totalRecords"], 0);
    assert_error(
        &api.post(
            "/v2/callbacks/get-event-by-id",
            json!({"callbackEventId": 1}),
        )
        .await,
        404,
        "ObjectNotFound",
    );
    assert_error(
        &api.post("/v2/callbacks/get-event-by-id", json!({})).await,
        400,
        "InvalidParameter",
    );
    assert_error(
        &api.post("/sandbox/events", json!({"event": "Nope"})).await,
        400,
        "InvalidParameter",
    );
    api.shutdown().await;
}

#[tokio::test]
async fn fired_events_match_callback_scope() {
    let api = Api::start(test_config()).await;
    // Deliveries go to a closed loopback port and fail once (retries 0).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/h");
    let mut ids = Vec::new();
    for body in [
        json!({"event": "Parcel"}),         // 7001: every parcel event
        json!({"callBackEvent": "InBox"}),  // 7002
        json!({"callBackEvent": "OutBox"}), // 7003
        json!({"callBackEvent": "InBox", "mailboxId": 555}), // 7004
        json!({"event": "Mailbox"}),        // 7005
    ] {
        let mut b = body;
        b["url"] = json!(url);
        b["retries"] = json!(0);
        b["frequency"] = json!(0);
        ids.push(
            api.ok("/v2/callbacks/create", b).await["callbackId"]
                .as_i64()
                .unwrap(),
        );
    }
    let matched = |v: &Value| -> Vec<i64> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["callbackId"].as_i64().unwrap())
            .collect()
    };
    let inbox = api
        .ok(
            "/sandbox/events",
            json!({"event": "InBox", "mailboxId": 101}),
        )
        .await;
    assert_eq!(matched(&inbox), vec![7001, 7002]);
    assert_eq!(inbox["matched"], 2);
    assert_eq!(
        matched(
            &api.ok(
                "/sandbox/events",
                json!({"event": "InBox", "mailboxId": 555})
            )
            .await
        ),
        vec![7001, 7002, 7004]
    );
    assert_eq!(
        matched(&api.ok("/sandbox/events", json!({"event": "parcel"})).await),
        vec![7001]
    );
    assert_eq!(
        matched(
            &api.ok("/sandbox/events", json!({"event": "OutBoxError"}))
                .await
        ),
        vec![7001]
    );
    assert_eq!(
        matched(&api.ok("/sandbox/events", json!({"event": "Mailbox"})).await),
        vec![7005]
    );
    let first_event = inbox["events"][0]["callbackEventId"].as_i64().unwrap();
    assert_eq!(first_event, 88001);
    let e = api.wait_terminal(first_event, Duration::from_secs(5)).await;
    assert_eq!(e["status"], "dead_letter");
    assert!(e["httpStatus"].is_null());
    assert_eq!(e["callBackEvent"], "InBox");
    let by_event = api
        .ok("/v2/callbacks/event-list", json!({"event": "Mailbox"}))
        .await;
    assert_eq!(by_event["totalRecords"], 1);
    let by_guide = api
        .ok(
            "/v2/callbacks/event-list",
            json!({"event": "InBox", "mailboxId": 555}),
        )
        .await;
    assert_eq!(by_guide["totalRecords"], 3);
    let _ = ids;
    api.shutdown().await;
}

#[tokio::test]
async fn a_callback_url_whose_name_resolves_internally_is_refused_at_registration() {
    // Without --allow-http-callbacks: loopback is internal too.
    let api = Api::start(SandboxConfig {
        allow_http_callbacks: false,
        ..test_config()
    })
    .await;
    // This machine's name resolves from /etc/hosts to one of its own
    // (non-public) addresses (url_rule's unit test checks that it does).
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let url = format!("https://{}/hook", host.trim());
    let refused = api
        .post(
            "/v2/callbacks/create",
            json!({"url": url, "event": "Parcel"}),
        )
        .await;
    assert_error(&refused, 400, "InvalidParameter");
    let m = refused.1["message"].as_str().unwrap();
    assert!(
        m.contains(&format!("host '{}' resolves to", host.trim())),
        "{m}"
    );
    let created = api
        .ok(
            "/v2/callbacks/create",
            json!({"url": "https://app.example.com/hook", "event": "Parcel"}),
        )
        .await;
    let id = created["callbackId"].clone();
    let refused = api
        .post(
            "/v2/callbacks/update",
            json!({"callbackId": id, "url": url}),
        )
        .await;
    assert_error(&refused, 400, "InvalidParameter");
    api.shutdown().await;
}
