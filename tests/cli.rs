//! The `ecgrid-gateway` binary: bad values exit 2 naming the flag (from
//! flags, the environment or the config file), and `serve` / `sandbox` print
//! one start line saying where they listen, and SIGTERM stops it within the
//! shutdown grace without losing log lines.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::binary::*;

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
        (
            &["serve", "--upstream-ca", "/nonexistent/ca.pem"],
            "--upstream-ca",
        ),
        (
            &[
                "serve",
                "--upstream",
                "http://127.0.0.1:1",
                "--upstream-ca",
                "/nonexistent/ca.pem",
            ],
            "--upstream-ca",
        ),
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

    // The container's HEALTHCHECK: `healthcheck` exits 0 on this gateway,
    // its address from ECGRID_GATEWAY_LISTEN as the image sets it.
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let (code, stderr) = run(&["healthcheck"], &[("ECGRID_GATEWAY_LISTEN", addr)]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = run(&["healthcheck", "--listen", "127.0.0.1:1"], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cannot connect to 127.0.0.1:1"), "{stderr}");
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
