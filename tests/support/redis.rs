//! A Redis server of the test's own: `redis-server` (Debian's, installed
//! by `tests/run.sh`) on a free loopback port, with its append-only file in
//! a temporary directory so a restart keeps what was written; killed when
//! dropped. Never the system's service.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server` on 127.0.0.1.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

/// The `redis-server` binary, or a failure saying how to get it.
fn redis_server_binary() -> PathBuf {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let candidate = PathBuf::from(dir).join("redis-server");
        if candidate.is_file() {
            return candidate;
        }
    }
    for fixed in ["/usr/bin/redis-server", "/usr/local/bin/redis-server"] {
        if std::path::Path::new(fixed).is_file() {
            return fixed.into();
        }
    }
    panic!(
        "redis-server is not installed: the shared-session tests need it \
         (bash tests/run.sh installs Debian's redis-server; or apt-get install redis-server)"
    );
}

impl RedisServer {
    /// Starts a server on a free port and waits (up to 10 s) until it
    /// answers.
    pub fn start() -> RedisServer {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            listener.local_addr().unwrap().port()
        };
        let mut server = RedisServer {
            child: None,
            port,
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The server's process id (to pause it with SIGSTOP).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Kills the server (SIGKILL) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory (what was
    /// written before is read back from its append-only file).
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new(redis_server_binary())
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &self.port.to_string(),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                self.dir.path().to_str().expect("a UTF-8 temporary path"),
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut connection) = self.client().get_connection() {
                if redis::cmd("PING").query::<String>(&mut connection).is_ok() {
                    return;
                }
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "redis-server on port {} exited at start: {status}",
                    self.port
                );
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not answer within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A client of this server.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url()).expect("a Redis URL")
    }

    /// Every key and value in database 0.
    pub fn dump(&self) -> Vec<(String, Vec<u8>)> {
        let mut connection = self.client().get_connection().expect("Redis answers");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query(&mut connection)
            .expect("KEYS");
        keys.into_iter()
            .map(|key| {
                let value: Vec<u8> = redis::cmd("GET")
                    .arg(&key)
                    .query(&mut connection)
                    .expect("GET");
                (key, value)
            })
            .collect()
    }

    /// The time to live of `key` in milliseconds (`PTTL`).
    pub fn pttl(&self, key: &str) -> i64 {
        let mut connection = self.client().get_connection().expect("Redis answers");
        redis::cmd("PTTL")
            .arg(key)
            .query(&mut connection)
            .expect("PTTL")
    }

    /// True while something accepts connections on the port.
    pub fn is_listening(&self) -> bool {
        TcpStream::connect(("127.0.0.1", self.port)).is_ok()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The `--session-key` the shared-session tests' gateways seal with.
pub const SESSION_KEY: &str = "8f1c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

/// Starts a gateway process (`serve`, this build's binary) on a free
/// loopback port against `upstream`, its sessions in `redis` sealed with
/// [`SESSION_KEY`], with `extra` flags; returns it and its URL once it
/// printed its listening line.
pub async fn spawn_redis_gateway(
    upstream: &str,
    redis: &str,
    extra: &[&str],
) -> (super::binary::Running, String) {
    let args: Vec<String> = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        upstream,
        "--sessions",
        redis,
        "--session-key",
        SESSION_KEY,
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string())
    .collect();
    let (child, line) = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        super::binary::first_line(&args, &[])
    })
    .await
    .unwrap();
    assert!(line.contains("listening on"), "start line: {line}");
    (child, super::binary::listening_url(&line))
}
