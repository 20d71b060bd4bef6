//! deploy/nginx.conf as docs/DEPLOY.md describes it: nginx round robin in
//! front of two gateway processes sharing one Redis (the test's own) on one
//! REST sandbox. A session from Login through nginx works whichever
//! instance answers (both answer: their own /metrics say so), and a Logout
//! through nginx ends it on both within the 2 s re-check.
//!
//! nginx is Debian's (`nginx-light`, installed by tests/run.sh); a test that
//! cannot find it fails.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ecgrid_gateway::sandbox::{DEMO_LOGIN, DEMO_PASSWORD};
use support::api::{test_config, Api};
use support::binary::{exchange, Running};
use support::redis::{spawn_redis_gateway, RedisServer};
use support::{envelope, text_of, Soap, NS41, PATH41};

/// nginx's master, stopped with SIGTERM on drop (it stops its workers; a
/// SIGKILL of the master would leave them running), SIGKILL after 5 s.
struct Nginx(std::process::Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nginx_binary() -> PathBuf {
    for candidate in ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"] {
        if std::path::Path::new(candidate).is_file() {
            return candidate.into();
        }
    }
    panic!("nginx is not installed: tests/deploy_nginx.rs needs it (bash tests/run.sh installs Debian's nginx-light)");
}

async fn instance(upstream: &str, redis: &str) -> (Running, String) {
    spawn_redis_gateway(upstream, redis, &["--workers", "1"]).await
}

/// One SOAP call through `url` on a connection of its own (so nginx's
/// round robin spreads them): status and body.
async fn call(url: &str, op: &str, params: &[(&str, &str)]) -> (u16, String) {
    let body = envelope(Soap::V11, NS41, op, params);
    let url = url.to_string();
    let answer = tokio::task::spawn_blocking(move || {
        exchange(
            &url,
            &format!(
                "POST {PATH41} HTTP/1.1\r\nHost: gateway.example\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    })
    .await
    .unwrap();
    let status = answer
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"));
    (status, answer)
}

fn whoami_count(instance_url: &str) -> f64 {
    let answer = exchange(
        instance_url,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    answer
        .lines()
        .filter(|l| l.starts_with("ecgrid_gateway_requests_total{operation=\"WhoAmI\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_nginx_share_sessions_and_logout() {
    let api = Api::start(test_config()).await;
    let redis = RedisServer::start();
    let (_a, a) = instance(&api.base, &redis.url()).await;
    let (_b, b) = instance(&api.base, &redis.url()).await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx.conf")).unwrap();
    let host = |url: &str| url.trim_start_matches("http://").to_string();
    let config = template
        .replace("server 127.0.0.1:8081 ", &format!("server {} ", host(&a)))
        .replace("server 127.0.0.1:8082 ", &format!("server {} ", host(&b)))
        .replace(
            "listen 127.0.0.1:8080;",
            &format!("listen 127.0.0.1:{port};"),
        );
    assert!(
        config.contains(&host(&a))
            && config.contains(&host(&b))
            && config.contains(&format!(":{port};")),
        "deploy/nginx.conf no longer has the lines this test replaces"
    );
    let prefix = tempfile::tempdir().unwrap();
    let conf = prefix.path().join("nginx.conf");
    std::fs::write(&conf, config).unwrap();
    for dir in ["logs", "client_body", "proxy"] {
        std::fs::create_dir_all(prefix.path().join(dir)).unwrap();
    }
    let p = prefix.path().display().to_string();
    let globals = format!(
        "daemon off; pid {p}/nginx.pid; error_log {p}/logs/error.log;{}",
        if unsafe { libc::geteuid() } == 0 {
            " user root root;"
        } else {
            ""
        }
    );
    let http_paths = format!("client_body_temp_path {p}/client_body; proxy_temp_path {p}/proxy;");
    let conf_text = std::fs::read_to_string(&conf).unwrap().replacen(
        "http {",
        &format!("http {{\n    {http_paths}"),
        1,
    );
    std::fs::write(&conf, conf_text).unwrap();
    let _nginx = Nginx(
        Command::new(nginx_binary())
            .args([
                "-p",
                &p,
                "-c",
                conf.to_str().unwrap(),
                "-e",
                &format!("{p}/logs/error.log"),
                "-g",
                &globals,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts"),
    );
    let front = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not listen within 10 s: {}",
            std::fs::read_to_string(prefix.path().join("logs/error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let (status, body) = call(
        &front,
        "Login",
        &[("LoginName", DEMO_LOGIN), ("Password", DEMO_PASSWORD)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let session = text_of(&body, "LoginResult").expect("LoginResult");
    for _ in 0..8 {
        let (status, body) = call(&front, "WhoAmI", &[("SessionID", &session)]).await;
        assert_eq!(status, 200, "{body}");
    }
    let (on_a, on_b) = (whoami_count(&a), whoami_count(&b));
    assert_eq!(on_a + on_b, 8.0);
    assert!(
        on_a > 0.0 && on_b > 0.0,
        "round robin reached both: A {on_a}, B {on_b}"
    );

    let (status, body) = call(&front, "Logout", &[("SessionID", &session)]).await;
    assert_eq!(status, 200, "{body}");
    // Past the 2 s re-check, neither instance accepts it.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    for _ in 0..4 {
        let (status, body) = call(&front, "WhoAmI", &[("SessionID", &session)]).await;
        assert_eq!(status, 500, "{body}");
        assert!(body.contains("call Login again"), "{body}");
    }
}
