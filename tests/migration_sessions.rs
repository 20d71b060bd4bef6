//! One session on both sides: `Login` logs in on REST and on the legacy
//! service at once; legacy-routed requests carry the legacy SessionID in
//! place of the gateway's (and answers get the gateway's back); an API key
//! passes unchanged; `Logout` ends both; refusals say which side.

mod support;

use std::time::Duration;

use ecgrid_gateway::routing::table::LegacyService;
use ecgrid_gateway::routing::{DefaultRoute, Route, RouteSettings};
use ecgrid_gateway::sandbox::{DEMO_LOGIN, DEMO_PASSWORD};
use support::api::{test_config, Api};
use support::fake_legacy::{FakeLegacy, LEGACY_SESSION};
use support::*;

fn config(rest: &str, legacy: &str, routes: &[(&str, Route)]) -> ecgrid_gateway::config::Config {
    let mut config = config_for(rest);
    config.routing = RouteSettings {
        legacy: Some(LegacyService::Url(legacy.to_string())),
        default_route: DefaultRoute::Legacy,
        routes: routes.iter().map(|(o, r)| (o.to_string(), *r)).collect(),
        ..RouteSettings::default()
    };
    config
}

/// Waits (bounded) until the fake has received `n` calls of `op`.
async fn wait_for(fake: &FakeLegacy, op: &str, n: usize) -> Vec<support::fake_legacy::Received> {
    for _ in 0..100 {
        let got = fake.received_of(op);
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the fake never received {n} {op} call(s)");
}

#[tokio::test]
async fn one_session_works_on_both_sides_and_logout_ends_both() {
    let api = Api::start(test_config()).await;
    let fake = FakeLegacy::start(DEMO_PASSWORD).await;
    let gw = spawn_gateway(&config(&api.base, &fake.base, &[("WhoAmI", Route::Legacy)])).await;

    let session = gw.login(Soap::V11, DEMO_LOGIN, DEMO_PASSWORD).await;
    assert_ne!(session, LEGACY_SESSION);
    let login = fake.received_of("Login");
    assert_eq!(login.len(), 1);
    let login_body = String::from_utf8_lossy(&login[0].body).into_owned();
    assert!(
        login_body.contains(&format!("<LoginName>{DEMO_LOGIN}</LoginName>")),
        "{login_body}"
    );

    // Legacy-routed: only the SessionID's value differs on arrival, and the
    // answer carries the gateway's SessionID, never the legacy one.
    let sent = envelope(Soap::V12, NS41, "WhoAmI", &[("SessionID", &session)]);
    let reply = gw.post(PATH41, Soap::V12, &sent).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let got = fake.received_of("WhoAmI").pop().unwrap();
    assert_eq!(
        String::from_utf8(got.body.to_vec()).unwrap(),
        sent.replace(&session, LEGACY_SESSION)
    );
    assert_eq!(
        reply.text_of("SessionID").as_deref(),
        Some(session.as_str())
    );
    assert!(!reply.body.contains(LEGACY_SESSION), "{}", reply.body);

    // REST-routed with the same session.
    let reply = gw.event_list_ex(&session, false).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // An API key passes unchanged.
    let sent = envelope(
        Soap::V11,
        NS41,
        "CarbonCopyList",
        &[("SessionID", "my-api-key")],
    );
    gw.post(PATH41, Soap::V11, &sent).await;
    assert_eq!(
        fake.received_of("CarbonCopyList").pop().unwrap().body,
        sent.as_bytes()
    );

    // Logout ends both.
    let reply = gw
        .call(Soap::V11, "Logout", &[("SessionID", &session)])
        .await;
    assert_eq!(
        reply.text_of("LogoutResult").as_deref(),
        Some("1"),
        "{}",
        reply.body
    );
    let logout = wait_for(&fake, "Logout", 1).await;
    assert!(String::from_utf8_lossy(&logout[0].body).contains(LEGACY_SESSION));
    // The gateway no longer knows the session: it passes unchanged.
    let sent = envelope(
        Soap::V11,
        NS41,
        "CarbonCopyList",
        &[("SessionID", &session)],
    );
    gw.post(PATH41, Soap::V11, &sent).await;
    assert_eq!(
        fake.received_of("CarbonCopyList").pop().unwrap().body,
        sent.as_bytes()
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_refused_login_says_which_side_refused_and_the_other_is_logged_out() {
    let api = Api::start(test_config()).await;
    // The legacy service refuses what REST accepts.
    let fake = FakeLegacy::start("another-password").await;
    let gw = spawn_gateway(&config(&api.base, &fake.base, &[])).await;
    let reply = gw
        .call(
            Soap::V11,
            "Login",
            &[("LoginName", DEMO_LOGIN), ("Password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.text_of("faultstring").unwrap(),
        format!(
            "login failed on the legacy ECGridOS service at {}: Invalid Login Name or Password. \
             (the REST side accepted the login)",
            fake.base
        )
    );
    gw.stop().await;

    // REST refuses what the legacy service accepts.
    let fake = FakeLegacy::start("not-the-demo-password").await;
    let gw = spawn_gateway(&config(&api.base, &fake.base, &[])).await;
    let reply = gw
        .call(
            Soap::V11,
            "Login",
            &[
                ("LoginName", DEMO_LOGIN),
                ("Password", "not-the-demo-password"),
            ],
        )
        .await;
    assert_eq!(reply.status, 500);
    let text = reply.text_of("faultstring").unwrap();
    assert!(
        text.starts_with(&format!("login failed on the REST side ({}): ", api.base)),
        "{text}"
    );
    assert!(
        reply
            .body
            .contains("<ECGridOSSOAPErrorCode>Authentication</ECGridOSSOAPErrorCode>"),
        "{}",
        reply.body
    );
    let logout = wait_for(&fake, "Logout", 1).await;
    assert!(String::from_utf8_lossy(&logout[0].body).contains(LEGACY_SESSION));
    gw.stop().await;
}

#[tokio::test]
async fn with_only_the_legacy_side_reachable_legacy_routes_still_work() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let fake = FakeLegacy::start(DEMO_PASSWORD).await;
    let gw = spawn_gateway(&config(&closed, &fake.base, &[])).await;
    let session = gw.login(Soap::V11, DEMO_LOGIN, DEMO_PASSWORD).await;
    let sent = envelope(
        Soap::V11,
        NS41,
        "CarbonCopyList",
        &[("SessionID", &session)],
    );
    let reply = gw.post(PATH41, Soap::V11, &sent).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        String::from_utf8_lossy(&fake.received_of("CarbonCopyList")[0].body)
            .contains(LEGACY_SESSION)
    );
    let reply = gw
        .call(Soap::V11, "WhoAmI", &[("SessionID", &session)])
        .await;
    assert_eq!(reply.status, 500);
    let text = reply.text_of("faultstring").unwrap();
    assert!(
        text.contains(&closed) && text.contains("REST upstream"),
        "{text}"
    );
    gw.stop().await;
}
