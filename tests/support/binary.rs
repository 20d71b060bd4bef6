//! Running the `ecgrid-gateway` binary from a test: to completion, or
//! until its start line, and raw HTTP/1.1 exchanges with it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_ecgrid-gateway");

/// Runs the binary to completion (it must exit by itself quickly).
pub fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
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

/// A running child process that is killed when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary and returns its first stdout line (bounded wait).
pub fn first_line(args: &[&str], env: &[(&str, &str)]) -> (Running, String) {
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

/// The `http://127.0.0.1:PORT` the start line names.
pub fn listening_url(line: &str) -> String {
    line.split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("a URL in the start line")
        .trim_end_matches([',', ';', ')'])
        .to_string()
}

/// Sends one raw HTTP/1.1 request (which must say `Connection: close`) to
/// the server at `url`, retrying the connect for up to 10 s, and returns the
/// whole response.
pub fn exchange(url: &str, request: &str) -> String {
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
pub fn post_soap(url: &str, action: &str, envelope: &str) -> String {
    exchange(
        url,
        &format!(
            "POST /v4.1/prod/ECGridOS.asmx HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \"https://os.ecgrid.io/{action}\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
            envelope.len()
        ),
    )
}

/// The built binary serving with `--legacy legacy` (the REST upstream
/// unreachable, one worker) and `extra` flags: the process and its URL.
/// Blocks while it starts (call from `spawn_blocking` in async tests).
pub fn legacy_gateway(legacy: &str, extra: &[&str]) -> (Running, String) {
    let mut args = vec![
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        "http://127.0.0.1:9",
        "--legacy",
        legacy,
        "--workers",
        "1",
    ];
    args.extend_from_slice(extra);
    let (child, line) = first_line(&args, &[]);
    let url = listening_url(&line);
    (child, url)
}

/// Peak resident memory (VmHWM) of a process, in KiB.
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}
