//! The auth operations end to end against a wiremock REST upstream:
//! success, each REST error status, timeout, connection refused, session
//! expiry and refresh, API keys in place of SessionIDs. Snapshots of every
//! response and fault kind in SOAP 1.1 and 1.2 live in `snapshots/`.

mod support;

use std::time::Duration;

use serde_json::json;
use support::*;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-3f9a1c0e5b7d";
const FRESH_TOKEN: &str = "tok-fresh-8e2c";

fn ok(data: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"success": true, "data": data, "errorCode": "", "message": ""}))
}

fn err(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(
        json!({"success": false, "data": null, "errorCode": code, "message": message}),
    )
}

fn me() -> serde_json::Value {
    json!({
        "userId": 1042, "login": "jsmith", "email": "jsmith@example.com",
        "firstName": "John", "lastName": "Smith", "networkId": 1, "mailboxId": 101,
        "authLevel": "MailboxAdmin", "status": "Active", "created": "2024-03-15T10:22:00Z"
    })
}

async fn upstream() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/login"))
        .and(body_json(
            json!({"login": "jsmith", "password": "Sup3r$ecret!"}),
        ))
        .respond_with(ok(
            json!({"token": TOKEN, "expiresAt": "2099-01-01T00:00:00Z", "userId": 1042}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/login"))
        .respond_with(err(401, "InvalidCredentials", "Invalid login or password."))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/auth/version"))
        .respond_with(ok(json!({"version": "2.6"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/users/me"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ok(me()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/users/me"))
        .and(header("x-api-key", "my-api-key"))
        .respond_with(ok(me()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/users/me"))
        .respond_with(err(
            401,
            "InvalidAPIKey",
            "The provided API key is not valid or has been revoked.",
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/logout"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ok(json!(null)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/logout"))
        .respond_with(err(
            401,
            "InvalidAPIKey",
            "The provided API key is not valid or has been revoked.",
        ))
        .mount(&server)
        .await;
    server
}

async fn login(gw: &TestGateway, soap: Soap) -> String {
    gw.login(soap, "jsmith", "Sup3r$ecret!").await
}

#[tokio::test]
async fn login_whoami_version_nowutc_logout_in_both_soap_versions() {
    let upstream = upstream().await;
    let gw = spawn_gateway(&config_for(&upstream.uri())).await;
    for soap in Soap::BOTH {
        let v = soap.label();
        let reply = gw
            .call(
                soap,
                "Login",
                &[
                    ("LoginName", "jsmith"),
                    ("Password", "Sup3r$ecret!"),
                    ("SenderSolution", "App"),
                ],
            )
            .await;
        assert_soap_snapshot!(format!("login_{v}"), reply);
        let sid = reply.text_of("LoginResult").unwrap();
        assert_eq!(sid.len(), 36);
        assert_eq!(sid, sid.to_uppercase());

        let reply = gw.call(soap, "WhoAmI", &[("SessionID", &sid)]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text_of("SessionID").as_deref(), Some(sid.as_str()));
        assert_soap_snapshot!(format!("whoami_{v}"), reply);
        // A parameter name in another case is taken when the exact one is absent.
        let reply = gw.call(soap, "WhoAmI", &[("sessionID", &sid)]).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.text_of("SessionID").as_deref(), Some(sid.as_str()));

        assert_soap_snapshot!(format!("version_{v}"), gw.call(soap, "Version", &[]).await);
        assert_soap_snapshot!(format!("nowutc_{v}"), gw.call(soap, "NowUTC", &[]).await);

        let reply = gw.call(soap, "Logout", &[("SessionID", &sid)]).await;
        assert_soap_snapshot!(format!("logout_{v}"), reply);
        // The session is gone: the SessionID now goes upstream as an API key and is refused.
        let reply = gw.call(soap, "WhoAmI", &[("SessionID", &sid)]).await;
        assert_eq!(reply.status, 500);
        assert_soap_snapshot!(format!("fault_stale_session_{v}"), reply);
        // Logging out twice is not a fault.
        let reply = gw.call(soap, "Logout", &[("SessionID", &sid)]).await;
        assert_eq!(reply.text_of("LogoutResult").as_deref(), Some("0"));
    }
    gw.stop().await;
}

/// Every worker thread sees every session: with two workers and a new
/// connection per call, consecutive calls are served by different workers
/// (round robin), so a Login, the calls after it and the Logout each meet
/// the session store on another thread.
#[tokio::test]
async fn sessions_are_shared_by_every_worker() {
    let upstream = upstream().await;
    let config = config_for(&upstream.uri());
    assert_eq!(config.workers, 2);
    let mut gw = spawn_gateway(&config).await;
    gw.http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let sid = login(&gw, Soap::V11).await;
    for _ in 0..3 {
        let reply = gw.call(Soap::V11, "WhoAmI", &[("SessionID", &sid)]).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.text_of("SessionID").as_deref(), Some(sid.as_str()));
    }
    // A live session's logout answers 1 (an unknown one 0).
    let reply = gw.call(Soap::V11, "Logout", &[("SessionID", &sid)]).await;
    assert_eq!(reply.text_of("LogoutResult").as_deref(), Some("1"));
    for _ in 0..2 {
        let reply = gw.call(Soap::V11, "WhoAmI", &[("SessionID", &sid)]).await;
        assert_eq!(reply.status, 500, "{}", reply.body);
    }
    gw.stop().await;
}

#[tokio::test]
async fn login_accepts_every_published_name_field_and_answers_in_the_request_namespace() {
    let upstream = upstream().await;
    let gw = spawn_gateway(&config_for(&upstream.uri())).await;
    for field in ["LoginName", "UserName", "UserID", "Email"] {
        let reply = gw
            .call(
                Soap::V11,
                "Login",
                &[(field, "jsmith"), ("Password", "Sup3r$ecret!")],
            )
            .await;
        assert_eq!(reply.status, 200, "{field}: {}", reply.body);
    }
    // The published raw samples: prefixed elements in http://www.ecgridos.net/.
    let body = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ecg="http://www.ecgridos.net/"><soap:Body><ecg:Login><ecg:Email>jsmith</ecg:Email><ecg:Password>Sup3r$ecret!</ecg:Password></ecg:Login></soap:Body></soap:Envelope>"#;
    let reply = gw.post(PATH41, Soap::V11, body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .body
            .contains(r#"<LoginResponse xmlns="http://www.ecgridos.net/">"#),
        "{}",
        reply.body
    );
    // The v3.2 endpoint and namespace.
    let reply = gw
        .post(
            PATH32,
            Soap::V11,
            &envelope(Soap::V11, NS32, "Version", &[]),
        )
        .await;
    assert!(
        reply
            .body
            .contains(r#"<VersionResponse xmlns="http://ecgridos.net/">"#),
        "{}",
        reply.body
    );
    gw.stop().await;
}

#[tokio::test]
async fn api_key_stands_in_for_a_session_id() {
    let upstream = upstream().await;
    let gw = spawn_gateway(&config_for(&upstream.uri())).await;
    let reply = gw
        .call(Soap::V11, "WhoAmI", &[("SessionID", "my-api-key")])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.text_of("LoginName").as_deref(), Some("jsmith"));
    assert_eq!(reply.text_of("OpenSessions").as_deref(), Some("0"));
    gw.stop().await;
}

#[tokio::test]
async fn a_session_id_that_cannot_be_an_api_key_is_a_client_fault_without_an_upstream_call() {
    // No mock answers: an upstream call would be a 404 and another fault.
    let upstream = MockServer::start().await;
    let gw = spawn_gateway(&config_for(&upstream.uri())).await;
    for bad in ["clé-api", "two\nlines", "nul\u{7f}key"] {
        let reply = gw.call(Soap::V11, "WhoAmI", &[("SessionID", bad)]).await;
        assert_eq!(reply.status, 500, "{bad:?}: {}", reply.body);
        assert!(
            reply.body.contains("soap:Client"),
            "{bad:?}: {}",
            reply.body
        );
        assert!(
            reply.body.contains(
                "SessionID is not a SessionID from Login nor a usable API key: it holds control \
                 or non-ASCII characters"
            ),
            "{bad:?}: {}",
            reply.body
        );
    }
    let calls = upstream.received_requests().await.unwrap_or_default();
    assert!(calls.is_empty(), "{} upstream calls", calls.len());
    gw.stop().await;
}

#[tokio::test]
async fn client_faults_in_both_soap_versions() {
    let upstream = upstream().await;
    let gw = spawn_gateway(&config_for(&upstream.uri())).await;
    for soap in Soap::BOTH {
        let v = soap.label();
        let reply = gw
            .call(
                soap,
                "Login",
                &[("LoginName", "jsmith"), ("Password", "wrong")],
            )
            .await;
        assert_eq!(reply.status, 500);
        assert_soap_snapshot!(format!("fault_bad_credentials_{v}"), reply);
        assert_soap_snapshot!(
            format!("fault_missing_session_{v}"),
            gw.call(soap, "WhoAmI", &[]).await
        );
        assert_soap_snapshot!(
            format!("fault_missing_login_name_{v}"),
            gw.call(soap, "Login", &[("Password", "x")]).await
        );
        assert_soap_snapshot!(
            format!("fault_unsupported_operation_{v}"),
            gw.call(soap, "CarbonCopyList", &[("SessionID", "x")]).await
        );
        assert_soap_snapshot!(
            format!("fault_misspelt_operation_{v}"),
            gw.call(soap, "WhoAmi", &[("SessionID", "x")]).await
        );
        let reply = gw
            .post(
                PATH41,
                soap,
                "<soap:Envelope xmlns:soap=\"urn:wrong\"><soap:Body/></soap:Envelope>",
            )
            .await;
        assert_soap_snapshot!(format!("fault_wrong_envelope_namespace_{v}"), reply);
    }
    gw.stop().await;
}

#[tokio::test]
async fn hostile_and_malformed_input_gets_client_faults_never_html() {
    let upstream = upstream().await;
    let mut config = config_for(&upstream.uri());
    config.max_body = 2048;
    let gw = spawn_gateway(&config).await;

    let reply = gw
        .post(PATH41, Soap::V11, &format!("<x>{}</x>", "a".repeat(4096)))
        .await;
    assert_eq!(reply.status, 413);
    assert_soap_snapshot!("fault_body_too_large_soap11", reply);

    let xxe = r#"<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Login xmlns="https://os.ecgrid.io/"><LoginName>&xxe;</LoginName></Login></soap:Body></soap:Envelope>"#;
    let reply = gw.post(PATH41, Soap::V11, xxe).await;
    assert_eq!(reply.status, 500);
    assert!(!reply.body.contains("root:"), "no expansion");
    assert_soap_snapshot!("fault_doctype_soap11", reply);

    let reply = gw.post(PATH41, Soap::V12, "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\">\n  <soap:Body>\n    <Login></Logout>").await;
    assert_soap_snapshot!("fault_malformed_xml_soap12", reply);

    let reply = gw.post(PATH41, Soap::V11, "").await;
    assert!(reply
        .text_of("faultstring")
        .unwrap()
        .contains("request body is empty"));

    let resp = gw
        .http
        .post(gw.url(PATH41))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let reply = SoapReply::read(resp).await;
    assert_eq!(reply.status, 415);
    assert_soap_snapshot!("fault_unsupported_content_type", reply);

    let resp = gw.http.delete(gw.url(PATH41)).send().await.unwrap();
    let reply = SoapReply::read(resp).await;
    assert_eq!(reply.status, 405);
    assert!(reply.body.contains("<faultcode>soap:Client</faultcode>"));

    let resp = gw.http.get(gw.url("/nothing/here")).send().await.unwrap();
    let reply = SoapReply::read(resp).await;
    assert_eq!(reply.status, 404);
    assert!(
        reply.body.contains("no ECGridOS endpoint at /nothing/here"),
        "{}",
        reply.body
    );

    let resp = gw.http.get(gw.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok");
    for page in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/migration",
        "/migration.json",
    ] {
        let resp = gw.http.post(gw.url(page)).send().await.unwrap();
        assert_eq!(resp.headers()["allow"], "GET, HEAD", "{page}");
        let reply = SoapReply::read(resp).await;
        assert_eq!(reply.status, 405, "{page}");
        assert!(
            reply.body.contains(&format!(
                "method POST is not allowed on {page}; it answers GET and HEAD"
            )),
            "{page}: {}",
            reply.body
        );
    }

    // A chunked body that breaks off with garbage: a 400 fault saying the
    // body could not be read (not a 413 about its size).
    let url = gw.url("");
    let raw = tokio::task::spawn_blocking(move || {
        support::binary::exchange(
            &url,
            "POST /v4.1/prod/ECGridOS.asmx HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n",
        )
    })
    .await
    .unwrap();
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    assert!(raw.contains("the request body could not be read"), "{raw}");
    assert!(raw.contains("<faultcode>soap:Client</faultcode>"), "{raw}");
    gw.stop().await;
}

#[tokio::test]
async fn each_rest_error_status_maps_to_its_fault() {
    let cases = [
        (400, "InvalidParameter", "soap:Client", "InvalidParameter"),
        (401, "InvalidSession", "soap:Client", "Authentication"),
        (403, "AccessDenied", "soap:Client", "Authorization"),
        (404, "ObjectNotFound", "soap:Client", "ObjectNotFound"),
        (429, "RateLimitExceeded", "soap:Server", "SystemError"),
        (500, "InternalError", "soap:Server", "SystemError"),
        (503, "", "soap:Server", "SystemError"),
    ];
    for (status, code, faultcode, error_code) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v2/users/me"))
            .respond_with(err(status, code, "upstream says no"))
            .mount(&server)
            .await;
        let gw = spawn_gateway(&config_for(&server.uri())).await;
        let reply = gw
            .call(Soap::V11, "WhoAmI", &[("SessionID", "some-api-key")])
            .await;
        assert_eq!(reply.status, 500, "{status}");
        assert_eq!(
            reply.text_of("faultcode").as_deref(),
            Some(faultcode),
            "{status}: {}",
            reply.body
        );
        assert_eq!(
            reply.text_of("ECGridOSSOAPErrorCode").as_deref(),
            Some(error_code),
            "{status}"
        );
        if status == 403 || status == 404 || status == 503 {
            assert_soap_snapshot!(format!("fault_rest_{status}_soap11"), reply);
        }
        gw.stop().await;
    }
}

#[tokio::test]
async fn slow_upstream_is_a_server_fault_within_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/auth/version"))
        .respond_with(ok(json!({"version": "2.6"})).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let mut config = config_for(&server.uri());
    config.upstream_timeout = Duration::from_millis(300);
    let gw = spawn_gateway(&config).await;
    for soap in Soap::BOTH {
        let started = std::time::Instant::now();
        let reply = gw.call(soap, "Version", &[]).await;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "answered within the timeout"
        );
        let text = reply.body.replace(&server.uri(), "http://[UPSTREAM]");
        let reply = SoapReply {
            body: text,
            ..reply
        };
        assert_soap_snapshot!(format!("fault_upstream_timeout_{}", soap.label()), reply);
    }
    gw.stop().await;
}

#[tokio::test]
async fn refused_connection_is_a_server_fault_naming_the_upstream() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let upstream = format!("http://127.0.0.1:{port}");
    let gw = spawn_gateway(&config_for(&upstream)).await;
    let reply = gw.call(Soap::V12, "Version", &[]).await;
    assert_eq!(reply.status, 500);
    let reason = reply.text_of("Text").unwrap();
    assert!(
        reason.starts_with(&format!("upstream {upstream} is unreachable")),
        "{reason}"
    );
    assert!(reply.body.contains("soap:Receiver"));
    gw.stop().await;
}

#[tokio::test]
async fn expiring_token_is_refreshed_and_a_refused_refresh_ends_the_session() {
    let server = MockServer::start().await;
    // Login hands out a token that is already about to expire.
    Mock::given(method("POST"))
        .and(path("/v2/auth/login"))
        .respond_with(ok(
            json!({"token": TOKEN, "expiresAt": "2026-05-07T12:00:10Z", "userId": 1042}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/refresh"))
        .and(body_json(json!({"token": TOKEN})))
        .respond_with(ok(
            json!({"token": FRESH_TOKEN, "expiresAt": "2099-01-01T00:00:00Z", "userId": 1042}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/users/me"))
        .and(header(
            "authorization",
            format!("Bearer {FRESH_TOKEN}").as_str(),
        ))
        .respond_with(ok(me()))
        .mount(&server)
        .await;
    let gw = spawn_gateway(&config_for(&server.uri())).await;
    let sid = login(&gw, Soap::V11).await;
    for _ in 0..2 {
        let reply = gw.call(Soap::V11, "WhoAmI", &[("SessionID", &sid)]).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    gw.stop().await;
    server.verify().await;

    // Now the upstream refuses the refresh: the session ends with an Authentication fault.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/login"))
        .respond_with(ok(
            json!({"token": TOKEN, "expiresAt": "2099-01-01T00:00:00Z", "userId": 1042}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/users/me"))
        .respond_with(err(401, "InvalidSession", "Token expired."))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/auth/refresh"))
        .respond_with(err(401, "InvalidSession", "Token cannot be refreshed."))
        .expect(1)
        .mount(&server)
        .await;
    let gw = spawn_gateway(&config_for(&server.uri())).await;
    let sid = login(&gw, Soap::V11).await;
    let reply = gw.call(Soap::V11, "WhoAmI", &[("SessionID", &sid)]).await;
    assert_soap_snapshot!("fault_session_expired_soap11", reply);
    gw.stop().await;
    server.verify().await;
}

#[tokio::test]
async fn idle_sessions_expire() {
    let upstream = upstream().await;
    let mut config = config_for(&upstream.uri());
    config.session_idle_timeout = Duration::from_millis(300);
    let gw = spawn_gateway(&config).await;
    let sid = login(&gw, Soap::V11).await;
    assert_eq!(
        gw.call(Soap::V11, "WhoAmI", &[("SessionID", &sid)])
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    let reply = gw.call(Soap::V11, "WhoAmI", &[("SessionID", &sid)]).await;
    assert_eq!(
        reply.text_of("ECGridOSSOAPErrorCode").as_deref(),
        Some("Authentication"),
        "{}",
        reply.body
    );
    gw.stop().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let upstream = upstream().await;
    let gw = spawn_gateway(&config_for(&upstream.uri())).await;
    let reply = gw.call(Soap::V11, "NowUTC", &[]).await;
    assert_eq!(reply.request_id.as_deref().map(str::len), Some(16));
    let resp = gw
        .http
        .post(gw.url(PATH41))
        .header("Content-Type", "text/xml")
        .header("X-Request-Id", "trace-me-42")
        .body(envelope(Soap::V11, NS41, "NowUTC", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        SoapReply::read(resp).await.request_id.as_deref(),
        Some("trace-me-42")
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_login_whose_session_cannot_be_stored_logs_the_rest_token_out_again() {
    use ecgrid_gateway::session::{RedisTarget, SessionBackend, SessionKey};
    let server = upstream().await;
    let mut config = config_for(&server.uri());
    // A session store that refuses every connection.
    config.sessions = SessionBackend::Redis {
        target: RedisTarget::parse("redis://127.0.0.1:1").unwrap(),
        key: SessionKey::from_hex(&"ab".repeat(32)).unwrap(),
        previous_key: None,
    };
    let gw = spawn_gateway(&config).await;
    let reply = gw
        .call(
            Soap::V11,
            "Login",
            &[("LoginName", "jsmith"), ("Password", "Sup3r$ecret!")],
        )
        .await;
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert!(
        reply.body.contains("<faultcode>soap:Server</faultcode>"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("session store"), "{}", reply.body);
    // The token the upstream issued is ended, not left live.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let requests = server.received_requests().await.unwrap_or_default();
        let logged_out = requests.iter().any(|r| {
            r.url.path() == "/v2/auth/logout"
                && r.headers
                    .get("authorization")
                    .is_some_and(|v| v.as_bytes() == format!("Bearer {TOKEN}").as_bytes())
        });
        if logged_out {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no logout of the issued token within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    gw.stop().await;
}
