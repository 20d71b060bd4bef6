//! `GET /readyz` of the real binary: 200 while the REST upstream (and
//! Redis, with `--sessions redis://…`) answer; 503 naming what is down
//! once it stops; `/healthz` stays 200 throughout (liveness only).

mod support;

use std::time::{Duration, Instant};

use ecgrid_gateway::sandbox::DEMO_API_KEY;
use support::api::{test_config, Api};
use support::binary::{first_line, listening_url, Running};
use support::redis::RedisServer;
use support::{envelope, Soap, NS41, PATH41};

const KEY: &str = "8f1c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

async fn start(args: Vec<String>) -> (Running, String) {
    let (child, line) = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        first_line(&args, &[])
    })
    .await
    .unwrap();
    let url = listening_url(&line);
    (child, url)
}

async fn get(url: &str, path: &str) -> (u16, String) {
    let started = Instant::now();
    let response = reqwest::Client::new()
        .get(format!("{url}{path}"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("gateway answers");
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{path} took {:?}",
        started.elapsed()
    );
    (status, body)
}

async fn whoami_with_api_key(url: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{url}{PATH41}"))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(envelope(
            Soap::V11,
            NS41,
            "WhoAmI",
            &[("SessionID", DEMO_API_KEY)],
        ))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn serve_args(upstream: &str, extra: &[&str]) -> Vec<String> {
    [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        upstream,
        "--upstream-timeout",
        "2s",
        "--workers",
        "1",
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string())
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_flips_to_503_naming_the_upstream_when_it_stops() {
    let mut api = Api::start(test_config()).await;
    let (_gateway, url) = start(serve_args(&api.base, &[])).await;
    // Nothing called yet: the probe answers.
    let (status, body) = get(&url, "/readyz").await;
    assert_eq!((status, body.as_str()), (200, "ready\n"));
    assert_eq!(whoami_with_api_key(&url).await, 200);
    assert_eq!(get(&url, "/readyz").await.0, 200);

    api.handle.take().unwrap().shutdown().await;
    // The next call fails; readiness does not wait out the "recent" window.
    assert_eq!(whoami_with_api_key(&url).await, 500);
    let (status, body) = get(&url, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.starts_with("not ready:\nREST upstream http://127.0.0.1:"),
        "{body}"
    );
    assert!(body.contains("is down"), "{body}");
    let (status, body) = get(&url, "/healthz").await;
    assert_eq!(
        (status, body.as_str()),
        (200, "ok"),
        "liveness is unaffected"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_names_redis_when_the_session_store_is_down() {
    let api = Api::start(test_config()).await;
    let mut redis = RedisServer::start();
    let redis_url = redis.url();
    let (_gateway, url) = start(serve_args(
        &api.base,
        &["--sessions", &redis_url, "--session-key", KEY],
    ))
    .await;
    assert_eq!(get(&url, "/readyz").await.0, 200);
    redis.kill();
    // Past the "recent" window the store is pinged, and the ping fails.
    let deadline = Instant::now() + Duration::from_secs(10);
    let body = loop {
        let (status, body) = get(&url, "/readyz").await;
        if status == 503 {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "still ready 10 s after Redis died"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        body.contains(&format!("session store {redis_url}")),
        "{body}"
    );
    assert!(
        !body.contains("REST upstream"),
        "the upstream is fine: {body}"
    );
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(&url, "/readyz").await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "not ready 10 s after Redis returned"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
