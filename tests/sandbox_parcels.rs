//! The sandbox's EDI file loop over HTTP: two parties, routing by ISA/UNB,
//! status history, visibility, callbacks on real events, the byte bound.

mod support;

use std::time::Duration;

use base64::Engine as _;
use ecgrid_gateway::sandbox::{Account, SandboxConfig, PARTNER_API_KEY};
use serde_json::{json, Value};
use support::api::{test_config, Api};
use support::receiver::{Receiver, Reply};

const WAIT: Duration = Duration::from_secs(5);
const DEMO: i64 = 100101;
const PARTNER: i64 = 200201;

/// An X12 850 from demo, addressed by its ISA to `receiver` (15 wide).
fn x12_850(sender: &str, receiver: &str) -> String {
    format!(
        "ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}*260507*1030*U*00401*000000001*0*P*>~\n\
         GS*PO*{sender}*{receiver}*20260507*1030*1*X*004010~\nST*850*0001~\n\
         BEG*00*SA*PO123**20260507~\nSE*3*0001~\nGE*1*1~\nIEA*1*000000001~\n"
    )
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().expect("content is a string"))
        .expect("content is base64")
}

fn statuses(parcel: &Value) -> Vec<String> {
    parcel["statusHistory"]
        .as_array()
        .expect("statusHistory")
        .iter()
        .map(|h| h["status"].as_str().unwrap().to_string())
        .collect()
}

async fn get(api: &Api, path: &str) -> (u16, Value) {
    api.call(reqwest::Method::GET, path, None).await
}

async fn upload(api: &Api, body: Value) -> (u16, Value) {
    api.post("/v2/parcels/upload", body).await
}

async fn pending(api: &Api) -> Vec<Value> {
    api.ok("/v2/parcels/pending-inbox-list", json!({}))
        .await
        .as_array()
        .expect("pending-inbox-list is a bare array")
        .clone()
}

fn events_named<'a>(
    got: &'a [support::receiver::Recorded],
    name: &str,
) -> Vec<&'a support::receiver::Recorded> {
    got.iter()
        .filter(|r| r.json()["callBackEvent"] == name)
        .collect()
}

#[tokio::test]
async fn two_parties_exchange_an_x12_850_with_history_and_callbacks() {
    let demo = Api::start(test_config()).await;
    let partner = demo.with_key(PARTNER_API_KEY);
    let partner_rx = Receiver::start(vec![Reply::status(200)]).await;
    let demo_rx = Receiver::start(vec![Reply::status(200)]).await;
    partner
        .create_callback(&partner_rx.url("/inbox"), json!({"callBackEvent": "InBox"}))
        .await;
    for ev in ["OutBox", "ConfirmDelivery"] {
        demo.create_callback(&demo_rx.url("/out"), json!({"callBackEvent": ev}))
            .await;
    }

    let file = x12_850("ECGRIDDEMO", "ECGRIDPARTNER");
    let (status, v) = upload(
        &demo,
        json!({"fileName": "850_order.edi", "content": b64(file.as_bytes()), "bytes": file.len()}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let outbound = v["data"].as_i64().expect("upload answers the parcel id");

    // The partner's InBox callback fires for the inbound parcel.
    let got = partner_rx.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    let payload = got[0].json();
    assert_eq!(payload["callBackEvent"], "InBox");
    assert_eq!(payload["fileName"], "850_order.edi");
    assert_eq!(payload["mailboxId"], 201);
    let inbound = payload["parcelId"].as_i64().unwrap();
    assert_ne!(inbound, outbound);

    // The partner's inbox lists it with name, size and both IDs.
    let list = pending(&partner).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let p = &list[0];
    assert_eq!(p["parcelId"], inbound);
    assert_eq!(p["fileName"], "850_order.edi");
    assert_eq!(p["bytes"], file.len());
    assert_eq!(
        (p["ecGridIdFrom"].as_i64(), p["ecGridIdTo"].as_i64()),
        (Some(DEMO), Some(PARTNER))
    );
    assert_eq!(p["status"], "InBoxReady");
    assert_eq!(p["mailboxId"], 201);
    assert_eq!(p["mailboxNameFrom"], "Demo Mailbox");
    assert_eq!(p["standard"], "X12");
    let paged = partner
        .ok(
            "/v2/parcels/inbox-list",
            json!({"ecGridIdFrom": DEMO, "status": "inboxready"}),
        )
        .await;
    assert_eq!(paged["totalRecords"], 1);
    assert_eq!(paged["recordsPerPage"], 25);
    assert_eq!(paged["parcels"][0]["parcelId"], inbound);
    assert!(pending(&demo).await.is_empty(), "demo's inbox is empty");

    // Download returns the exact bytes and leaves it pending until confirm.
    let d = partner
        .ok("/v2/parcels/download", json!({"parcelId": inbound}))
        .await;
    assert_eq!(unb64(&d["content"]), file.as_bytes());
    assert_eq!(d["fileName"], "850_order.edi");
    assert_eq!(d["bytes"], file.len());
    assert_eq!(pending(&partner).await.len(), 1);
    let (_, info) = get(&partner, &format!("/v2/parcels/{inbound}")).await;
    assert_eq!(statuses(&info["data"]), ["InBoxReady", "InBoxReady"]);
    assert_eq!(info["data"]["downloadCount"], 1);

    // Confirm: InBoxTransferred, out of the pending list, sender acknowledged.
    assert_eq!(
        partner
            .ok("/v2/parcels/confirm", json!({"parcelId": inbound}))
            .await,
        true
    );
    assert!(pending(&partner).await.is_empty());
    let (_, info) = get(&partner, &format!("/v2/parcels/{inbound}")).await;
    assert_eq!(info["data"]["status"], "InBoxTransferred");
    assert_eq!(
        statuses(&info["data"]),
        ["InBoxReady", "InBoxReady", "InBoxTransferred"]
    );
    assert!(info["data"]["statusHistory"][2]["date"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    let out = demo.ok("/v2/parcels/outbox-list", json!({})).await;
    assert_eq!(out["totalRecords"], 1);
    let o = &out["parcels"][0];
    assert_eq!(o["parcelId"], outbound);
    assert_eq!(o["status"], "outboxAcknowledged");
    assert_eq!(
        statuses(o),
        ["outboxPending", "outboxSent", "outboxAcknowledged"]
    );

    // The sender's OutBox (delivery) and ConfirmDelivery callbacks fired.
    let got = demo_rx.wait_for(2, WAIT).await;
    assert_eq!(events_named(&got, "OutBox").len(), 1, "{got:?}");
    let confirm = events_named(&got, "ConfirmDelivery");
    assert_eq!(confirm.len(), 1, "{got:?}");
    assert_eq!(confirm[0].json()["parcelId"], outbound);
    assert_eq!(
        partner_rx.requests().len(),
        1,
        "only the InBox event reached the partner"
    );

    // A second confirm is a no-op; no second ConfirmDelivery.
    assert_eq!(
        partner
            .ok("/v2/parcels/confirm", json!({"parcelId": inbound}))
            .await,
        true
    );

    // One interchange, seen from both sides.
    let ins = partner.ok("/v2/interchanges/inbox-list", json!({})).await;
    assert_eq!(ins["totalRecords"], 1);
    let ic = &ins["interchanges"][0];
    assert_eq!(ic["documentType"], "850");
    assert_eq!(ic["sender"], "ECGRIDDEMO");
    assert_eq!(ic["receiver"], "ECGRIDPARTNER");
    assert_eq!(ic["parcelId"], inbound);
    assert_eq!(ic["interchangeControlId"], "000000001");
    let id = ic["interchangeId"].as_i64().unwrap();
    let outs = demo.ok("/v2/interchanges/outbox-list", json!({})).await;
    assert_eq!(outs["interchanges"][0]["parcelId"], outbound);
    let (s, one) = get(&demo, &format!("/v2/interchanges/{id}")).await;
    assert_eq!(
        (s, one["data"]["parcelStatus"].clone()),
        (200, json!("outboxAcknowledged"))
    );
    let got = demo_rx.wait_for(3, Duration::from_millis(300)).await;
    assert_eq!(events_named(&got, "ConfirmDelivery").len(), 1, "{got:?}");
}

#[tokio::test]
async fn an_edifact_interchange_is_routed_by_its_unb_recipient() {
    let demo = Api::start(test_config()).await;
    let partner = demo.with_key(PARTNER_API_KEY);
    let file = "UNA:+.? 'UNB+UNOA:3+ECGRIDDEMO:ZZ+ECGRIDPARTNER:ZZ+260507:1030+REF42'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+REF42'";
    let (s, v) = upload(
        &demo,
        json!({"fileName": "orders.edi", "content": b64(file.as_bytes())}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let p = &pending(&partner).await[0];
    assert_eq!(p["standard"], "EDIFACT");
    let ic = partner
        .ok(
            "/v2/interchanges/inbox-list",
            json!({"interchangeControlId": "REF42"}),
        )
        .await;
    assert_eq!(ic["totalRecords"], 1, "{ic}");
    assert_eq!(ic["interchanges"][0]["documentType"], "ORDERS");
    let d = partner
        .ok("/v2/parcels/download", json!({"id": p["parcelId"]}))
        .await;
    assert_eq!(unb64(&d["content"]), file.as_bytes());
}

#[tokio::test]
async fn reset_and_no_update_downloads() {
    let demo = Api::start(test_config()).await;
    let partner = demo.with_key(PARTNER_API_KEY);
    let (s, v) = upload(
        &demo,
        json!({"fileName": "notes.txt", "content": b64(b"plain text"), "toECGridId": PARTNER}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let inbound = pending(&partner).await[0]["parcelId"].as_i64().unwrap();
    let path = format!("/v2/parcels/{inbound}");

    let d = partner
        .ok(
            "/v2/parcels/download",
            json!({"parcelId": inbound, "noUpdate": true}),
        )
        .await;
    assert_eq!(unb64(&d["content"]), b"plain text");
    let (_, info) = get(&partner, &path).await;
    assert_eq!(
        statuses(&info["data"]),
        ["InBoxReady"],
        "no-update leaves it"
    );
    assert_eq!(info["data"]["standard"], "Binary");

    partner
        .ok("/v2/parcels/confirm", json!({"parcelId": inbound}))
        .await;
    assert!(pending(&partner).await.is_empty());
    let (s, v) = partner
        .post(&format!("/v2/parcels/reset-to-inbox/{inbound}"), json!({}))
        .await;
    assert_eq!((s, v["data"].clone()), (200, json!(true)), "{v}");
    let (_, info) = get(&partner, &path).await;
    assert_eq!(
        statuses(&info["data"]),
        ["InBoxReady", "InBoxTransferred", "InBoxReady"]
    );
    assert_eq!(pending(&partner).await.len(), 1, "back in the inbox");
}

#[tokio::test]
async fn a_party_sees_only_its_own_parcels() {
    let demo = Api::start(test_config()).await;
    let partner = demo.with_key(PARTNER_API_KEY);
    let file = x12_850("ECGRIDDEMO", "ECGRIDPARTNER");
    let (_, v) = upload(
        &demo,
        json!({"fileName": "a.edi", "content": b64(file.as_bytes())}),
    )
    .await;
    let outbound = v["data"].as_i64().unwrap();
    let inbound = pending(&partner).await[0]["parcelId"].as_i64().unwrap();

    let (s, v) = get(&partner, &format!("/v2/parcels/{outbound}")).await;
    assert_eq!(
        (s, v["errorCode"].clone()),
        (403, json!("AccessDenied")),
        "{v}"
    );
    let (s, v) = demo
        .post("/v2/parcels/download", json!({"parcelId": inbound}))
        .await;
    assert_eq!(
        (s, v["errorCode"].clone()),
        (403, json!("AccessDenied")),
        "{v}"
    );
    let (s, v) = demo
        .post("/v2/parcels/confirm", json!({"parcelId": 99_999_999}))
        .await;
    assert_eq!(
        (s, v["errorCode"].clone()),
        (404, json!("ObjectNotFound")),
        "{v}"
    );
    let (s, v) = get(&demo, "/v2/parcels/99999999").await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = demo
        .post("/v2/parcels/download", json!({"parcelId": outbound}))
        .await;
    assert_eq!(
        s, 400,
        "the sender cannot download its outbound parcel: {v}"
    );
    let (s, v) = demo
        .post("/v2/parcels/inbox-list", json!({"mailboxId": 201}))
        .await;
    assert_eq!(
        (s, v["errorCode"].clone()),
        (403, json!("AccessDenied")),
        "{v}"
    );
    let (s, v) = demo
        .post("/v2/parcels/outbox-list", json!({"mailboxId": 999}))
        .await;
    assert_eq!(s, 404, "{v}");
    let ic = partner.ok("/v2/interchanges/inbox-list", json!({})).await["interchanges"][0]
        ["interchangeId"]
        .as_i64()
        .unwrap();
    let third = demo.with_key("nobody-key");
    let (s, _) = get(&third, &format!("/v2/interchanges/{ic}")).await;
    assert_eq!(s, 401, "an unknown key");
    let (s, v) = get(&demo, "/v2/interchanges/99999999").await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = upload(&third, json!({"fileName": "x", "content": "!!"})).await;
    assert_eq!(
        (s, v["errorCode"].clone()),
        (401, json!("InvalidAPIKey")),
        "auth comes before the body: {v}"
    );
    let (s, v) = get(&demo, "/v2/parcels/abc").await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = demo
        .post("/v2/parcels/inbox-list", json!({"status": "Shipped"}))
        .await;
    assert!(
        s == 400 && v["message"].as_str().unwrap().contains("InBoxReady"),
        "{v}"
    );
}

#[tokio::test]
async fn misaddressed_uploads_are_refused_naming_the_id_and_nothing_is_stored() {
    let mut accounts = Account::builtins();
    let mut loner = Account::partner();
    loner.login = "loner".into();
    loner.api_key = "loner-key".into();
    loner.user_id = 3042;
    loner.network_id = 3;
    loner.mailbox_id = 301;
    loner.ecgrid_id = Some(300301);
    loner.tp_id = Some("LONER".into());
    loner.interconnects = Vec::new();
    accounts.push(loner);
    let demo = Api::start(SandboxConfig {
        accounts,
        ..test_config()
    })
    .await;
    let partner = demo.with_key(PARTNER_API_KEY);
    let rx = Receiver::start(vec![Reply::status(200)]).await;
    demo.create_callback(&rx.url("/err"), json!({"callBackEvent": "OutBoxError"}))
        .await;

    let cases = [
        (
            x12_850("ECGRIDDEMO", "NOBODY"),
            json!(null),
            "ISA07/ISA08 receiver ZZ/NOBODY is not a known trading partner ID",
        ),
        (
            x12_850("SOMEONE", "ECGRIDPARTNER"),
            json!(null),
            "ISA05/ISA06 sender ZZ/SOMEONE is not your ID",
        ),
        (
            x12_850("ECGRIDDEMO", "LONER"),
            json!(null),
            "(ZZ/LONER, ECGrid ID 300301) is not interconnected",
        ),
        (
            x12_850("ECGRIDDEMO", "ECGRIDPARTNER"),
            json!(4242),
            "ECGrid ID 4242 is not a known",
        ),
        (
            "UNB+UNOA:3+ECGRIDDEMO:ZZ+NOONE:ZZ+260507:1030+1'".to_string(),
            json!(null),
            "UNB S003 recipient ZZ/NOONE",
        ),
        (
            "just some bytes".to_string(),
            json!(null),
            "give `ecGridIdTo`",
        ),
    ];
    for (file, to, want) in &cases {
        let (s, v) = upload(
            &demo,
            json!({"fileName": "x.edi", "content": b64(file.as_bytes()), "ecGridIdTo": to}),
        )
        .await;
        assert_eq!(
            (s, v["errorCode"].clone()),
            (400, json!("InvalidParameter")),
            "{v}"
        );
        let m = v["message"].as_str().unwrap();
        assert!(m.contains(want), "want '{want}' in: {m}");
    }
    let (s, v) = upload(
        &demo,
        json!({"fileName": "x.edi", "content": b64(b"x"), "ecGridIdFrom": PARTNER, "ecGridIdTo": PARTNER}),
    )
    .await;
    assert!(
        s == 400 && v["message"].as_str().unwrap().contains("ecGridIdFrom"),
        "{v}"
    );
    let (s, v) = upload(
        &demo,
        json!({"fileName": "x.edi", "content": "not base64!", "ecGridIdTo": PARTNER}),
    )
    .await;
    assert!(
        s == 400 && v["message"].as_str().unwrap().contains("`content`"),
        "{v}"
    );
    let (s, v) = upload(
        &demo,
        json!({"fileName": "x.edi", "content": b64(b"abc"), "size": 4, "ecGridIdTo": PARTNER}),
    )
    .await;
    assert!(
        s == 400
            && v["message"]
                .as_str()
                .unwrap()
                .contains("decodes to 3 bytes"),
        "{v}"
    );

    assert_eq!(
        demo.ok("/v2/parcels/outbox-list", json!({})).await["totalRecords"],
        0
    );
    assert!(pending(&partner).await.is_empty());
    assert_eq!(
        partner.ok("/v2/interchanges/inbox-list", json!({})).await["totalRecords"],
        0
    );
    // Each routing refusal fired the uploader's OutBoxError (parcel 0).
    let got = rx.wait_for(cases.len(), WAIT).await;
    assert_eq!(got.len(), cases.len(), "{got:?}");
    assert!(got
        .iter()
        .all(|r| r.json()["callBackEvent"] == "OutBoxError" && r.json()["parcelId"] == 0));
}

#[tokio::test]
async fn the_byte_bound_archives_the_oldest_file() {
    let demo = Api::start(SandboxConfig {
        max_parcel_bytes: 4000,
        ..test_config()
    })
    .await;
    let partner = demo.with_key(PARTNER_API_KEY);
    for n in 0..3u8 {
        let (s, v) = upload(
            &demo,
            json!({"fileName": format!("f{n}"), "content": b64(&[n; 1500]), "ecGridIdTo": PARTNER}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
    }
    let inbox = partner.ok("/v2/parcels/inbox-list", json!({})).await;
    let ids: Vec<i64> = inbox["parcels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["parcelId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(inbox["parcels"][0]["status"], "InBoxArchived");
    let (s, v) = partner
        .post("/v2/parcels/download", json!({"parcelId": ids[0]}))
        .await;
    assert!(
        s == 404 && v["message"].as_str().unwrap().contains("archived"),
        "{v}"
    );
    for id in &ids[1..] {
        let d = partner
            .ok("/v2/parcels/download", json!({"parcelId": id}))
            .await;
        assert_eq!(unb64(&d["content"]).len(), 1500);
    }
    assert_eq!(pending(&partner).await.len(), 2);
    let (s, v) = upload(
        &demo,
        json!({"fileName": "big", "content": b64(&[1; 5000]), "ecGridIdTo": PARTNER}),
    )
    .await;
    assert!(
        s == 400
            && v["message"]
                .as_str()
                .unwrap()
                .contains("--max-parcel-bytes"),
        "{v}"
    );
}

#[tokio::test]
async fn a_20_mib_file_round_trips_and_small_endpoints_keep_small_limits() {
    let demo = Api::start(test_config()).await;
    let partner = demo.with_key(PARTNER_API_KEY);
    let mut file = vec![0u8; 20 << 20];
    let mut x: u32 = 0x9e37_79b9;
    for b in file.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = (x >> 24) as u8;
    }
    let client = reqwest::Client::new();
    let body = json!({"fileName": "big.bin", "content": b64(&file), "ecGridIdTo": PARTNER});
    let r = tokio::time::timeout(
        Duration::from_secs(60),
        client
            .post(format!("{}/v2/parcels/upload", demo.base))
            .header("X-API-Key", "demo-api-key")
            .json(&body)
            .send(),
    )
    .await
    .expect("upload answered in time")
    .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    drop(body);
    let inbound = pending(&partner).await[0]["parcelId"].as_i64().unwrap();
    let r = tokio::time::timeout(
        Duration::from_secs(60),
        client
            .post(format!("{}/v2/parcels/download", demo.base))
            .header("X-API-Key", PARTNER_API_KEY)
            .json(&json!({"parcelId": inbound}))
            .send(),
    )
    .await
    .expect("download answered in time")
    .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["data"]["bytes"], 20 << 20);
    assert!(
        unb64(&v["data"]["content"]) == file,
        "the downloaded bytes differ"
    );

    let big = "x".repeat(2 << 20);
    let (s, v) = demo
        .post("/v2/parcels/confirm", json!({"parcelId": 1, "pad": big}))
        .await;
    assert_eq!(s, 413, "{v}");
    assert!(v["message"].as_str().unwrap().contains("1 MiB"), "{v}");
}

#[tokio::test]
async fn directory_reads_answer_from_the_seeded_accounts() {
    let demo = Api::start(test_config()).await;
    let (s, v) = get(&demo, "/v2/ids/200201").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"]["id"], "ECGRIDPARTNER");
    assert_eq!(v["data"]["mailboxId"], 201);
    let found = demo
        .ok(
            "/v2/ids/find",
            json!({"qualifier": "zz", "id": "ecgriddemo"}),
        )
        .await;
    assert_eq!(found[0]["ecGridId"], DEMO);
    let (s, v) = get(&demo, "/v2/ids/find?qualifier=ZZ&id=ECGRIDPARTNER").await;
    assert_eq!(
        (s, v["data"][0]["ecGridId"].clone()),
        (200, json!(PARTNER)),
        "{v}"
    );
    assert_eq!(
        demo.ok("/v2/ids/find", json!({"id": "NOPE"})).await,
        json!([])
    );
    let (s, v) = get(&demo, "/v2/mailboxes/101").await;
    assert_eq!((s, v["data"]["name"].clone()), (200, json!("Demo Mailbox")));
    let (s, _) = get(&demo, "/v2/mailboxes/201").await;
    assert_eq!(s, 403, "another network's mailbox");
    let (s, _) = get(&demo, "/v2/mailboxes/999").await;
    assert_eq!(s, 404);
    let boxes = demo.ok("/v2/mailboxes/list", json!({"name": "demo"})).await;
    assert_eq!(boxes["totalRecords"], 1);
    let nets = demo.ok("/v2/networks/list", json!({})).await;
    assert_eq!(nets["totalRecords"], 2);
    let nets = demo
        .ok("/v2/networks/list", json!({"name": "partner"}))
        .await;
    assert_eq!(nets["networks"][0]["networkId"], 2);
    let (s, v) = get(&demo, "/v2/networks/2").await;
    assert_eq!(
        (s, v["data"]["name"].clone()),
        (200, json!("Partner Network"))
    );
}

#[tokio::test]
async fn the_upload_limit_admits_a_64_mib_file_and_refuses_more_than_90_mib_of_body() {
    let demo = Api::start(test_config()).await;
    let client = reqwest::Client::new();
    let send = |body: Vec<u8>| {
        let req = client
            .post(format!("{}/v2/parcels/upload", demo.base))
            .header("X-API-Key", "demo-api-key")
            .header("Content-Type", "application/json")
            .body(body)
            .send();
        async move {
            tokio::time::timeout(Duration::from_secs(120), req)
                .await
                .expect("upload answered in time")
        }
    };
    let file = vec![b'A'; 64 << 20];
    let body = serde_json::to_vec(
        &json!({"fileName": "64mib.txt", "content": b64(&file), "ecGridIdTo": PARTNER}),
    )
    .unwrap();
    assert!(body.len() > 85 << 20);
    drop(file);
    let r = send(body).await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // 91 MiB of body: refused before it is parsed (the answer may race the
    // rest of the body; a reset connection is a refusal too).
    let mut body = br#"{"fileName":"x","content":""#.to_vec();
    body.resize(91 << 20, b'A');
    body.extend_from_slice(br#""}"#);
    match send(body).await {
        Ok(r) => {
            assert_eq!(r.status(), 413);
            let v: Value = r.json().await.unwrap();
            assert!(v["message"].as_str().unwrap().contains("90 MiB"), "{v}");
        }
        Err(e) => assert!(e.is_request() || e.is_body(), "unexpected error: {e}"),
    }
}
