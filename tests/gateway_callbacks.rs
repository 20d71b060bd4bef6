//! The callback operations end to end against a wiremock REST upstream:
//! every operation's response and its faults (unknown id, bad enum, missing
//! SessionID) as snapshots in SOAP 1.1 and 1.2, the JSON the gateway sends
//! upstream for both `CallBackAdd` forms and `CallBackAddEx`, and the
//! callbacks guide's raw `CallBackAdd` / `CallBackTest` envelopes replayed
//! byte-for-byte.

mod support;

use serde_json::{json, Value};
use support::*;
use wiremock::matchers::{body_json, body_partial_json, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-callbacks-1";

fn ok(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"success": true, "data": data, "errorCode": "", "message": ""}))
}

fn not_found(message: &str) -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(
        json!({"success": false, "data": null, "errorCode": "ObjectNotFound", "message": message}),
    )
}

/// A callback record as the sandbox writes it (both id and URL names).
fn record_7001() -> Value {
    json!({
        "callbackId": 7001, "callBackQueueId": 7001,
        "url": "https://app.example.com/hook", "callBackUrl": "https://app.example.com/hook",
        "event": "Parcel", "callBackEvent": "InBox", "direction": "InBox",
        "networkId": 1, "mailboxId": 101, "ecGridId": 0, "userId": 1042,
        "httpAuthType": "Basic", "username": "hookuser",
        "status": "Active", "frequency": 1, "retries": 3, "objectStatus": 0,
        "created": "2026-05-07T09:00:00Z", "modified": "2026-05-07T09:30:00+02:00"
    })
}

/// The reference-form registration: an Objects event with no guide name.
fn record_7003() -> Value {
    json!({
        "callbackId": 7003, "callBackQueueId": 7003,
        "url": "https://app.example.com/interchanges", "event": "Interchange",
        "callBackEvent": null, "direction": "NoDir", "networkId": 1, "mailboxId": 100,
        "userId": 1042, "httpAuthType": "Basic", "username": "cbuser", "status": "Active",
        "frequency": 1, "retries": 3, "objectStatus": 0,
        "created": "2026-05-07T12:00:00Z", "modified": "2026-05-07T12:00:00Z"
    })
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

/// Queue entry of 7001: its latest delivery failed once and is retried.
fn entry_7001() -> Value {
    with(
        record_7001(),
        json!({
            "queuedAt": "2026-05-07T11:00:00Z", "lastAttempt": "2026-05-07T11:00:05Z",
            "attempts": 2, "lastHttpStatus": 500, "callbackEventId": 88002,
            "deliveryStatus": "failed", "isTest": false, "objectId": 5550001,
            "retriesRemaining": 1, "nextAttempt": "2026-05-07T11:00:09Z",
            "lastResponseBody": "Internal Server Error"
        }),
    )
}

/// A suspended callback with no delivery yet.
fn entry_7004() -> Value {
    json!({
        "callbackId": 7004, "callBackQueueId": 7004, "url": "https://app.example.com/out",
        "event": "Parcel", "callBackEvent": "OutBoxError", "mailboxId": 101,
        "queuedAt": null, "lastAttempt": null, "attempts": 0, "status": "Suspended",
        "lastHttpStatus": null, "networkId": 1, "direction": "OutBox", "httpAuthType": "None",
        "username": null, "frequency": 5, "retries": 2, "objectStatus": 0, "ecGridId": 0,
        "userId": 1042, "created": "2026-05-06T08:00:00Z", "modified": "2026-05-06T08:00:00Z",
        "callbackEventId": null, "deliveryStatus": null, "isTest": null, "objectId": null,
        "retriesRemaining": 2, "nextAttempt": null, "lastResponseBody": null
    })
}

fn event(id: i64, callback: i64, status: &str, created: &str, extra: Value) -> Value {
    with(
        json!({
            "callbackEventId": id, "callbackId": callback, "event": "Parcel", "mailboxId": 101,
            "objectId": 5550001, "status": status, "created": created, "delivered": null,
            "httpStatus": null, "attempts": 0, "lastAttempt": null, "nextAttempt": null,
            "isTest": false, "fileName": "850.edi", "responseBody": null,
            "retriesRemaining": 3, "networkId": 1, "callBackEvent": "InBox", "message": null
        }),
        extra,
    )
}

fn event_88001() -> Value {
    event(
        88001,
        7001,
        "delivered",
        "2026-05-07T10:00:00Z",
        json!({"isTest": true, "objectId": 0, "fileName": "test.edi", "delivered": "2026-05-07T10:00:01Z",
               "httpStatus": 200, "attempts": 1, "lastAttempt": "2026-05-07T10:00:01Z", "responseBody": "OK"}),
    )
}

fn event_88002() -> Value {
    event(
        88002,
        7001,
        "failed",
        "2026-05-07T11:00:00Z",
        json!({"httpStatus": 500, "attempts": 2, "lastAttempt": "2026-05-07T11:00:05Z",
               "nextAttempt": "2026-05-07T11:00:09Z", "responseBody": "Internal Server Error",
               "retriesRemaining": 1}),
    )
}

fn event_88004() -> Value {
    event(88004, 7001, "pending", "2026-05-07T11:30:00Z", json!({}))
}

fn event_88005() -> Value {
    event(
        88005,
        7004,
        "dead_letter",
        "2026-05-06T09:00:00Z",
        json!({"httpStatus": null, "attempts": 3, "lastAttempt": "2026-05-06T09:00:07Z",
               "retriesRemaining": 0, "message": "connection refused", "callBackEvent": "OutBoxError"}),
    )
}

fn page(key: &str, items: Vec<Value>) -> Value {
    json!({"totalRecords": items.len(), "pageNo": 1, "recordsPerPage": 500, key: items})
}

async fn mount(server: &MockServer, mock: Mock) {
    mock.mount(server).await;
}

/// A POST mock on `p`.
fn post(p: &str) -> MockBuilder {
    Mock::given(method("POST")).and(path(p.to_string()))
}

/// An upstream that answers the test login, and nothing else yet.
async fn upstream_with_login() -> MockServer {
    let server = MockServer::start().await;
    mount(
        &server,
        post("/v2/auth/login").respond_with(ok(
            json!({"token": TOKEN, "expiresAt": "2099-01-01T00:00:00Z", "userId": 1042}),
        )),
    )
    .await;
    server
}

async fn upstream() -> MockServer {
    let server = upstream_with_login().await;
    // create: guide shape answers as the guide's published sample does.
    mount(
        &server,
        post("/v2/callbacks/create")
            .and(body_partial_json(json!({"callBackEvent": "InBox"})))
            .respond_with(ok(json!({
                "callBackQueueId": 7002, "callBackUrl": support::guide::GUIDE_URL,
                "callBackEvent": "InBox", "status": "Active"
            }))),
    )
    .await;
    mount(
        &server,
        post("/v2/callbacks/create")
            .and(body_partial_json(json!({"event": "Interchange"})))
            .respond_with(ok(record_7003())),
    )
    .await;
    mount(
        &server,
        post("/v2/callbacks/create")
            .and(body_partial_json(json!({"event": "Parcel"})))
            .respond_with(ok(record_7001())),
    )
    .await;
    // test
    let tested = |id: i64| {
        ok(json!({
            "callbackId": id, "url": "https://app.example.com/hook", "httpStatus": 200,
            "responseBody": "OK", "testedAt": "2026-05-07T12:00:01Z", "deliveryId": 88010,
            "status": "delivered", "message": null
        }))
    };
    for id in [7001, 7002] {
        mount(
            &server,
            post("/v2/callbacks/test")
                .and(body_json(json!({"callbackId": id})))
                .respond_with(tested(id)),
        )
        .await;
    }
    mount(
        &server,
        post("/v2/callbacks/test")
            .and(body_json(json!({"callbackId": 7005})))
            .respond_with(ok(json!({
                "callbackId": 7005, "url": "https://down.example.com/hook", "httpStatus": null,
                "responseBody": null, "testedAt": "2026-05-07T12:00:02Z", "deliveryId": 88011,
                "status": "dead_letter", "message": "connection refused (os error 111)"
            }))),
    )
    .await;
    // get-queue-by-id
    for (id, entry) in [("7001", entry_7001()), ("7004", entry_7004())] {
        mount(
            &server,
            Mock::given(method("GET"))
                .and(path("/v2/callbacks/get-queue-by-id"))
                .and(query_param("callbackId", id))
                .respond_with(ok(entry)),
        )
        .await;
    }
    mount(
        &server,
        post("/v2/callbacks/get-event-by-id")
            .and(body_json(json!({"callbackEventId": 88002})))
            .respond_with(ok(with(
                event_88002(),
                json!({"payload": "{}", "attemptLog": [
                    {"attempt": 1, "at": "2026-05-07T11:00:01Z", "httpStatus": null, "responseBody": null, "error": "connection refused"},
                    {"attempt": 2, "at": "2026-05-07T11:00:05Z", "httpStatus": 500, "responseBody": "Internal Server Error", "error": null}
                ]}),
            ))),
    )
    .await;
    // event-list, by filter
    let events = |filter: Value, items: Vec<Value>| {
        post("/v2/callbacks/event-list")
            .and(body_partial_json(filter))
            .respond_with(ok(page("events", items)))
    };
    // An event of another callback is listed too: the gateway filters again.
    mount(
        &server,
        events(
            json!({"callbackId": 7001}),
            vec![
                event_88001(),
                event_88002(),
                event(88003, 7999, "delivered", "2026-05-07T11:45:00Z", json!({})),
            ],
        ),
    )
    .await;
    mount(
        &server,
        events(json!({"status": "pending"}), vec![event_88004()]),
    )
    .await;
    mount(
        &server,
        events(json!({"status": "failed"}), vec![event_88002()]),
    )
    .await;
    mount(&server, events(json!({"status": "rate_limited"}), vec![])).await;
    mount(
        &server,
        events(
            json!({"status": "dead_letter", "beginDate": "2026-04-30T12:00:00Z"}),
            vec![event_88005()],
        ),
    )
    .await;
    // queue-list
    mount(
        &server,
        post("/v2/callbacks/queue-list")
            .and(body_partial_json(json!({"status": "Active"})))
            .respond_with(ok(page("queueEntries", vec![entry_7001()]))),
    )
    .await;
    mount(
        &server,
        post("/v2/callbacks/queue-list")
            .respond_with(ok(page("queueEntries", vec![entry_7001(), entry_7004()]))),
    )
    .await;
    // update
    mount(
        &server,
        post("/v2/callbacks/update")
            .and(body_json(
                json!({"callbackId": 7001, "status": "Suspended"}),
            ))
            .respond_with(ok(with(record_7001(), json!({"status": "Suspended"})))),
    )
    .await;
    // Anything about callback 9999 is unknown.
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/v2/callbacks/get-queue-by-id"))
            .and(query_param("callbackId", "9999"))
            .respond_with(not_found("callback 9999 not found")),
    )
    .await;
    for p in ["/v2/callbacks/test", "/v2/callbacks/update"] {
        mount(
            &server,
            post(p)
                .and(body_partial_json(json!({"callbackId": 9999})))
                .respond_with(not_found("callback 9999 not found")),
        )
        .await;
    }
    server
}

async fn login(gw: &TestGateway) -> String {
    gw.login(Soap::V11, "jsmith", "pw").await
}

/// The JSON bodies the gateway POSTed to `p`.
async fn sent_to(server: &MockServer, p: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == p)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

const ADD_EX: [(&str, &str); 13] = [
    ("NetworkID", "1"),
    ("MailboxID", "101"),
    ("UserID", "1042"),
    ("SystemObject", "Parcel"),
    ("ObjectStatus", "0"),
    ("Direction", "InBox"),
    ("Frequency", "1"),
    ("MaxRetries", "3"),
    ("URL", "https://app.example.com/hook"),
    ("HTTPAuthentication", "Basic"),
    ("HTTPUser", "hookuser"),
    ("HTTPPassword", "Hook&Pass<1>"),
    ("Status", "Active"),
];

fn with_session<'a>(sid: &'a str, params: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![("SessionID", sid)];
    all.extend_from_slice(params);
    all
}

/// A snapshot name, an operation and its parameters (SessionID added).
type Call = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
);

#[tokio::test]
async fn every_callback_operation_answers_in_wsdl_shape_in_both_soap_versions() {
    let server = upstream().await;
    let gw = spawn_gateway(&config_for(&server.uri())).await;
    let sid = login(&gw).await;
    let calls: Vec<Call> = vec![
        ("callback_add_ex", "CallBackAddEx", ADD_EX.to_vec()),
        (
            "callback_add_reference",
            "CallBackAdd",
            vec![
                ("NetworkID", "1"),
                ("MailboxID", "100"),
                ("URL", "https://app.example.com/interchanges"),
                ("Event", "Interchange"),
                ("AuthType", "Basic"),
                ("Username", "cbuser"),
                ("Password", "cbpass"),
            ],
        ),
        (
            "callback_add_guide",
            "CallBackAdd",
            vec![
                ("NetworkID", "0"),
                ("MailboxID", "0"),
                ("ECGridID", "0"),
                ("CallBackURL", support::guide::GUIDE_URL),
                ("CallBackEvent", "InBox"),
                ("Frequency", "1"),
                ("Retries", "3"),
            ],
        ),
        (
            "callback_test",
            "CallBackTest",
            vec![
                ("CallBackEventID", "7001"),
                ("ParcelID", "0"),
                ("InterchangeID", "0"),
                ("UserID", "0"),
            ],
        ),
        (
            "callback_test_no_response",
            "CallBackTest",
            vec![("CallBackQueueID", "7005")],
        ),
        (
            "callback_queue_info",
            "CallBackQueueInfo",
            vec![("CallBackQueueID", "7001")],
        ),
        (
            "callback_queue_info_no_delivery",
            "CallBackQueueInfo",
            vec![("CallBackQueueID", "7004")],
        ),
        (
            "callback_event_info",
            "CallBackEventInfo",
            vec![("CallBackEventID", "7001"), ("QueueCount", "5")],
        ),
        (
            "callback_event_info_no_queue",
            "CallBackEventInfo",
            vec![("CallBackEventID", "7001"), ("QueueCount", "0")],
        ),
        (
            "callback_event_list_ex",
            "CallBackEventListEx",
            vec![
                ("NetworkID", "0"),
                ("MailboxID", "0"),
                ("ShowInactive", "true"),
            ],
        ),
        ("callback_pending_list", "CallBackPendingList", vec![]),
        (
            "callback_failed_list",
            "CallBackFailedList",
            vec![("MaxDays", "7")],
        ),
        (
            "callback_event_set_status",
            "CallBackEventSetStatus",
            vec![("CallBackEventID", "7001"), ("Status", "Suspended")],
        ),
    ];
    for soap in Soap::BOTH {
        for (name, op, params) in &calls {
            let reply = gw.call(soap, op, &with_session(&sid, params)).await;
            assert_eq!(reply.status, 200, "{name}: {}", reply.body);
            assert_soap_snapshot!(format!("{name}_{}", soap.label()), reply);
        }
    }
    gw.stop().await;
}

#[tokio::test]
async fn list_semantics_filter_order_and_bound() {
    let server = upstream().await;
    let gw = spawn_gateway(&config_for(&server.uri())).await;
    let sid = login(&gw).await;

    // Active only without ShowInactive: 7004 (Suspended) is left out even
    // though this upstream lists it for an unfiltered call.
    let reply = gw.event_list_ex(&sid, false).await;
    assert_eq!(reply.body.matches("<CallBackEventIDInfo>").count(), 1);
    assert!(reply
        .body
        .contains("<CallBackEventID>7001</CallBackEventID>"));

    // Newest first, other callbacks' events dropped, at most QueueCount.
    let reply = gw
        .call(
            Soap::V11,
            "CallBackEventInfo",
            &[
                ("SessionID", &sid),
                ("CallBackEventID", "7001"),
                ("QueueCount", "1"),
            ],
        )
        .await;
    assert_eq!(reply.body.matches("<CallBackQueueIDInfo>").count(), 1);
    assert!(reply.body.contains("<CallBackLogID>88002</CallBackLogID>"));
    assert!(!reply.body.contains("88003"));

    // Pending keeps pending + failed (rate_limited asked too), oldest first.
    let reply = gw
        .call(Soap::V11, "CallBackPendingList", &[("SessionID", &sid)])
        .await;
    let first = reply.body.find("<Status>Active</Status>").unwrap(); // failed 88002
    let second = reply.body.find("<Status>Pending</Status>").unwrap(); // pending 88004
    assert!(first < second, "{}", reply.body);
    let statuses: Vec<String> = sent_to(&server, "/v2/callbacks/event-list")
        .await
        .iter()
        .filter_map(|b| b["status"].as_str().map(str::to_string))
        .collect();
    for s in ["pending", "failed", "rate_limited"] {
        assert!(statuses.contains(&s.to_string()), "{statuses:?}");
    }
    for body in sent_to(&server, "/v2/callbacks/event-list").await {
        assert_eq!(body["pageNo"], 1);
        assert_eq!(body["recordsPerPage"], 500);
    }
    gw.stop().await;
}

#[tokio::test]
async fn upstream_receives_the_documented_create_shapes() {
    let server = upstream().await;
    let gw = spawn_gateway(&config_for(&server.uri())).await;
    let sid = login(&gw).await;
    let add = |params: Vec<(&'static str, &'static str)>, op: &'static str| {
        let gw = &gw;
        let sid = sid.clone();
        async move {
            let mut all = vec![("SessionID", sid.as_str())];
            all.extend(params);
            let reply = gw.call(Soap::V12, op, &all).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
        }
    };
    add(ADD_EX.to_vec(), "CallBackAddEx").await;
    add(
        vec![
            ("NetworkID", "1"),
            ("MailboxID", "100"),
            ("URL", "https://app.example.com/interchanges"),
            ("Event", "interchange"),
            ("AuthType", "basic"),
            ("Username", "cbuser"),
            ("Password", "cb pass"),
        ],
        "CallBackAdd",
    )
    .await;
    add(
        vec![
            ("NetworkID", "0"),
            ("MailboxID", "0"),
            ("ECGridID", "0"),
            ("CallBackURL", support::guide::GUIDE_URL),
            ("CallBackEvent", "InBox"),
            ("Frequency", "1"),
            ("Retries", "3"),
        ],
        "CallBackAdd",
    )
    .await;
    let bodies = sent_to(&server, "/v2/callbacks/create").await;
    assert_eq!(
        bodies,
        vec![
            json!({"url": "https://app.example.com/hook", "event": "Parcel", "networkId": 1,
                   "mailboxId": 101, "httpAuthType": "Basic", "username": "hookuser",
                   "password": "Hook&Pass<1>", "frequency": 1, "retries": 3, "status": "Active",
                   "direction": "InBox", "objectStatus": 0, "userId": 1042}),
            json!({"url": "https://app.example.com/interchanges", "event": "Interchange",
                   "networkId": 1, "mailboxId": 100, "httpAuthType": "Basic",
                   "username": "cbuser", "password": "cb pass"}),
            json!({"callBackUrl": support::guide::GUIDE_URL, "callBackEvent": "InBox",
                   "networkId": 0, "mailboxId": 0, "ecGridId": 0, "frequency": 1, "retries": 3,
                   "status": "Active"}),
        ]
    );
    // Every call carried the session's bearer token.
    for req in server.received_requests().await.unwrap() {
        if req.url.path() != "/v2/auth/login" {
            assert_eq!(
                req.headers.get("authorization").unwrap(),
                &format!("Bearer {TOKEN}")
            );
        }
    }
    gw.stop().await;
}

#[tokio::test]
async fn the_guides_raw_envelopes_work_byte_for_byte() {
    let server = upstream().await;
    let gw = spawn_gateway(&config_for(&server.uri())).await;
    let sid = login(&gw).await;
    let reply = support::guide::post(
        &gw,
        "CallBackAdd",
        support::guide::add_envelope(&sid, support::guide::GUIDE_URL),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply
        .body
        .contains(r#"<CallBackAddResponse xmlns="http://www.ecgridos.net/">"#));
    assert_soap_snapshot!("callback_add_guide_raw", reply);
    let queue_id = reply.text_of("CallBackQueueID").expect("CallBackQueueID");
    assert_eq!(queue_id, "7002");

    let reply = support::guide::post(
        &gw,
        "CallBackTest",
        support::guide::test_envelope(&sid, &queue_id),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.text_of("CallBackQueueID").as_deref(), Some("7002"));
    assert_eq!(reply.text_of("Status").as_deref(), Some("Completed"));
    assert_eq!(reply.text_of("Test").as_deref(), Some("true"));
    assert_eq!(reply.text_of("ReturnCode").as_deref(), Some("200"));
    assert_soap_snapshot!("callback_test_guide_raw", reply);
    assert_eq!(
        sent_to(&server, "/v2/callbacks/test").await,
        vec![json!({"callbackId": 7002})]
    );
    gw.stop().await;
}

#[tokio::test]
async fn callback_faults_in_both_soap_versions() {
    let server = upstream().await;
    let gw = spawn_gateway(&config_for(&server.uri())).await;
    let sid = login(&gw).await;
    for soap in Soap::BOTH {
        let v = soap.label();
        // Unknown id: REST 404 → ObjectNotFound, soap:Client.
        for (name, op, params) in [
            (
                "queue_info",
                "CallBackQueueInfo",
                vec![("CallBackQueueID", "9999")],
            ),
            ("test", "CallBackTest", vec![("CallBackQueueID", "9999")]),
            (
                "set_status",
                "CallBackEventSetStatus",
                vec![("CallBackEventID", "9999"), ("Status", "Active")],
            ),
        ] {
            let reply = gw.call(soap, op, &with_session(&sid, &params)).await;
            assert_eq!(reply.status, 500);
            assert_eq!(
                reply.text_of("ECGridOSSOAPErrorCode").as_deref(),
                Some("ObjectNotFound"),
                "{name}"
            );
            if name == "queue_info" {
                assert_soap_snapshot!(format!("fault_callback_unknown_id_{v}"), reply);
            }
        }
        // Bad enum from the client → InvalidParameter naming field and values.
        let mut params = with_session(&sid, &ADD_EX);
        params.retain(|(k, _)| *k != "Direction");
        params.push(("Direction", "Sideways"));
        let reply = gw.call(soap, "CallBackAddEx", &params).await;
        assert_eq!(
            reply.text_of("ECGridOSSOAPErrorCode").as_deref(),
            Some("InvalidParameter")
        );
        assert_soap_snapshot!(format!("fault_callback_bad_enum_{v}"), reply);
        // Neither CallBackAdd form.
        let reply = gw
            .call(
                soap,
                "CallBackAdd",
                &[("SessionID", &sid), ("NetworkID", "1")],
            )
            .await;
        assert_soap_snapshot!(format!("fault_callback_add_no_form_{v}"), reply);
        // Missing SessionID → Authentication, before any REST call.
        let reply = gw.call(soap, "CallBackPendingList", &[]).await;
        assert_eq!(
            reply.text_of("ECGridOSSOAPErrorCode").as_deref(),
            Some("Authentication")
        );
        assert_soap_snapshot!(format!("fault_callback_missing_session_{v}"), reply);
    }
    // No callback call reached the upstream for the refused requests.
    assert!(sent_to(&server, "/v2/callbacks/create").await.is_empty());
    gw.stop().await;
}

#[tokio::test]
async fn lists_follow_every_page_until_a_short_one() {
    // A full first page (500, the page size the gateway asks for) means
    // there may be more: the gateway asks for page 2, which is short, and
    // stops there. Every entry of both pages is listed.
    let server = upstream_with_login().await;
    let entries = |ids: std::ops::Range<i64>| -> Vec<Value> {
        ids.map(|id| {
            with(
                entry_7001(),
                json!({"callbackId": id, "callBackQueueId": id}),
            )
        })
        .collect()
    };
    // A full page of 500, then the one left over.
    for (page, ids) in [(1, 10_000..10_500), (2, 10_500..10_501)] {
        mount(
            &server,
            post("/v2/callbacks/queue-list")
                .and(body_partial_json(json!({"pageNo": page})))
                .respond_with(ok(
                    json!({"totalRecords": 501, "queueEntries": entries(ids)}),
                )),
        )
        .await;
    }
    let gw = spawn_gateway(&config_for(&server.uri())).await;
    let sid = login(&gw).await;

    let reply = gw.event_list_ex(&sid, true).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body.matches("<CallBackEventIDInfo>").count(), 501);
    assert!(reply
        .body
        .contains("<CallBackEventID>10500</CallBackEventID>"));
    let pages: Vec<Value> = sent_to(&server, "/v2/callbacks/queue-list")
        .await
        .iter()
        .map(|b| b["pageNo"].clone())
        .collect();
    assert_eq!(pages, vec![json!(1), json!(2)]);
    gw.stop().await;
}
