//! Start the real gateway on 127.0.0.1:0 (zero-to-production's `spawn_app`)
//! and talk SOAP to it.

use std::time::Duration;

use ecgrid_gateway::config::{Config, Upstream};
use ecgrid_gateway::startup::{self, Gateway};
use time::macros::datetime;
use time::OffsetDateTime;
use tokio::net::TcpListener;

/// The frozen clock of snapshot tests.
pub fn frozen_clock() -> OffsetDateTime {
    datetime!(2026-05-07 12:00:00 UTC)
}

/// SOAP versions, as the tests name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Soap {
    V11,
    V12,
}

impl Soap {
    pub const BOTH: [Soap; 2] = [Soap::V11, Soap::V12];

    pub fn envelope_ns(self) -> &'static str {
        match self {
            Soap::V11 => "http://schemas.xmlsoap.org/soap/envelope/",
            Soap::V12 => "http://www.w3.org/2003/05/soap-envelope",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Soap::V11 => "soap11",
            Soap::V12 => "soap12",
        }
    }
}

/// The v4.1 namespace.
pub const NS41: &str = "https://os.ecgrid.io/";
/// The v3.2 namespace.
pub const NS32: &str = "http://ecgridos.net/";
/// The v4.1 endpoint path.
pub const PATH41: &str = "/v4.1/prod/ECGridOS.asmx";
/// The v3.2 endpoint path.
pub const PATH32: &str = "/v3.2/prod/ecgridos.asmx";

/// A gateway under test.
pub struct TestGateway {
    pub gateway: Gateway,
    pub http: reqwest::Client,
}

impl TestGateway {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway.base_url())
    }

    /// POSTs a SOAP call of `op` with `params` to the v4.1 endpoint.
    pub async fn call(&self, soap: Soap, op: &str, params: &[(&str, &str)]) -> SoapReply {
        self.post(PATH41, soap, &envelope(soap, NS41, op, params))
            .await
    }

    /// Logs in with `name` and `password` over `soap` and returns the
    /// SessionID (the call must succeed).
    pub async fn login(&self, soap: Soap, name: &str, password: &str) -> String {
        let reply = self
            .call(
                soap,
                "Login",
                &[("LoginName", name), ("Password", password)],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.text_of("LoginResult").expect("LoginResult")
    }

    /// CallBackEventListEx over SOAP 1.1 for every network and mailbox,
    /// with or without inactive events.
    pub async fn event_list_ex(&self, session_id: &str, show_inactive: bool) -> SoapReply {
        let show_inactive = if show_inactive { "true" } else { "false" };
        self.call(
            Soap::V11,
            "CallBackEventListEx",
            &[
                ("SessionID", session_id),
                ("NetworkID", "0"),
                ("MailboxID", "0"),
                ("ShowInactive", show_inactive),
            ],
        )
        .await
    }

    /// POSTs a raw body with the content type of `soap`.
    pub async fn post(&self, path: &str, soap: Soap, body: &str) -> SoapReply {
        let content_type = match soap {
            Soap::V11 => "text/xml; charset=utf-8",
            Soap::V12 => "application/soap+xml; charset=utf-8",
        };
        let resp = self
            .http
            .post(self.url(path))
            .header("Content-Type", content_type)
            .body(body.to_string())
            .send()
            .await
            .expect("gateway reachable");
        SoapReply::read(resp).await
    }

    pub async fn stop(self) {
        self.gateway.shutdown().await;
    }
}

/// A reply from the gateway.
#[derive(Debug)]
pub struct SoapReply {
    pub status: u16,
    pub content_type: String,
    pub request_id: Option<String>,
    pub body: String,
}

impl SoapReply {
    pub async fn read(resp: reqwest::Response) -> Self {
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type").unwrap_or_default();
        let request_id = header("x-request-id");
        SoapReply {
            status: resp.status().as_u16(),
            content_type,
            request_id,
            body: resp.text().await.expect("body"),
        }
    }

    /// The text of the first element with this local name.
    pub fn text_of(&self, local: &str) -> Option<String> {
        text_of(&self.body, local)
    }
}

/// The text of the first element with this local name in `xml`.
pub fn text_of(xml: &str, local: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut inside = false;
    loop {
        match reader.read_event().ok()? {
            quick_xml::events::Event::Start(e) if e.local_name().as_ref() == local.as_bytes() => {
                inside = true;
            }
            quick_xml::events::Event::Text(t) if inside => {
                return Some(t.unescape().ok()?.into_owned());
            }
            quick_xml::events::Event::End(_) if inside => return Some(String::new()),
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    }
}

/// A request envelope in the style of generated clients (prefix-free
/// operation element in `ns`).
pub fn envelope(soap: Soap, ns: &str, op: &str, params: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (name, value) in params {
        body.push_str(&format!("<{name}>{}</{name}>", escape(value)));
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body><{op} xmlns="{ns}">{body}</{op}></soap:Body></soap:Envelope>"#,
        soap.envelope_ns()
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Config for a gateway against `upstream`, with short timeouts for tests
/// and two workers whatever the machine (so sessions cross workers).
pub fn config_for(upstream: &str) -> Config {
    Config {
        upstream: Upstream::Url(upstream.to_string()),
        upstream_timeout: Duration::from_secs(2),
        workers: 2,
        ..Config::default()
    }
}

/// Starts a gateway with `config` and the frozen clock.
pub async fn spawn_gateway(config: &Config) -> TestGateway {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let gateway = startup::start_with_clock(config, listener, frozen_clock)
        .await
        .expect("gateway starts");
    TestGateway {
        gateway,
        http: reqwest::Client::new(),
    }
}

/// Starts a gateway on the in-process sandbox, on the real clock (the
/// sandbox stamps and delivers in real time), allowed to call http://
/// loopback receivers, with `upstream_timeout` for each SOAP call.
pub async fn spawn_on_sandbox(upstream_timeout: Duration) -> TestGateway {
    let config = Config {
        upstream: Upstream::Sandbox {
            allow_http_callbacks: true,
        },
        upstream_timeout,
        ..Config::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let gateway = startup::start(&config, listener)
        .await
        .expect("gateway starts");
    TestGateway {
        gateway,
        http: reqwest::Client::new(),
    }
}

/// Indents XML for readable snapshots (the wire form has no whitespace).
pub fn pretty(xml: &str) -> String {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut writer = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(event) => writer.write_event(event).expect("write"),
            Err(e) => return format!("<!-- not XML: {e} -->\n{xml}"),
        }
    }
    String::from_utf8(writer.into_inner()).expect("utf-8")
}

/// Replaces every uppercase GUID with a fixed placeholder (SessionIDs are
/// random).
pub fn redact_guids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if i + 36 <= text.len() && is_guid(&bytes[i..i + 36]) {
            out.push_str("[SESSION-ID]");
            i += 36;
        } else {
            let c = text[i..].chars().next().expect("char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_guid(b: &[u8]) -> bool {
    b.iter().enumerate().all(|(i, &c)| match i {
        8 | 13 | 18 | 23 => c == b'-',
        _ => c.is_ascii_digit() || (b'A'..=b'F').contains(&c),
    })
}

/// Asserts an insta snapshot of a SOAP reply (status, content type and
/// the pretty-printed body) in the top-level `snapshots/` folder.
#[macro_export]
macro_rules! assert_soap_snapshot {
    ($name:expr, $reply:expr) => {{
        let reply = &$reply;
        let shown = format!(
            "HTTP {}\nContent-Type: {}\n\n{}",
            reply.status,
            reply.content_type,
            $crate::support::redact_guids(&$crate::support::pretty(&reply.body))
        );
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, shown);
        });
    }};
}
