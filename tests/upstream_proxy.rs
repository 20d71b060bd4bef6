//! How the binary reaches its upstream (src/rest/connect.rs): through the
//! HTTP proxy the environment names (absolute-form requests for an http://
//! upstream, a CONNECT tunnel with TLS end to end for an https:// one), with
//! the proxy's credentials, and with TLS certificates verified: an untrusted
//! upstream is refused, one whose CA `--upstream-ca` names is answered.
//! The legacy client (`--legacy`) follows the same rules. Every server here
//! is a one-shot thread on loopback; the upstream hosts
//! either do not resolve or are only reachable through the proxy under test.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::Duration;

use support::binary::*;

/// The SOAP `Version` call: one upstream `GET /v2/auth/version`.
const VERSION: &str = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Version xmlns="https://os.ecgrid.io/"/></soap:Body></soap:Envelope>"#;

/// The REST v2 answer to `GET /v2/auth/version` the fake upstreams give.
const VERSION_ANSWER: &str =
    r#"{"success":true,"data":{"version":"9.9-via-proxy"},"errorCode":null,"message":null}"#;

/// An HTTP/1.1 200 response carrying [`VERSION_ANSWER`].
fn version_response() -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{VERSION_ANSWER}",
        VERSION_ANSWER.len()
    )
}

/// Reads an HTTP request head (up to the blank line) one byte at a time, so
/// nothing after it is consumed.
fn read_head(stream: &mut impl Read) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Binds a loopback port and serves its first connection on a thread: reads
/// the request head (10 s read timeout) and hands the stream and the head
/// to `serve`.
fn one_shot_server(serve: impl FnOnce(TcpStream, String) + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let head = read_head(&mut stream);
        serve(stream, head);
    });
    addr
}

/// A one-shot HTTP forward proxy on loopback: answers the first request with
/// a REST v2 version envelope and hands back the request head it received.
fn fake_forward_proxy() -> (SocketAddr, Receiver<String>) {
    let (tx, rx) = channel();
    let addr = one_shot_server(move |mut stream, head| {
        let _ = stream.write_all(version_response().as_bytes());
        let _ = tx.send(head);
    });
    (addr, rx)
}

/// A one-shot tunnelling proxy on loopback: takes one `CONNECT`, hands back
/// its head, connects to `127.0.0.1` at the port asked for, and pipes bytes
/// both ways until either side closes.
fn fake_connect_proxy() -> (SocketAddr, Receiver<String>) {
    let (tx, rx) = channel();
    let addr = one_shot_server(move |mut client, head| {
        let port = head
            .split_whitespace()
            .nth(1)
            .and_then(|target| target.rsplit(':').next())
            .and_then(|port| port.parse::<u16>().ok());
        let _ = tx.send(head);
        let Some(Ok(mut upstream)) = port.map(|p| TcpStream::connect(("127.0.0.1", p))) else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            return;
        };
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .unwrap();
        let (mut client_r, mut upstream_w) =
            (client.try_clone().unwrap(), upstream.try_clone().unwrap());
        let up = std::thread::spawn(move || {
            let _ = std::io::copy(&mut client_r, &mut upstream_w);
            let _ = upstream_w.shutdown(std::net::Shutdown::Write);
        });
        let _ = std::io::copy(&mut upstream, &mut client);
        let _ = client.shutdown(std::net::Shutdown::Write);
        let _ = up.join();
    });
    (addr, rx)
}

/// A one-shot TLS upstream on loopback with a fresh self-signed
/// certificate for `localhost`, which no client trusts unless told to.
struct TlsUpstream {
    port: u16,
    /// The certificate, PEM: what `--upstream-ca` would name.
    ca_pem: String,
    /// How the handshake ended, the server name the client asked for (SNI),
    /// and the request head read after a completed handshake.
    seen: Receiver<(String, Option<String>, Option<String>)>,
}

impl TlsUpstream {
    fn start() -> TlsUpstream {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind tls");
        let port = listener.local_addr().unwrap().port();
        let (tx, seen) = channel();
        std::thread::spawn(move || {
            let Ok((mut tcp, _)) = listener.accept() else {
                return;
            };
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut tls = rustls::ServerConnection::new(config).unwrap();
            let outcome = loop {
                if !tls.is_handshaking() {
                    break "handshake completed".to_string();
                }
                match tls.complete_io(&mut tcp) {
                    Ok((0, 0)) => break "client closed".to_string(),
                    Ok(_) => continue,
                    Err(e) => break e.to_string(),
                }
            };
            let sni = tls.server_name().map(str::to_string);
            let head = (outcome == "handshake completed").then(|| {
                let mut stream = rustls::Stream::new(&mut tls, &mut tcp);
                let head = read_head(&mut stream);
                let _ = stream.write_all(version_response().as_bytes());
                let _ = stream.flush();
                head
            });
            tls.send_close_notify();
            let _ = tls.complete_io(&mut tcp);
            let _ = tx.send((outcome, sni, head));
        });
        TlsUpstream {
            port,
            ca_pem: certified.cert.pem(),
            seen,
        }
    }

    /// `https://localhost:PORT`.
    fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// What the upstream saw (bounded wait).
    fn seen(&self) -> (String, Option<String>, Option<String>) {
        self.seen
            .recv_timeout(Duration::from_secs(10))
            .expect("the TLS upstream saw a handshake")
    }

    /// The gateway asked for `localhost`, refused the certificate, and
    /// answered the SOAP call with a fault saying so.
    fn assert_refused(&self, response: &str) {
        let (outcome, sni, request) = self.seen();
        assert_eq!(sni.as_deref(), Some("localhost"), "{outcome}");
        assert_ne!(outcome, "handshake completed");
        assert_eq!(request, None);
        assert!(response.starts_with("HTTP/1.1 500"), "{response}");
        assert!(
            response.contains(&format!(
                "upstream {} is unreachable: invalid peer certificate",
                self.url()
            )),
            "{response}"
        );
    }

    /// The handshake completed, the upstream got the REST call in origin
    /// form (as any server does, tunnel or not), and its answer made the
    /// SOAP response.
    fn assert_answered(&self, response: &str) {
        let (outcome, sni, request) = self.seen();
        assert_eq!(outcome, "handshake completed");
        assert_eq!(sni.as_deref(), Some("localhost"));
        let request = request.expect("a request after the handshake");
        assert!(
            request.starts_with("GET /v2/auth/version HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains("9.9-via-proxy"), "{response}");
    }

    /// Writes the certificate to a PEM file in `dir` and returns its path.
    fn ca_file(&self, dir: &std::path::Path) -> String {
        let path = dir.join("upstream-ca.pem");
        std::fs::write(&path, &self.ca_pem).unwrap();
        path.display().to_string()
    }
}

/// Starts `serve --listen 127.0.0.1:0` with `args` then `extra` and `env`,
/// and posts one SOAP `op` call with `envelope`; returns the gateway's HTTP
/// response.
fn serve_and_post(
    args: &[&str],
    extra: &[&str],
    env: &[(&str, &str)],
    op: &str,
    envelope: &str,
) -> String {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    all.extend_from_slice(extra);
    let (_child, line) = first_line(&all, env);
    post_soap(&listening_url(&line), op, envelope)
}

/// Starts `serve` for `upstream` with `extra` flags and `env` and makes one
/// SOAP `Version` call; returns the gateway's HTTP response.
fn version_call(upstream: &str, extra: &[&str], env: &[(&str, &str)]) -> String {
    serve_and_post(&["--upstream", upstream], extra, env, "Version", VERSION)
}

#[test]
fn an_http_upstream_is_reached_through_the_forward_proxy_with_its_credentials() {
    // Where the legacy service runs, egress often goes through a proxy. The
    // upstream host does not resolve; only the proxy can answer.
    let (proxy, seen) = fake_forward_proxy();
    let proxy_url = format!("http://alice:s3cret@{proxy}");
    let response = version_call(
        "http://rest.ecgrid.invalid",
        &[],
        &[("HTTP_PROXY", proxy_url.as_str()), ("NO_PROXY", "")],
    );

    let head = seen
        .recv_timeout(Duration::from_secs(10))
        .expect("the proxy got the upstream call");
    assert!(
        head.starts_with("GET http://rest.ecgrid.invalid/v2/auth/version HTTP/1.1\r\n"),
        "{head}"
    );
    // alice:s3cret in Basic form.
    assert!(
        head.to_ascii_lowercase()
            .contains("\r\nproxy-authorization: basic ywxpy2u6cznjcmv0\r\n"),
        "{head}"
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("9.9-via-proxy"), "{response}");
}

#[test]
fn an_https_upstream_is_tunnelled_through_the_proxy_and_its_certificate_checked() {
    // TLS runs end to end through the CONNECT tunnel: the upstream's
    // self-signed certificate reaches the gateway, which refuses it.
    let upstream = TlsUpstream::start();
    let (proxy, seen) = fake_connect_proxy();
    let proxy_url = format!("http://bob:pa55@{proxy}");
    let response = version_call(
        &upstream.url(),
        &[],
        &[("HTTPS_PROXY", proxy_url.as_str()), ("NO_PROXY", "")],
    );

    let head = seen
        .recv_timeout(Duration::from_secs(10))
        .expect("the proxy got the CONNECT");
    assert!(
        head.starts_with(&format!("CONNECT localhost:{} HTTP/1.1\r\n", upstream.port)),
        "{head}"
    );
    // bob:pa55 in Basic form, on the CONNECT.
    assert!(
        head.to_ascii_lowercase()
            .contains("\r\nproxy-authorization: basic ym9ionbhntu=\r\n"),
        "{head}"
    );
    upstream.assert_refused(&response);
    assert!(!response.contains("pa55"), "{response}");
}

#[test]
fn an_https_upstream_whose_ca_is_given_is_answered_through_the_tunnel() {
    let upstream = TlsUpstream::start();
    let (proxy, seen) = fake_connect_proxy();
    let dir = tempfile::tempdir().unwrap();
    let ca = upstream.ca_file(dir.path());
    let proxy_url = format!("http://{proxy}");
    let response = version_call(
        &upstream.url(),
        &["--upstream-ca", &ca],
        &[("HTTPS_PROXY", proxy_url.as_str()), ("NO_PROXY", "")],
    );

    let head = seen
        .recv_timeout(Duration::from_secs(10))
        .expect("the proxy got the CONNECT");
    assert!(head.starts_with("CONNECT localhost:"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("proxy-authorization"),
        "{head}"
    );
    upstream.assert_answered(&response);
}

#[test]
fn an_https_upstream_with_an_untrusted_certificate_is_refused_unless_its_ca_is_given() {
    let untrusted = TlsUpstream::start();
    let response = version_call(&untrusted.url(), &[], &[("NO_PROXY", "*")]);
    untrusted.assert_refused(&response);

    let trusted = TlsUpstream::start();
    let dir = tempfile::tempdir().unwrap();
    let ca = trusted.ca_file(dir.path());
    let response = version_call(
        &trusted.url(),
        &["--upstream-ca", &ca],
        &[("NO_PROXY", "*")],
    );
    trusted.assert_answered(&response);
}

#[test]
fn a_proxy_the_gateway_cannot_speak_stops_it_at_startup_naming_the_variable() {
    let (code, stderr) = run(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "https://rest.ecgrid.invalid",
        ],
        &[("HTTPS_PROXY", "socks5://carol:hunter2@127.0.0.1:1080")],
    );
    assert_ne!(code, 0, "{stderr}");
    assert!(
        stderr.contains("the proxy socks5://127.0.0.1:1080 for the upstream (HTTPS_PROXY or ALL_PROXY) is not supported"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

/// A SOAP call of an untranslated operation: routed `legacy` with `--legacy`.
const CARBON_COPY_LIST: &str = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><CarbonCopyList xmlns="https://os.ecgrid.io/"><SessionID>an-api-key</SessionID></CarbonCopyList></soap:Body></soap:Envelope>"#;

/// Starts `serve` with `--legacy legacy` and `env` and passes one
/// `CarbonCopyList` through; returns the gateway's HTTP response.
fn legacy_call(legacy: &str, extra: &[&str], env: &[(&str, &str)]) -> String {
    // The REST upstream is never called (https so that `--upstream-ca` is
    // allowed).
    let args = [
        "--upstream",
        "https://rest.ecgrid.invalid",
        "--legacy",
        legacy,
    ];
    serve_and_post(&args, extra, env, "CarbonCopyList", CARBON_COPY_LIST)
}

#[test]
fn the_legacy_service_is_reached_through_the_forward_proxy_in_absolute_form() {
    // The legacy client writes its own request heads (src/legacy/client.rs):
    // through a forward proxy the target is the absolute URL, with the
    // proxy's credentials, the base URL's path in front of the client's.
    let (tx, seen) = channel();
    let proxy = one_shot_server(move |mut stream, head| {
        // The envelope is read before answering (an unread body would
        // make the close a reset that can beat the answer).
        let length = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().to_string())
            })
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        let _ = stream.read_exact(&mut body);
        let _ = stream.write_all(version_response().as_bytes());
        let _ = tx.send((head, body));
    });
    let proxy_url = format!("http://alice:s3cret@{proxy}");
    let response = legacy_call(
        "http://legacy.ecgrid.invalid/soap",
        &[],
        &[("HTTP_PROXY", proxy_url.as_str()), ("NO_PROXY", "")],
    );
    let (head, body) = seen
        .recv_timeout(Duration::from_secs(10))
        .expect("the proxy got the legacy call");
    assert!(
        head.starts_with(
            "POST http://legacy.ecgrid.invalid/soap/v4.1/prod/ECGridOS.asmx HTTP/1.1\r\n"
        ),
        "{head}"
    );
    let lower = head.to_ascii_lowercase();
    assert!(
        lower.contains("\r\nhost: legacy.ecgrid.invalid\r\n"),
        "{head}"
    );
    assert!(
        lower.contains("\r\nproxy-authorization: basic ywxpy2u6cznjcmv0\r\n"),
        "{head}"
    );
    assert!(
        lower.contains("\r\nsoapaction: \"https://os.ecgrid.io/carboncopylist\"\r\n"),
        "{head}"
    );
    // The client's `Connection: close` is hop-by-hop.
    assert!(!lower.contains("\r\nconnection:"), "{head}");
    assert_eq!(body, CARBON_COPY_LIST.as_bytes());
    // The answer comes back as the legacy side sent it.
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("9.9-via-proxy"), "{response}");
    assert!(!response.contains("s3cret"), "{response}");
}

#[test]
fn an_https_legacy_service_is_answered_only_when_its_ca_is_given() {
    let untrusted = TlsUpstream::start();
    let response = legacy_call(&untrusted.url(), &[], &[("NO_PROXY", "*")]);
    let (outcome, _, request) = untrusted.seen();
    assert_ne!(outcome, "handshake completed");
    assert_eq!(request, None);
    assert!(response.starts_with("HTTP/1.1 500"), "{response}");
    assert!(
        response.contains(&format!(
            "the legacy ECGridOS service at {} could not be reached: invalid peer certificate",
            untrusted.url()
        )),
        "{response}"
    );

    let trusted = TlsUpstream::start();
    let dir = tempfile::tempdir().unwrap();
    let ca = trusted.ca_file(dir.path());
    let response = legacy_call(
        &trusted.url(),
        &["--upstream-ca", &ca],
        &[("NO_PROXY", "*")],
    );
    let (outcome, sni, request) = trusted.seen();
    assert_eq!(outcome, "handshake completed");
    assert_eq!(sni.as_deref(), Some("localhost"));
    let request = request.expect("a request after the handshake");
    assert!(
        request.starts_with("POST /v4.1/prod/ECGridOS.asmx HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("9.9-via-proxy"), "{response}");
}
