//! The `legacy` route: untranslated operations passed through to a fake
//! legacy ASMX service byte for byte (SOAP 1.1 and 1.2, v4.1 and v3.2),
//! answers (faults included) returned as received, hop-by-hop headers
//! dropped, `X-Request-Id` forwarded, and a legacy service that is down or
//! slow answered with a Server fault naming it.

mod support;

use std::time::Duration;

use ecgrid_gateway::routing::table::LegacyService;
use ecgrid_gateway::routing::{DefaultRoute, RouteSettings};
use support::fake_legacy::{FakeLegacy, Script};
use support::*;

fn legacy_config(legacy: &str) -> ecgrid_gateway::config::Config {
    let mut config = config_for("http://127.0.0.1:9");
    config.routing = RouteSettings {
        legacy: Some(LegacyService::Url(legacy.to_string())),
        default_route: DefaultRoute::Legacy,
        ..RouteSettings::default()
    };
    config.upstream_timeout = Duration::from_secs(1);
    config
}

/// A hand-formatted envelope (prefixes, whitespace, a structured
/// parameter the gateway's own reader would refuse) that must arrive as is.
fn odd_envelope(soap: Soap, ns: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<env:Envelope xmlns:env=\"{}\">\n  <env:Header/>\n  <env:Body>\n    <e:CarbonCopyList xmlns:e=\"{ns}\">\n      <e:SessionID>api-key-123</e:SessionID>\n      <e:Filter><e:Status>InBoxReady</e:Status></e:Filter>\n    </e:CarbonCopyList>\n  </env:Body>\n</env:Envelope>\n",
        soap.envelope_ns()
    )
}

#[tokio::test]
async fn untranslated_operations_pass_through_byte_for_byte() {
    let fake = FakeLegacy::start("pw").await;
    let gw = spawn_gateway(&legacy_config(&fake.base)).await;
    let answer = "<?xml version=\"1.0\"?>\n<soap:Envelope xmlns:soap=\"x\"><soap:Body><CarbonCopyListResponse>  exact &amp; bytes </CarbonCopyListResponse></soap:Body></soap:Envelope>";
    fake.script(
        "CarbonCopyList",
        Script::Fixed {
            status: 200,
            content_type: "text/xml; charset=utf-8".into(),
            body: answer.as_bytes().to_vec().into(),
            delay: Duration::ZERO,
            extra_header: Some(("x-legacy-server".into(), "asmx".into())),
        },
    );
    let mut n = 0;
    for (path, ns) in [(PATH41, NS41), (PATH32, NS32)] {
        for soap in Soap::BOTH {
            let body = odd_envelope(soap, ns);
            let (content_type, action) = match soap {
                Soap::V11 => (
                    "text/xml; charset=utf-8".to_string(),
                    Some(format!("\"{ns}CarbonCopyList\"")),
                ),
                Soap::V12 => (
                    format!("application/soap+xml; charset=utf-8; action=\"{ns}CarbonCopyList\""),
                    None,
                ),
            };
            let mut request = gw
                .http
                .post(format!("{}?trace=1", gw.url(path)))
                .header("content-type", &content_type)
                .header("x-request-id", format!("req-{n}"))
                .header("user-agent", "legacy-client/1.0")
                .header("connection", "x-hop-secret")
                .header("x-hop-secret", "must not pass")
                .header("te", "trailers")
                .body(body.clone());
            if let Some(action) = &action {
                request = request.header("soapaction", action);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(
                response
                    .headers()
                    .get("x-legacy-server")
                    .map(|v| v.to_str().unwrap()),
                Some("asmx"),
                "{:?}",
                response.headers()
            );
            assert_eq!(
                response.headers()["content-type"],
                "text/xml; charset=utf-8"
            );
            assert_eq!(response.text().await.unwrap(), answer);

            let got = fake.received().pop().expect("the fake got the request");
            assert_eq!(
                got.body,
                body.as_bytes(),
                "{path} {soap:?}: body byte for byte"
            );
            assert_eq!(got.path_and_query, format!("{path}?trace=1"));
            assert_eq!(got.header("content-type"), Some(content_type.as_str()));
            assert_eq!(got.header("soapaction"), action.as_deref());
            assert_eq!(got.header("user-agent"), Some("legacy-client/1.0"));
            assert_eq!(
                got.header("x-request-id"),
                Some(format!("req-{n}").as_str())
            );
            assert_eq!(
                got.header("x-hop-secret"),
                None,
                "named by Connection: hop-by-hop"
            );
            assert_eq!(got.header("te"), None);
            n += 1;
        }
    }
    assert_eq!(fake.received().len(), 4);
    gw.stop().await;
}

#[tokio::test]
async fn legacy_faults_come_back_unchanged() {
    let fake = FakeLegacy::start("pw").await;
    let gw = spawn_gateway(&legacy_config(&fake.base)).await;
    let fault = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>Parcel 42 not found.</faultstring><detail><ECGridOSSOAPErrorCode>ObjectNotFound</ECGridOSSOAPErrorCode></detail></soap:Fault></soap:Body></soap:Envelope>";
    fake.script(
        "TPListEx",
        Script::Fixed {
            status: 500,
            content_type: "text/xml; charset=utf-8".into(),
            body: fault.as_bytes().to_vec().into(),
            delay: Duration::ZERO,
            extra_header: None,
        },
    );
    let reply = gw
        .call(
            Soap::V11,
            "TPListEx",
            &[("SessionID", "k"), ("ParcelID", "42")],
        )
        .await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.body, fault);
    gw.stop().await;
}

#[tokio::test]
async fn a_legacy_service_down_or_slow_is_a_server_fault_naming_it() {
    // Nothing listens on the port of a listener that was closed.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let gw = spawn_gateway(&legacy_config(&closed)).await;
    let reply = gw
        .call(Soap::V12, "CarbonCopyList", &[("SessionID", "k")])
        .await;
    assert_eq!(reply.status, 500);
    let text = reply.text_of("Text").unwrap();
    assert!(
        text.starts_with(&format!(
            "the legacy ECGridOS service at {closed} could not be reached: "
        )),
        "{text}"
    );
    assert!(reply.body.contains("soap:Receiver"), "{}", reply.body);
    gw.stop().await;

    let fake = FakeLegacy::start("pw").await;
    fake.script(
        "CarbonCopyList",
        Script::Fixed {
            status: 200,
            content_type: "text/xml".into(),
            body: "<late/>".into(),
            delay: Duration::from_secs(5),
            extra_header: None,
        },
    );
    let gw = spawn_gateway(&legacy_config(&fake.base)).await;
    let reply = gw
        .call(Soap::V11, "CarbonCopyList", &[("SessionID", "k")])
        .await;
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.text_of("faultstring").unwrap(),
        format!(
            "the legacy ECGridOS service at {} did not answer within 1s (--upstream-timeout)",
            fake.base
        )
    );
    gw.stop().await;
}

#[tokio::test]
async fn without_legacy_untranslated_operations_keep_the_not_supported_fault() {
    let fake = FakeLegacy::start("pw").await;
    let mut config = legacy_config(&fake.base);
    config.routing.default_route = DefaultRoute::Fault;
    let gw = spawn_gateway(&config).await;
    let reply = gw
        .call(Soap::V11, "CarbonCopyList", &[("SessionID", "k")])
        .await;
    assert_eq!(reply.status, 500);
    assert!(reply
        .text_of("faultstring")
        .unwrap()
        .contains("CarbonCopyList"));
    assert!(fake.received().is_empty());
    gw.stop().await;
}

#[tokio::test]
async fn a_50_mib_answer_is_streamed_not_held() {
    let fake = FakeLegacy::start("pw").await;
    fake.script("TPListEx", Script::Big { mib: 50 });
    let legacy = fake.base.clone();
    let (child, url) =
        tokio::task::spawn_blocking(move || support::binary::legacy_gateway(&legacy, &[]))
            .await
            .unwrap();
    let pid = child.0.id();
    let before = support::binary::peak_rss_kib(pid);
    let mut response = reqwest::Client::new()
        .post(format!("{url}{PATH41}"))
        .header("content-type", "text/xml; charset=utf-8")
        .body(envelope(
            Soap::V11,
            NS41,
            "TPListEx",
            &[("SessionID", "api-key"), ("ParcelID", "1")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut received = 0usize;
    let mut tail = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        received += chunk.len();
        tail = chunk.to_vec();
    }
    assert!(received > 50 * 1024 * 1024, "{received} bytes");
    assert!(String::from_utf8_lossy(&tail).ends_with("</soap:Envelope>"));
    let peak = support::binary::peak_rss_kib(pid);
    eprintln!(
        "peak RSS of the gateway streaming a {received}-byte answer: {peak} KiB (before: {before} KiB)"
    );
    // Held whole, the answer alone would be 50 MiB more than before.
    assert!(
        peak < before + 16 * 1024,
        "peak RSS {peak} KiB, before {before} KiB: the answer was not streamed"
    );
    drop(child);
}

#[tokio::test]
async fn an_answer_that_stalls_midway_is_cut_off_after_the_timeout() {
    let fake = FakeLegacy::start("pw").await;
    fake.script("TPListEx", Script::StallAfterHead);
    let gw = spawn_gateway(&legacy_config(&fake.base)).await;
    let response = gw
        .http
        .post(gw.url(PATH41))
        .header("content-type", "text/xml; charset=utf-8")
        .body(envelope(Soap::V11, NS41, "TPListEx", &[("SessionID", "k")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The gateway ends the stream (the upstream timeout is 1 s); the test's
    // own bound is far longer, so only a hang would trip it.
    let read = tokio::time::timeout(Duration::from_secs(20), response.bytes()).await;
    let read = read.expect("the gateway must end a stalled answer, not hang");
    assert!(
        read.is_err(),
        "a cut-off answer is an error, not a short body: {read:?}"
    );
    gw.stop().await;
}
