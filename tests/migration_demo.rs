//! `serve --sandbox --legacy sandbox`: the migration demo with no account.
//! The legacy side is the embedded emulator (its own shapes), so a shadowed
//! WhoAmI compares two independent implementations.

mod support;

use std::time::Duration;

use ecgrid_gateway::config::{ServeArgs, Upstream};
use ecgrid_gateway::sandbox::{DEMO_LOGIN, DEMO_PASSWORD};
use support::*;

#[tokio::test]
async fn the_demo_mixes_routes_in_one_session() {
    let config = ServeArgs {
        sandbox: true,
        legacy: Some("sandbox".into()),
        routes: vec!["WhoAmI=shadow".into()],
        workers: Some("2".into()),
        ..ServeArgs::default()
    }
    .resolve()
    .unwrap();
    assert!(matches!(config.upstream, Upstream::Sandbox { .. }));
    let gw = spawn_gateway(&config).await;
    let legacy = gw.gateway.legacy().unwrap().to_string();
    assert!(gw
        .gateway
        .banner()
        .contains(&format!("legacy: embedded ECGridOS emulator at {legacy}")));

    let session = gw.login(Soap::V11, DEMO_LOGIN, DEMO_PASSWORD).await;
    // Translated (rest), passed through (legacy), shadowed.
    let reply = gw.event_list_ex(&session, false).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = gw
        .call(Soap::V11, "CarbonCopyList", &[("SessionID", &session)])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains("<CarbonCopyListResult />"),
        "{}",
        reply.body
    );
    let reply = gw
        .call(Soap::V12, "WhoAmI", &[("SessionID", &session)])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The emulator's answer, with the gateway's SessionID in it.
    assert_eq!(
        reply.text_of("SessionID").as_deref(),
        Some(session.as_str())
    );
    assert_eq!(reply.text_of("ECGridOSVersion").as_deref(), Some("4.1"));
    // An operation the emulator does not know: its own fault, passed through.
    let reply = gw
        .call(Soap::V11, "UserList", &[("SessionID", &session)])
        .await;
    assert_eq!(reply.status, 500);
    assert!(reply
        .text_of("faultstring")
        .unwrap()
        .contains("not emulated"));

    let mut report = serde_json::Value::Null;
    for _ in 0..150 {
        report = gw
            .http
            .get(gw.url("/migration.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let s = &report["operations"]["WhoAmI"]["shadow"];
        if s["agreed"].as_u64().unwrap_or(0) + s["differed"].as_u64().unwrap_or(0) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let who = &report["operations"]["WhoAmI"];
    assert_eq!(who["route"], "shadow", "{report:#}");
    // Two independent implementations: the clock fields are noise, and the
    // version string is real drift the page shows.
    let noise: Vec<&str> = who["noise_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        noise.contains(&"/WhoAmIResponse/WhoAmIResult/LastLogin"),
        "{report:#}"
    );
    assert!(
        noise.contains(&"/WhoAmIResponse/WhoAmIResult/SessionEventID"),
        "{report:#}"
    );
    assert!(
        who["drift_paths"]["/WhoAmIResponse/WhoAmIResult/ECGridOSVersion"].is_u64(),
        "{report:#}"
    );
    assert_eq!(report["operations"]["CarbonCopyList"]["calls"]["legacy"], 1);
    assert_eq!(
        report["operations"]["CallBackEventListEx"]["calls"]["rest"],
        1
    );

    let reply = gw
        .call(Soap::V11, "Logout", &[("SessionID", &session)])
        .await;
    assert_eq!(reply.text_of("LogoutResult").as_deref(), Some("1"));
    gw.stop().await;
}

#[test]
fn the_emulator_needs_the_sandbox() {
    let err = ServeArgs {
        legacy: Some("sandbox".into()),
        ..ServeArgs::default()
    }
    .resolve()
    .unwrap_err()
    .0;
    assert_eq!(
        err,
        "invalid value 'sandbox' for --legacy: the embedded legacy emulator runs with --sandbox \
         only; add --sandbox or give the legacy service's URL"
    );
}
