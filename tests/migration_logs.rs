//! Migration mode's logs: one `warn` line per new drift path (not per
//! call), and no secret of a dual login (password, either SessionID) in
//! any line.

mod support;

use std::time::Duration;

use ecgrid_gateway::routing::table::LegacyService;
use ecgrid_gateway::routing::{DefaultRoute, Route, RouteSettings};
use ecgrid_gateway::sandbox::{DEMO_LOGIN, DEMO_PASSWORD};
use support::api::{test_config, Api};
use support::fake_legacy::{fixed, FakeLegacy, LEGACY_SESSION};
use support::logs::CapturedLogs;
use support::*;

#[tokio::test]
async fn drift_is_logged_once_per_path_and_secrets_never() {
    let captured = CapturedLogs::default();
    tracing::subscriber::set_global_default(captured.subscriber("debug"))
        .expect("first subscriber");
    let api = Api::start(test_config()).await;
    let fake = FakeLegacy::start(DEMO_PASSWORD).await;
    fake.script(
        "NowUTC",
        fixed(r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><NowUTCResponse xmlns="https://os.ecgrid.io/"><NowUTCResult>2001-01-01T00:00:00Z</NowUTCResult></NowUTCResponse></s:Body></s:Envelope>"#),
    );
    let mut config = config_for(&api.base);
    config.routing = RouteSettings {
        legacy: Some(LegacyService::Url(fake.base.clone())),
        default_route: DefaultRoute::Legacy,
        routes: [("NowUTC".to_string(), Route::Shadow)]
            .into_iter()
            .collect(),
        ..RouteSettings::default()
    };
    let gw = spawn_gateway(&config).await;
    let session = gw.login(Soap::V11, DEMO_LOGIN, DEMO_PASSWORD).await;
    gw.call(Soap::V11, "CarbonCopyList", &[("SessionID", &session)])
        .await;
    for _ in 0..3 {
        gw.call(Soap::V11, "NowUTC", &[]).await;
    }
    let mut text = String::new();
    for _ in 0..100 {
        let report: serde_json::Value = gw
            .http
            .get(gw.url("/migration.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if report["operations"]["NowUTC"]["shadow"]["differed"] == 3 {
            text = captured.text();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gw.stop().await;
    let drift: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("shadow drift"))
        .collect();
    assert_eq!(drift.len(), 1, "{text}");
    assert!(drift[0].contains("WARN"), "{}", drift[0]);
    assert!(
        drift[0].contains("path=/NowUTCResponse/NowUTCResult"),
        "{}",
        drift[0]
    );
    for secret in [DEMO_PASSWORD, session.as_str(), LEGACY_SESSION] {
        assert!(!text.contains(secret), "{secret} logged:\n{text}");
    }
}
