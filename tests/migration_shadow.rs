//! The `shadow` route: both sides at once, the primary's answer returned,
//! the two compared as XML; noise learned from two legacy reads; an ignore
//! list; a failing secondary never fails the call; results at
//! `/migration.json` and `/migration`; shadowed writes refused at startup.

mod support;

use std::time::Duration;

use ecgrid_gateway::config::ServeArgs;
use ecgrid_gateway::routing::table::LegacyService;
use ecgrid_gateway::routing::{DefaultRoute, Route, RouteSettings, ShadowPrimary};
use serde_json::Value;
use support::api::{test_config, Api};
use support::fake_legacy::{fixed, FakeLegacy, Script};
use support::*;

fn shadow_config(rest: &str, legacy: &str) -> ecgrid_gateway::config::Config {
    let mut config = config_for(rest);
    config.routing = RouteSettings {
        legacy: Some(LegacyService::Url(legacy.to_string())),
        default_route: DefaultRoute::Legacy,
        routes: [("NowUTC".to_string(), Route::Shadow)]
            .into_iter()
            .collect(),
        ..RouteSettings::default()
    };
    config
}

/// `/migration.json` once `op` has `n` shadow outcomes (bounded wait).
async fn report_after(gw: &TestGateway, op: &str, n: u64) -> Value {
    for _ in 0..150 {
        let report: Value = gw
            .http
            .get(gw.url("/migration.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let s = &report["operations"][op]["shadow"];
        let done = ["agreed", "differed", "one_side_failed"]
            .iter()
            .map(|k| s[k].as_u64().unwrap_or(0))
            .sum::<u64>();
        if done >= n {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{op} never had {n} shadow outcome(s)");
}

const NOW_AT_PLUS_TWO: &str = r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><e:NowUTCResponse xmlns:e="https://os.ecgrid.io/">
  <e:NowUTCResult>2026-05-07T14:00:00+02:00</e:NowUTCResult>
</e:NowUTCResponse></s:Body></s:Envelope>"#;

#[tokio::test]
async fn answers_that_mean_the_same_agree_and_the_primary_answers() {
    let api = Api::start(test_config()).await;
    let fake = FakeLegacy::start("pw").await;
    fake.script("NowUTC", fixed(NOW_AT_PLUS_TWO));
    let gw = spawn_gateway(&shadow_config(&api.base, &fake.base)).await;
    let reply = gw.call(Soap::V11, "NowUTC", &[]).await;
    // The primary (legacy) answer, as it came.
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, NOW_AT_PLUS_TWO);
    let report = report_after(&gw, "NowUTC", 1).await;
    let op = &report["operations"]["NowUTC"];
    assert_eq!(op["route"], "shadow");
    assert_eq!(op["calls"]["shadow"], 1);
    assert_eq!(op["shadow"]["agreed"], 1, "{report:#}");
    assert_eq!(op["agreement_rate"], 1.0);
    assert_eq!(report["routes"]["NowUTC"], "shadow");
    gw.stop().await;
}

#[tokio::test]
async fn a_different_value_is_drift_with_its_path_and_both_values() {
    let api = Api::start(test_config()).await;
    let fake = FakeLegacy::start("pw").await;
    fake.script(
        "NowUTC",
        fixed(&NOW_AT_PLUS_TWO.replace("14:00:00", "14:00:05")),
    );
    let gw = spawn_gateway(&shadow_config(&api.base, &fake.base)).await;
    gw.call(Soap::V11, "NowUTC", &[]).await;
    let report = report_after(&gw, "NowUTC", 1).await;
    let op = &report["operations"]["NowUTC"];
    assert_eq!(op["shadow"]["differed"], 1, "{report:#}");
    assert_eq!(op["drift_paths"]["/NowUTCResponse/NowUTCResult"], 1);
    assert_eq!(op["agreement_rate"], 0.0);
    let diff = &op["last_differences"][0]["paths"][0];
    assert_eq!(diff["path"], "/NowUTCResponse/NowUTCResult");
    assert_eq!(diff["legacy"], "2026-05-07T14:00:05+02:00");
    assert_eq!(diff["rest"], "2026-05-07T12:00:00Z");
    assert!(op["noise_paths"].as_array().unwrap().is_empty());

    let page = gw.http.get(gw.url("/migration")).send().await.unwrap();
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let page = page.text().await.unwrap();
    assert!(page.contains("<td>NowUTC</td><td>shadow</td>"), "{page}");
    assert!(page.contains("/NowUTCResponse/NowUTCResult (1)"), "{page}");
    assert!(page.contains("2026-05-07T14:00:05+02:00"), "{page}");
    gw.stop().await;
}

#[tokio::test]
async fn fields_that_differ_between_two_legacy_reads_are_learned_as_noise() {
    let api = Api::start(test_config()).await;
    let fake = FakeLegacy::start("pw").await;
    fake.script("NowUTC", Script::TickingClock);
    let gw = spawn_gateway(&shadow_config(&api.base, &fake.base)).await;
    gw.call(Soap::V11, "NowUTC", &[]).await;
    let report = report_after(&gw, "NowUTC", 1).await;
    let op = &report["operations"]["NowUTC"];
    assert_eq!(
        op["noise_paths"][0], "/NowUTCResponse/NowUTCResult",
        "{report:#}"
    );
    assert_eq!(op["shadow"]["noise_checks"], 1);
    assert_eq!(op["shadow"]["agreed"], 1);
    assert_eq!(op["shadow"]["differed"], 0);
    // The same read went to the legacy side twice.
    assert_eq!(fake.received_of("NowUTC").len(), 2);
    gw.stop().await;
}

#[tokio::test]
async fn an_ignored_path_is_not_drift() {
    let api = Api::start(test_config()).await;
    let fake = FakeLegacy::start("pw").await;
    fake.script(
        "NowUTC",
        fixed(&NOW_AT_PLUS_TWO.replace("14:00:00", "09:00:00")),
    );
    let mut config = shadow_config(&api.base, &fake.base);
    config
        .routing
        .shadow_ignore
        .insert("NowUTC".into(), vec!["/NowUTCResponse/NowUTCResult".into()]);
    let gw = spawn_gateway(&config).await;
    gw.call(Soap::V11, "NowUTC", &[]).await;
    let report = report_after(&gw, "NowUTC", 1).await;
    assert_eq!(
        report["operations"]["NowUTC"]["shadow"]["agreed"], 1,
        "{report:#}"
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_secondary_that_is_down_never_fails_the_call() {
    let api = Api::start(test_config()).await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let mut config = shadow_config(&api.base, &closed);
    config.routing.shadow_primary = ShadowPrimary::Rest;
    let gw = spawn_gateway(&config).await;
    let reply = gw.call(Soap::V12, "NowUTC", &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.text_of("NowUTCResult").as_deref(),
        Some("2026-05-07T12:00:00Z")
    );
    let report = report_after(&gw, "NowUTC", 1).await;
    let op = &report["operations"]["NowUTC"];
    assert_eq!(op["shadow"]["one_side_failed"], 1, "{report:#}");
    let failure = op["last_failure"].as_str().unwrap();
    assert!(
        failure.starts_with("legacy: the legacy ECGridOS service at"),
        "{failure}"
    );
    assert_eq!(report["shadow_primary"], "rest");
    gw.stop().await;
}

#[test]
fn shadowing_a_state_changing_operation_is_refused_at_startup() {
    let args = |routes: &[&str]| ServeArgs {
        legacy: Some("http://127.0.0.1:9".into()),
        routes: routes.iter().map(|r| r.to_string()).collect(),
        ..ServeArgs::default()
    };
    let err = args(&["CallBackAdd=shadow"]).resolve().unwrap_err().0;
    assert_eq!(
        err,
        "invalid value 'CallBackAdd=shadow' for --route: CallBackAdd changes state and cannot be \
         shadowed (it would run on both sides); only reads can be, route it rest or legacy"
    );
    let err = args(&["Logout=shadow"]).resolve().unwrap_err().0;
    assert!(err.contains("Logout changes state"), "{err}");
    let err = args(&["WhoAmi=legacy"]).resolve().unwrap_err().0;
    assert_eq!(
        err,
        "invalid value 'WhoAmi=legacy' for --route: 'WhoAmi' is not an ECGridOS operation \
         (closest real name: WhoAmI)"
    );
    let err = args(&["WhoAmI"]).resolve().unwrap_err().0;
    assert!(err.contains("expected OPERATION=ROUTE"), "{err}");
    let config = args(&["WhoAmI=shadow", "TPListEx=legacy"])
        .resolve()
        .unwrap();
    assert_eq!(config.routing.routes["WhoAmI"], Route::Shadow);
    assert_eq!(config.routing.default_route, DefaultRoute::Legacy);
    let err = ServeArgs {
        routes: vec!["WhoAmI=shadow".into()],
        ..ServeArgs::default()
    }
    .resolve()
    .unwrap_err()
    .0;
    assert!(err.contains("needs --legacy URL"), "{err}");
}

#[test]
fn routes_and_ignore_lists_come_from_the_toml_file_under_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gw.toml");
    std::fs::write(
        &path,
        "legacy = \"http://127.0.0.1:9\"\nshadow-primary = \"rest\"\n\n[routes]\nWhoAmI = \"shadow\"\nTPListEx = \"legacy\"\n\n[shadow.ignore]\nWhoAmI = [\"/WhoAmIResponse/WhoAmIResult/LastLogin\"]\n",
    )
    .unwrap();
    let config = ServeArgs {
        config: Some(path.clone()),
        routes: vec!["WhoAmI=rest".into()],
        ..ServeArgs::default()
    }
    .resolve()
    .unwrap();
    let routing = &config.routing;
    assert_eq!(routing.routes["WhoAmI"], Route::Rest, "the flag wins");
    assert_eq!(routing.routes["TPListEx"], Route::Legacy);
    assert_eq!(routing.shadow_primary, ShadowPrimary::Rest);
    assert_eq!(
        routing.shadow_ignore["WhoAmI"],
        ["/WhoAmIResponse/WhoAmIResult/LastLogin"]
    );
    std::fs::write(
        &path,
        "legacy = \"http://127.0.0.1:9\"\n[routes]\nCallBackTest = \"shadow\"\n",
    )
    .unwrap();
    let err = ServeArgs {
        config: Some(path),
        ..ServeArgs::default()
    }
    .resolve()
    .unwrap_err()
    .0;
    assert!(
        err.starts_with("invalid value 'CallBackTest=shadow' for 'routes' in "),
        "{err}"
    );
    assert!(err.contains("CallBackTest changes state"), "{err}");
}
