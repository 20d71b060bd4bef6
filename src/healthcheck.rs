//! `ecgrid-gateway healthcheck`: asks a running gateway's `/healthz` and
//! exits 0 when it answers 200, for a container's `HEALTHCHECK` (the image
//! has no shell or curl). One blocking HTTP/1.1 exchange on loopback with a
//! deadline on connect, write and read.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use clap::Args;

/// Flags of `healthcheck`.
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The gateway's listen address (a 0.0.0.0 or [::] address is asked
    /// on loopback) [default: 127.0.0.1:8080]
    #[arg(long, env = "ECGRID_GATEWAY_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// How long the whole check may take
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
}

impl HealthcheckArgs {
    /// Runs the check: `Ok` when `/healthz` answered 200, else why not.
    pub fn run(&self) -> Result<(), String> {
        let text = self.listen.as_deref().unwrap_or("127.0.0.1:8080");
        let addr: SocketAddr = text
            .parse()
            .map_err(|_| format!("invalid value '{text}' for --listen: expected IP:PORT"))?;
        check(addr, self.timeout)
    }
}

/// `GET /healthz` on `addr` (an unspecified address is asked on loopback);
/// `Ok` on a 200 answer within `timeout` for each of connect, write, read.
pub fn check(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| format!("{addr}: {e}"))?;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("{addr}: sending the request: {e}"))?;
    // The status line is all that is needed; read at most 1 KiB.
    let mut head = [0u8; 1024];
    let mut len = 0;
    while len < head.len() && !head[..len].contains(&b'\n') {
        match stream.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) => return Err(format!("{addr}: reading the answer: {e}")),
        }
    }
    let line = String::from_utf8_lossy(&head[..len]);
    let status = line.lines().next().unwrap_or("").trim();
    if status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.0 200") {
        Ok(())
    } else if status.is_empty() {
        Err(format!("{addr}/healthz: no answer"))
    } else {
        Err(format!("{addr}/healthz answered '{status}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-shot server answering `answer` to the first connection.
    fn serve_once(answer: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                let mut buf = [0u8; 512];
                let _ = conn.read(&mut buf);
                let _ = conn.write_all(answer.as_bytes());
            }
        });
        addr
    }

    #[test]
    fn a_200_is_healthy_anything_else_is_not() {
        let t = Duration::from_secs(3);
        let ok = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        assert_eq!(check(ok, t), Ok(()));
        let bad = serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        assert_eq!(
            check(bad, t).unwrap_err(),
            format!("{bad}/healthz answered 'HTTP/1.1 503 Service Unavailable'")
        );
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        assert!(check(closed, t).unwrap_err().starts_with("cannot connect"));
    }

    #[test]
    fn an_unspecified_listen_address_is_asked_on_loopback() {
        let ok = serve_once("HTTP/1.1 200 OK\r\n\r\n");
        let any: SocketAddr = format!("0.0.0.0:{}", ok.port()).parse().unwrap();
        assert_eq!(check(any, Duration::from_secs(3)), Ok(()));
        let args = HealthcheckArgs {
            listen: Some("nope".into()),
            timeout: Duration::from_secs(1),
        };
        assert_eq!(
            args.run().unwrap_err(),
            "invalid value 'nope' for --listen: expected IP:PORT"
        );
    }
}
