//! Starting a sandbox for a test and calling it with reqwest.

use std::time::{Duration, Instant};

use ecgrid_gateway::sandbox::{start, DeliveryPolicy, SandboxConfig, SandboxHandle, DEMO_API_KEY};
use serde_json::{json, Value};

/// A fast delivery policy for tests: 20 ms base delay, 100 ms cap, 2 s timeout.
pub fn fast_policy() -> DeliveryPolicy {
    DeliveryPolicy {
        timeout: Duration::from_secs(2),
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(100),
        jitter: true,
        shutdown_grace: Duration::from_secs(2),
        ..DeliveryPolicy::default()
    }
}

/// A test config: http loopback callbacks allowed, fast policy.
pub fn test_config() -> SandboxConfig {
    SandboxConfig {
        allow_http_callbacks: true,
        delivery: fast_policy(),
        ..SandboxConfig::default()
    }
}

/// A sandbox plus a client.
pub struct Api {
    pub handle: Option<SandboxHandle>,
    pub base: String,
    pub client: reqwest::Client,
    /// The credential used by `call` (X-API-Key when `key`, else Bearer).
    pub key: Option<String>,
    pub bearer: Option<String>,
}

impl Api {
    /// Starts a sandbox with `config`; calls use the demo API key.
    pub async fn start(config: SandboxConfig) -> Api {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let handle = start(listener, config).await.unwrap();
        let base = handle.base_url();
        Api {
            handle: Some(handle),
            base,
            client: reqwest::Client::new(),
            key: Some(DEMO_API_KEY.to_string()),
            bearer: None,
        }
    }

    /// Another client on the same sandbox with a different API key.
    pub fn with_key(&self, key: &str) -> Api {
        Api {
            handle: None,
            base: self.base.clone(),
            client: self.client.clone(),
            key: Some(key.to_string()),
            bearer: None,
        }
    }

    /// Sends a request with the configured credential; returns status and JSON.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(k) = &self.key {
            req = req.header("X-API-Key", k);
        }
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = tokio::time::timeout(Duration::from_secs(10), req.send())
            .await
            .expect("sandbox answered in time")
            .expect("sandbox reachable");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("answer is JSON: {text}"));
        (status, v)
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// POST that must succeed; returns `data`.
    pub async fn ok(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.post(path, body).await;
        assert_eq!(status, 200, "{path}: {v}");
        assert_eq!(v["success"], true, "{path}: {v}");
        v["data"].clone()
    }

    /// Creates a callback (guide shape, frequency 0) to `url`; returns its id.
    pub async fn create_callback(&self, url: &str, extra: Value) -> i64 {
        let mut body =
            json!({"callBackUrl": url, "callBackEvent": "InBox", "frequency": 0, "retries": 3});
        if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
            b.extend(e);
        }
        self.ok("/v2/callbacks/create", body).await["callbackId"]
            .as_i64()
            .unwrap()
    }

    /// Fires an InBox event; returns the queued event ids.
    pub async fn fire_inbox(&self) -> Vec<i64> {
        let data = self
            .ok(
                "/sandbox/events",
                json!({"event": "InBox", "objectId": 5550001, "fileName": "850.edi"}),
            )
            .await;
        data["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["callbackEventId"].as_i64().unwrap())
            .collect()
    }

    /// get-event-by-id data.
    pub async fn event(&self, id: i64) -> Value {
        self.ok(
            "/v2/callbacks/get-event-by-id",
            json!({"callbackEventId": id}),
        )
        .await
    }

    /// Polls (bounded) until the event's status is terminal; returns it.
    pub async fn wait_terminal(&self, id: i64, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let e = self.event(id).await;
            let s = e["status"].as_str().unwrap_or("").to_string();
            if s == "delivered" || s == "dead_letter" || Instant::now() >= deadline {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Shuts the sandbox down (if this Api owns it).
    pub async fn shutdown(mut self) -> Option<ecgrid_gateway::sandbox::ShutdownReport> {
        match self.handle.take() {
            Some(h) => Some(h.shutdown().await),
            None => None,
        }
    }
}
