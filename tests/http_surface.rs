//! The HTTP surface around the SOAP calls: SOAPAction variants, the endpoint
//! and operation pages generated from the operation table and the schema,
//! `GET /`, and the served WSDL's addresses.

mod support;

use ecgrid_gateway::ops::OPERATIONS;
use support::*;

/// A gateway whose upstream is never called by these tests.
async fn gateway(public_url: Option<&str>) -> TestGateway {
    let mut config = config_for("http://127.0.0.1:9");
    config.public_url = public_url.map(str::to_string);
    spawn_gateway(&config).await
}

#[tokio::test]
async fn soap11_action_header_quoted_unquoted_or_absent_dispatches_on_the_body() {
    let gw = gateway(None).await;
    let body = envelope(Soap::V11, NS41, "NowUTC", &[]);
    for action in [
        Some("\"https://os.ecgrid.io/NowUTC\""),
        Some("https://os.ecgrid.io/NowUTC"),
        Some("\"\""),
        None,
    ] {
        let mut req = gw
            .http
            .post(gw.url(PATH41))
            .header("Content-Type", "text/xml; charset=utf-8")
            .body(body.clone());
        if let Some(action) = action {
            req = req.header("SOAPAction", action);
        }
        let reply = SoapReply::read(req.send().await.unwrap()).await;
        assert_eq!(reply.status, 200, "{action:?}: {}", reply.body);
        assert!(reply.text_of("NowUTCResult").is_some(), "{action:?}");
    }
    // SOAP 1.2 with the action in the content type.
    let reply = SoapReply::read(
        gw.http
            .post(gw.url(PATH41))
            .header(
                "Content-Type",
                "application/soap+xml; charset=utf-8; action=\"https://os.ecgrid.io/NowUTC\"",
            )
            .body(envelope(Soap::V12, NS41, "NowUTC", &[]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.content_type.starts_with("application/soap+xml"));
    gw.stop().await;
}

#[tokio::test]
async fn endpoint_page_lists_every_operation_of_the_table_with_its_page() {
    let gw = gateway(None).await;
    let resp = gw
        .http
        .get(gw.url("/V4.1/PROD/ECGRIDOS.ASMX"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = resp.text().await.unwrap();
    assert!(html.contains("<style>"), "the stylesheet is embedded");
    assert!(!html.contains("<link"), "nothing is fetched");
    for spec in OPERATIONS {
        assert!(
            html.contains(&format!("<a href=\"?op={0}\">{0}</a>", spec.name)),
            "{} missing",
            spec.name
        );
        for rest in spec.rest {
            assert!(html.contains(rest), "{rest} missing");
        }
        // Its page, the name in another case, has the SOAPAction and samples.
        let resp = gw
            .http
            .get(gw.url(&format!("{PATH41}?op={}", spec.name.to_lowercase())))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{}", spec.name);
        let page = resp.text().await.unwrap();
        assert!(page.contains(&format!("<h1>{}</h1>", spec.name)));
        assert!(
            page.contains(&spec.soap_action(NS41)),
            "{} SOAPAction missing",
            spec.name
        );
        if spec.in_original_wsdl() {
            assert!(page.contains("<h2>SOAP 1.1</h2>"), "{}", spec.name);
            assert!(page.contains("<h2>SOAP 1.2</h2>"), "{}", spec.name);
        }
    }
    let resp = gw
        .http
        .get(gw.url(&format!("{PATH41}?op=NoSuchThing")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.text().await.unwrap().contains("No such operation"));
    // v3.2 has its own page, its namespace in the samples.
    let resp = gw
        .http
        .get(gw.url("/v3.2/prod/ecgridos.asmx?op=Login"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("&lt;Login xmlns=&quot;http://ecgridos.net/&quot;&gt;"));
    gw.stop().await;
}

#[tokio::test]
async fn root_redirects_a_browser_to_the_v41_endpoint_page() {
    let gw = gateway(None).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(gw.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], PATH41);
    // A POST to / is still a SOAP fault.
    let resp = http
        .post(gw.url("/"))
        .header("Content-Type", "text/xml")
        .body("<x/>")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("no ECGridOS endpoint at /"));
    gw.stop().await;
}

#[tokio::test]
async fn wsdl_addresses_point_at_the_gateway() {
    let gw = gateway(None).await;
    for query in ["?WSDL", "?wsdl", "?Wsdl"] {
        let resp = gw
            .http
            .get(gw.url(&format!("{PATH41}{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let wsdl = resp.text().await.unwrap();
        let expected = format!(
            "location=\"{}/v4.1/prod/ECGridOS.asmx\"",
            gw.gateway.base_url()
        );
        assert!(
            wsdl.contains(&expected),
            "{query}: {expected} not in the WSDL"
        );
        assert!(
            !wsdl.contains("127.0.0.1:8080"),
            "{query}: file address left in place"
        );
    }
    let wsdl = gw
        .http
        .get(gw.url(&format!("{PATH32}?wsdl")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(wsdl.contains(&format!(
        "location=\"{}/v3.2/prod/ecgridos.asmx\"",
        gw.gateway.base_url()
    )));
    // A proxy in front: X-Forwarded-Proto and Host decide the address.
    let wsdl = gw
        .http
        .get(gw.url(&format!("{PATH41}?WSDL")))
        .header("Host", "soap.example.com")
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(wsdl.contains("location=\"https://soap.example.com/v4.1/prod/ECGridOS.asmx\""));
    gw.stop().await;

    let gw = gateway(Some("https://gateway.example.com/")).await;
    let wsdl = gw
        .http
        .get(gw.url(&format!("{PATH41}?WSDL")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(wsdl.contains("location=\"https://gateway.example.com/v4.1/prod/ECGridOS.asmx\""));
    gw.stop().await;
}

#[tokio::test]
async fn v41_only_operations_are_refused_on_the_v32_endpoint() {
    let gw = gateway(None).await;
    let body = envelope(
        Soap::V11,
        NS32,
        "CallBackEventSetStatus",
        &[
            ("SessionID", "k"),
            ("CallBackEventID", "1"),
            ("Status", "Active"),
        ],
    );
    let reply = gw.post(PATH32, Soap::V11, &body).await;
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.text_of("faultstring").as_deref(),
        Some("operation CallBackEventSetStatus is not part of ECGridOS v3.2; call it on /v4.1/prod/ECGridOS.asmx")
    );
    gw.stop().await;
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let gw = gateway(None).await;
    for path in [
        format!("{PATH41}?WSDL"),
        PATH41.to_string(),
        "/healthz".to_string(),
    ] {
        let get = gw.http.get(gw.url(&path)).send().await.unwrap();
        let (get_status, get_type) = (get.status(), get.headers()["content-type"].clone());
        let get_len = get.bytes().await.unwrap().len();
        assert!(get_len > 0, "{path}");
        let head = gw.http.head(gw.url(&path)).send().await.unwrap();
        assert_eq!(head.status(), get_status, "{path}");
        assert_eq!(head.headers()["content-type"], get_type, "{path}");
        assert_eq!(
            head.headers()["content-length"].to_str().unwrap(),
            get_len.to_string(),
            "{path}"
        );
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
    gw.stop().await;
}
