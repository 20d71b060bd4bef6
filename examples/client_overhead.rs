//! How much of the gateway's added latency is its HTTP client: times one
//! sequential REST call (`GET /v2/users/me` with the demo API key) with
//! reqwest at its defaults, reqwest as `RestClient` configured it until it
//! moved off reqwest (no redirects, no retries), the bare hyper-util client
//! that reqwest wraps, and the gateway's `RestClient` itself (its own
//! HTTP/1.1 exchange, `src/rest/h1.rs`, plus decoding the JSON envelope),
//! alternating rounds. One single-threaded runtime, as each of the gateway's workers
//! runs (on the multi-thread runtime, cross-thread wake-ups add 10–30 µs
//! and blur the comparison).
//!
//! ```sh
//! target/release/ecgrid-gateway sandbox --listen 127.0.0.1:18081 &
//! cargo run --release --example client_overhead -- http://127.0.0.1:18081/v2/users/me
//! ```
//!
//! Prints p50/p99 in µs per client and round (`bench/results/client_overhead.txt`). Findings are in
//! bench/results/HISTORY.md (profiling).

use std::time::{Duration, Instant};

use bytes::Bytes;
use ecgrid_gateway::rest::{Auth, RestClient};
use http_body_util::{BodyExt, Empty};

const CALLS: usize = 20_000;
const KEY: &str = "demo-api-key";

/// Prints one client's p50 and p99 for a round.
fn report(round: usize, client: &str, mut us: Vec<u64>) {
    us.sort_unstable();
    let (p50, p99) = (us[us.len() / 2], us[us.len() * 99 / 100]);
    println!("round {round} {client:<16} p50 {p50:>4} µs  p99 {p99:>4} µs");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:18081/v2/users/me".to_string());
    let timeout = Duration::from_secs(30);
    let defaults = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .expect("reqwest client");
    let configured = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never().max_retries_per_request(0))
        .build()
        .expect("reqwest client");
    let hyper: hyper_util::client::legacy::Client<_, Empty<Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let uri: hyper::Uri = url.parse().expect("a URL");
    let path = uri.path().to_string();
    let path = path.as_str();
    let base = url.strip_suffix(path).expect("the URL ends with its path");
    let gateway_client = RestClient::new(base, timeout, &[]).expect("RestClient");
    let auth = Auth::ApiKey(KEY.to_string());
    for round in 0..3 {
        for (name, reqwest) in [
            ("reqwest defaults", &defaults),
            ("reqwest as used", &configured),
        ] {
            let mut times = Vec::with_capacity(CALLS);
            for _ in 0..CALLS {
                let started = Instant::now();
                let response = reqwest
                    .get(&url)
                    .header("X-API-Key", KEY)
                    .send()
                    .await
                    .expect("reqwest call");
                assert!(response.status().is_success());
                let body = response.bytes().await.expect("body");
                assert!(!body.is_empty());
                times.push(started.elapsed().as_micros() as u64);
            }
            report(round, name, times);
        }

        let mut times = Vec::with_capacity(CALLS);
        for _ in 0..CALLS {
            let started = Instant::now();
            let request = hyper::Request::get(uri.clone())
                .header("X-API-Key", KEY)
                .body(Empty::new())
                .expect("request");
            let response = tokio::time::timeout(timeout, hyper.request(request))
                .await
                .expect("in time")
                .expect("hyper call");
            assert!(response.status().is_success());
            let body = response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes();
            assert!(!body.is_empty());
            times.push(started.elapsed().as_micros() as u64);
        }
        report(round, "hyper-util", times);

        let mut times = Vec::with_capacity(CALLS);
        for _ in 0..CALLS {
            let started = Instant::now();
            let me: serde_json::Value = gateway_client
                .get(path, &auth)
                .await
                .expect("RestClient call");
            assert!(!me.is_null());
            times.push(started.elapsed().as_micros() as u64);
        }
        report(round, "RestClient", times);
    }
}
