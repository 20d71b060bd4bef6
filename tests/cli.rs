//! The `ecgrid-gateway` binary: bad values exit 2 naming the flag (from
//! flags, the environment or the config file), and `serve` / `sandbox` print
//! one start line saying where they listen, and upstream calls honour the
//! proxy named in the environment.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ecgrid-gateway");

/// Runs the binary to completion (it must exit by itself quickly).
fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), stderr)
}

#[test]
fn bad_values_exit_2_naming_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["serve", "--session-idle-timeout", "soon"],
            "--session-idle-timeout",
        ),
        (&["serve", "--upstream-timeout", "-3"], "--upstream-timeout"),
        (&["serve", "--max-body", "huge"], "--max-body"),
        (&["serve", "--listen", "localhost"], "--listen"),
        (&["serve", "--upstream", "not a url"], "--upstream"),
        (&["serve", "--public-url", "ftp://x"], "--public-url"),
        (&["serve", "--session-capacity", "-1"], "--session-capacity"),
        (&["serve", "--workers", "0"], "--workers"),
        (&["serve", "--shutdown-grace", "0s"], "--shutdown-grace"),
        (&["serve", "--log-format", "xml"], "--log-format"),
        (
            &["serve", "--sandbox", "--upstream", "http://127.0.0.1:1"],
            "--sandbox",
        ),
        (&["serve", "--no-such-flag"], "--no-such-flag"),
        (&["sandbox", "--listen", "nowhere"], "--listen"),
    ];
    for (args, flag) in cases {
        let (code, stderr) = run(args, &[]);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains(flag),
            "{args:?} should name {flag}: {stderr}"
        );
    }
}

#[test]
fn environment_and_config_file_values_are_checked_too() {
    let (code, stderr) = run(
        &["serve"],
        &[("ECGRID_GATEWAY_UPSTREAM_TIMEOUT", "forever")],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--upstream-timeout"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, "session_capacity = 0\n").unwrap();
    let (code, stderr) = run(&["serve", "--config", path.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("'session-capacity' in"), "{stderr}");

    let (code, stderr) = run(&["serve", "--config", "/nonexistent/gateway.toml"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--config"), "{stderr}");
}

/// A running child process that is killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary and returns its first stdout line (bounded wait).
fn first_line(args: &[&str], env: &[(&str, &str)]) -> (Running, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = Running(cmd.spawn().expect("spawn"));
    let stdout = child.0.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("start line within 20 s");
    (child, line)
}

fn listening_url(line: &str) -> String {
    line.split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("a URL in the start line")
        .trim_end_matches([',', ';', ')'])
        .to_string()
}

#[test]
fn serve_with_sandbox_prints_one_line_with_the_demo_account_and_answers() {
    let (_child, line) = first_line(
        &["serve", "--sandbox", "--listen", "127.0.0.1:0"],
        &[("ECGRID_GATEWAY_LOG_FORMAT", "json")],
    );
    assert!(
        line.starts_with("ecgrid-gateway listening on http://127.0.0.1:"),
        "{line}"
    );
    assert!(
        line.contains("upstream: embedded sandbox at http://127.0.0.1:"),
        "{line}"
    );
    assert!(
        line.contains("login demo, password Demo#2026, API key demo-api-key"),
        "{line}"
    );

    let url = listening_url(&line);
    let body = exchange(
        &url,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.ends_with("ok"), "{body}");
}

#[test]
fn serve_names_its_upstream_and_flags_come_from_the_environment() {
    let (_child, line) = first_line(
        &["serve"],
        &[
            ("ECGRID_GATEWAY_LISTEN", "127.0.0.1:0"),
            ("ECGRID_GATEWAY_UPSTREAM", "http://127.0.0.1:9/"),
        ],
    );
    assert!(line.contains("upstream: http://127.0.0.1:9"), "{line}");
    assert!(!line.contains("sandbox"), "{line}");
}

#[test]
fn sandbox_subcommand_prints_its_start_line() {
    let (_child, line) = first_line(&["sandbox", "--listen", "127.0.0.1:0"], &[]);
    assert!(
        line.starts_with("ecgrid-gateway sandbox listening on http://127.0.0.1:"),
        "{line}"
    );
    assert!(line.contains("demo-api-key"), "{line}");
}

/// A one-shot HTTP forward proxy on loopback: answers the first request with
/// a REST v2 version envelope and hands back the request head it received.
fn fake_forward_proxy() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
            match stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => break,
            }
        }
        let body = r#"{"success":true,"data":{"version":"9.9-via-proxy"},"errorCode":null,"message":null}"#;
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
    });
    (format!("http://{addr}"), rx)
}

/// Sends one raw HTTP/1.1 request (which must say `Connection: close`) to
/// the server at `url`, retrying the connect for up to 10 s, and returns the
/// whole response.
fn exchange(url: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut stream = loop {
        match std::net::TcpStream::connect(url.trim_start_matches("http://")) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("server not reachable: {e}"),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

/// Posts a SOAP 1.1 envelope to the gateway's v4.1 endpoint and returns the
/// whole HTTP response.
fn post_soap(url: &str, action: &str, envelope: &str) -> String {
    exchange(
        url,
        &format!(
            "POST /v4.1/prod/ECGridOS.asmx HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \"https://os.ecgrid.io/{action}\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
            envelope.len()
        ),
    )
}

#[test]
fn upstream_calls_go_through_the_proxy_named_in_the_environment() {
    // Where the legacy service runs, egress often goes through a proxy: the
    // gateway honours HTTP(S)_PROXY for its upstream calls. The upstream
    // host does not resolve; only the proxy can answer.
    let (proxy, seen) = fake_forward_proxy();
    let (_child, line) = first_line(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "http://rest.ecgrid.invalid",
        ],
        &[("HTTP_PROXY", proxy.as_str()), ("NO_PROXY", "")],
    );
    let url = listening_url(&line);
    let envelope = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Version xmlns="https://os.ecgrid.io/"/></soap:Body></soap:Envelope>"#;
    let response = post_soap(&url, "Version", envelope);

    let head = seen
        .recv_timeout(Duration::from_secs(10))
        .expect("the proxy got the upstream call");
    assert!(
        head.starts_with("GET http://rest.ecgrid.invalid/v2/auth/version HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("9.9-via-proxy"), "{response}");
}

/// Log lines are written by a writer thread; stopping the gateway as an
/// orchestrator does (SIGTERM) must still leave every line in the log,
/// down to the last one it logs on the way out.
#[test]
fn every_log_line_is_written_before_the_gateway_exits_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("gateway.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--sandbox",
        "--listen",
        "127.0.0.1:0",
        "--workers",
        "2",
    ])
    .env("RUST_LOG", "info")
    .stdout(Stdio::piped())
    .stderr(Stdio::from(log));
    let mut child = Running(cmd.spawn().expect("spawn"));
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = listening_url(&line);
    const CALLS: usize = 50;
    let envelope = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><NowUTC xmlns="https://os.ecgrid.io/"/></soap:Body></soap:Envelope>"#;
    for _ in 0..CALLS {
        let response = post_soap(&url, "NowUTC", envelope);
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }

    let status = stop_with_sigterm(&mut child, Duration::from_secs(20));
    assert!(status.success(), "{status}");

    let text = std::fs::read_to_string(&log_path).unwrap();
    assert_eq!(
        text.matches("request finished").count(),
        CALLS,
        "one line per call:\n{text}"
    );
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.contains("sandbox stopped"),
        "last line: {last}\n{text}"
    );
}

/// Sends SIGTERM, as an orchestrator does, and waits for the exit (failing
/// the test after `limit`).
fn stop_with_sigterm(child: &mut Running, limit: Duration) -> std::process::ExitStatus {
    let pid = child.0.id() as libc::pid_t;
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "no exit within {limit:?} of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A call whose upstream never answers must not keep the gateway from
/// stopping: after --shutdown-grace the connection is closed and the
/// process exits (the upstream timeout, 30 s, is far away).
#[test]
fn a_call_in_flight_does_not_hold_the_shutdown_past_the_grace() {
    use std::io::{Read, Write};
    // An upstream that takes the request and never answers.
    let upstream = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream_url = format!("http://{}", upstream.local_addr().unwrap());
    let (reached, reached_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut socket, _) = upstream.accept().unwrap();
        let mut head = [0u8; 512];
        let _ = socket.read(&mut head);
        let _ = reached.send(());
        std::thread::sleep(Duration::from_secs(60));
    });
    let (mut child, line) = first_line(
        &[
            "serve",
            "--upstream",
            &upstream_url,
            "--listen",
            "127.0.0.1:0",
            "--shutdown-grace",
            "1s",
        ],
        &[],
    );
    let url = listening_url(&line);
    let envelope = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Version xmlns="https://os.ecgrid.io/"/></soap:Body></soap:Envelope>"#;
    let mut client = std::net::TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    write!(
        client,
        "POST /v4.1/prod/ECGridOS.asmx HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n{envelope}",
        envelope.len()
    )
    .unwrap();
    reached_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the call reaches the upstream");

    let started = Instant::now();
    let status = stop_with_sigterm(&mut child, Duration::from_secs(15));
    let took = started.elapsed();
    assert!(status.success(), "{status}");
    assert!(
        took >= Duration::from_millis(900),
        "did not wait for the grace: {took:?}"
    );
    // The client's connection was closed, not left hanging.
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut rest = Vec::new();
    let closed = client.read_to_end(&mut rest);
    assert!(
        closed.is_ok()
            || closed
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "{closed:?}"
    );
}
