//! Callbacks end to end: SOAP client → gateway → embedded sandbox (REST v2)
//! → real webhook POSTs to a receiver on 127.0.0.1, and back.

mod support;

use std::time::{Duration, Instant};

use base64::Engine as _;
use ecgrid_gateway::sandbox::{DEMO_API_KEY, DEMO_LOGIN, DEMO_PASSWORD};
use serde_json::json;
use support::receiver::{Receiver, Reply};
use support::*;

/// A gateway whose upstream is the in-process sandbox, allowed to call
/// http:// loopback receivers.
async fn gateway() -> TestGateway {
    spawn_on_sandbox(Duration::from_secs(15)).await
}

async fn login(gw: &TestGateway) -> String {
    gw.login(Soap::V11, DEMO_LOGIN, DEMO_PASSWORD).await
}

/// `CallBackAddEx` for InBox parcels of the demo mailbox, Basic auth.
async fn add_ex(gw: &TestGateway, sid: &str, url: &str, retries: &str) -> String {
    let reply = gw
        .call(
            Soap::V11,
            "CallBackAddEx",
            &[
                ("SessionID", sid),
                ("NetworkID", "1"),
                ("MailboxID", "101"),
                ("UserID", "0"),
                ("SystemObject", "Parcel"),
                ("ObjectStatus", "0"),
                ("Direction", "InBox"),
                ("Frequency", "0"),
                ("MaxRetries", retries),
                ("URL", url),
                ("HTTPAuthentication", "Basic"),
                ("HTTPUser", "hookuser"),
                ("HTTPPassword", "hook-pass"),
                ("Status", "Active"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(!reply.body.contains("hook-pass"), "{}", reply.body);
    reply.text_of("CallBackEventID").unwrap()
}

#[tokio::test]
async fn add_ex_then_test_reaches_the_receiver_with_basic_credentials() {
    let receiver = Receiver::start(vec![Reply::status(200).body("got it")]).await;
    let gw = gateway().await;
    let sid = login(&gw).await;
    let id = add_ex(&gw, &sid, &receiver.url("/hook"), "3").await;

    let reply = gw
        .call(
            Soap::V12,
            "CallBackTest",
            &[
                ("SessionID", &sid),
                ("CallBackEventID", &id),
                ("ParcelID", "0"),
                ("InterchangeID", "0"),
                ("UserID", "0"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.text_of("CallBackQueueID"), Some(id.clone()));
    assert_eq!(reply.text_of("Status").as_deref(), Some("Completed"));
    assert_eq!(reply.text_of("Test").as_deref(), Some("true"));
    assert_eq!(reply.text_of("ReturnCode").as_deref(), Some("200"));
    assert_eq!(reply.text_of("Message").as_deref(), Some("got it"));

    let got = receiver.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].path, "/hook");
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("hookuser:hook-pass")
    );
    assert_eq!(got[0].header("authorization"), Some(expected));
    let payload = got[0].json();
    assert_eq!(payload["isTest"], true);
    assert_eq!(payload["callBackQueueId"].to_string(), id);

    // The test delivery is the callback's latest: its log shows the 200.
    let reply = gw
        .call(
            Soap::V11,
            "CallBackQueueInfo",
            &[("SessionID", &sid), ("CallBackQueueID", &id)],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.text_of("Test").as_deref(), Some("true"));
    assert_eq!(reply.text_of("ReturnCode").as_deref(), Some("200"));
    assert_eq!(reply.text_of("User").as_deref(), Some("hookuser"));
    gw.stop().await;
}

#[tokio::test]
async fn the_guides_raw_envelopes_register_and_test_against_the_sandbox() {
    let receiver = Receiver::start(vec![]).await;
    let gw = gateway().await;
    let sid = login(&gw).await;
    let reply = support::guide::post(
        &gw,
        "CallBackAdd",
        support::guide::add_envelope(&sid, &receiver.url("/webhooks/ecgrid")),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply
        .body
        .contains(r#"<CallBackAddResponse xmlns="http://www.ecgridos.net/">"#));
    assert_eq!(reply.text_of("StatusCode").as_deref(), Some("InBox"));
    let queue_id = reply.text_of("CallBackQueueID").unwrap();

    let reply = support::guide::post(
        &gw,
        "CallBackTest",
        support::guide::test_envelope(&sid, &queue_id),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.text_of("Status").as_deref(), Some("Completed"));
    assert_eq!(reply.text_of("ReturnCode").as_deref(), Some("200"));

    let got = receiver.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/webhooks/ecgrid");
    assert_eq!(got[0].header("authorization"), None);
    let payload = got[0].json();
    assert_eq!(payload["callBackQueueId"].to_string(), queue_id);
    assert_eq!(payload["callBackEvent"], "InBox");
    gw.stop().await;
}

#[tokio::test]
async fn an_unknown_callback_is_an_object_not_found_client_fault() {
    let gw = gateway().await;
    let sid = login(&gw).await;
    for soap in Soap::BOTH {
        let reply = gw
            .call(
                soap,
                "CallBackQueueInfo",
                &[("SessionID", &sid), ("CallBackQueueID", "987654")],
            )
            .await;
        assert_eq!(reply.status, 500);
        assert_eq!(
            reply.text_of("ECGridOSSOAPErrorCode").as_deref(),
            Some("ObjectNotFound")
        );
        let code = match soap {
            Soap::V11 => reply.text_of("faultcode"),
            Soap::V12 => reply.text_of("Value"),
        };
        assert_eq!(
            code.as_deref(),
            Some(match soap {
                Soap::V11 => "soap:Client",
                Soap::V12 => "soap:Sender",
            })
        );
    }
    gw.stop().await;
}

#[tokio::test]
async fn a_fired_event_that_fails_shows_up_as_pending_and_in_event_info() {
    let receiver = Receiver::start(vec![Reply::status(500).body("boom")]).await;
    let gw = gateway().await;
    let sid = login(&gw).await;
    // Enough retries that the delivery stays open for the whole test (the
    // sandbox's default policy retries after ~1 s, then ~2 s, ...).
    let id = add_ex(&gw, &sid, &receiver.url("/hook"), "10").await;

    let sandbox = gw.gateway.sandbox().expect("in-process sandbox");
    let fired: serde_json::Value = gw
        .http
        .post(format!("{}/sandbox/events", sandbox.base_url()))
        .header("X-API-Key", DEMO_API_KEY)
        .json(&json!({"mailboxId": 101, "event": "InBox", "objectId": 5550001, "fileName": "850.edi"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fired["data"]["matched"], 1, "{fired}");
    let event_id = fired["data"]["events"][0]["callbackEventId"].to_string();

    // First attempt reaches the receiver, which answers 500.
    let got = receiver.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["parcelId"], 5550001);

    // CallBackEventInfo lists the delivery once its attempt is recorded.
    let deadline = Instant::now() + Duration::from_secs(5);
    let reply = loop {
        let reply = gw
            .call(
                Soap::V11,
                "CallBackEventInfo",
                &[
                    ("SessionID", &sid),
                    ("CallBackEventID", &id),
                    ("QueueCount", "5"),
                ],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        if reply.body.contains("<ReturnCode>500</ReturnCode>") || Instant::now() > deadline {
            break reply;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        reply.body.contains("<ReturnCode>500</ReturnCode>"),
        "{}",
        reply.body
    );
    assert!(reply
        .body
        .contains(&format!("<CallBackLogID>{event_id}</CallBackLogID>")));
    assert!(reply.body.contains("<ObjectID>5550001</ObjectID>"));
    assert!(reply.body.contains("<Message>boom</Message>"));

    // Still open (failed, retry scheduled): in the pending list.
    let reply = gw
        .call(Soap::V12, "CallBackPendingList", &[("SessionID", &sid)])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .body
            .contains(&format!("<CallBackQueueID>{id}</CallBackQueueID>")),
        "{}",
        reply.body
    );
    let status = reply.text_of("Status").unwrap();
    assert!(["Active", "Pending"].contains(&status.as_str()), "{status}");
    assert!(!reply.body.contains("<Status>Completed</Status>"));

    // Nothing failed for good yet.
    let reply = gw
        .call(
            Soap::V11,
            "CallBackFailedList",
            &[("SessionID", &sid), ("MaxDays", "1")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        !reply.body.contains("<CallBackQueueIDInfo>"),
        "{}",
        reply.body
    );

    // Suspending the callback through CallBackEventSetStatus shows in the list.
    let reply = gw
        .call(
            Soap::V11,
            "CallBackEventSetStatus",
            &[
                ("SessionID", &sid),
                ("CallBackEventID", &id),
                ("Status", "Suspended"),
            ],
        )
        .await;
    assert_eq!(
        reply.text_of("CallBackEventSetStatusResult").as_deref(),
        Some("true")
    );
    let reply = gw.event_list_ex(&sid, false).await;
    assert!(
        !reply.body.contains("<CallBackEventIDInfo>"),
        "{}",
        reply.body
    );
    let reply = gw.event_list_ex(&sid, true).await;
    assert!(
        reply.body.contains("<Status>Suspended</Status>"),
        "{}",
        reply.body
    );
    gw.stop().await;
}
