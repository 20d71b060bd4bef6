//! The emulator's own SOAP: reading a request's operation and flat
//! parameters, and writing ASMX-shaped answers and faults in the request's
//! SOAP version and namespace. Written from the original WSDL for the
//! emulator alone (the gateway's reader and writers are not used).

use axum::body::Body;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use quick_xml::events::Event;

use crate::sandbox::Account;

/// A request as the emulator reads it.
pub struct Request {
    /// Local name of the operation element.
    pub operation: String,
    soap12: bool,
    namespace: &'static str,
    params: Vec<(String, String)>,
}

impl Request {
    /// The operation and its simple parameters, or `None` for something
    /// that is not a SOAP envelope.
    pub fn read(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Option<Request> {
        let soap12 = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/soap+xml"));
        let namespace = if uri.path().to_ascii_lowercase().starts_with("/v3.2/") {
            "http://ecgridos.net/"
        } else {
            "https://os.ecgrid.io/"
        };
        let mut reader = quick_xml::Reader::from_reader(body);
        let mut depth = 0usize;
        let mut in_body = false;
        let mut operation = None;
        let mut params = Vec::new();
        let mut current: Option<String> = None;
        loop {
            match reader.read_event().ok()? {
                Event::DocType(_) => return None,
                Event::Start(e) => {
                    depth += 1;
                    let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    match depth {
                        2 => in_body = local == "Body",
                        3 if in_body => operation = Some(local),
                        4 if operation.is_some() => current = Some(local),
                        _ => {}
                    }
                }
                Event::Empty(e) => {
                    let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    if depth == 2 && in_body && operation.is_none() {
                        operation = Some(local);
                    } else if depth == 3 && operation.is_some() {
                        params.push((local, String::new()));
                    }
                }
                Event::Text(t) => {
                    if let Some(name) = &current {
                        let text = t.unescape().ok()?.trim().to_string();
                        params.push((name.clone(), text));
                    }
                }
                Event::End(_) => {
                    depth = depth.checked_sub(1)?;
                    current = None;
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Some(Request {
            operation: operation?,
            soap12,
            namespace,
            params,
        })
    }

    /// A parameter's text.
    pub fn param(&self, name: &str) -> Option<String> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    /// `<{op}Response xmlns=NS>{inner}</{op}Response>` in an envelope.
    pub fn result(&self, operation: &str, inner: &str) -> Response {
        let body = format!(
            "<{operation}Response xmlns=\"{}\">{inner}</{operation}Response>",
            self.namespace
        );
        respond(self.soap12, 200, &body)
    }

    /// A fault; `code` is `Client` or `Server` (SOAP 1.1 names).
    pub fn fault(&self, code: &str, text: &str) -> Response {
        fault(self.soap12, code, text)
    }
}

/// A SOAP fault response.
pub fn fault(soap12: bool, code: &str, text: &str) -> Response {
    let text = escape(text);
    let body = if soap12 {
        let code = if code == "Client" {
            "Sender"
        } else {
            "Receiver"
        };
        format!("<soap:Fault><soap:Code><soap:Value>soap:{code}</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang=\"en\">{text}</soap:Text></soap:Reason><soap:Detail /></soap:Fault>")
    } else {
        format!("<soap:Fault><faultcode>soap:{code}</faultcode><faultstring>{text}</faultstring><detail /></soap:Fault>")
    };
    respond(soap12, 500, &body)
}

fn respond(soap12: bool, status: u16, body: &str) -> Response {
    let (ns, content_type) = if soap12 {
        (
            "http://www.w3.org/2003/05/soap-envelope",
            "application/soap+xml; charset=utf-8",
        )
    } else {
        (
            "http://schemas.xmlsoap.org/soap/envelope/",
            "text/xml; charset=utf-8",
        )
    };
    let xml = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"{ns}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><soap:Body>{body}</soap:Body></soap:Envelope>");
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Body::from(xml))
        .unwrap_or_default()
}

/// `<name>text</name>`, the text escaped.
pub fn element(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", escape(text))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The clock as ECGridOS's .NET serializer writes a `DateTime` (no offset,
/// seven fractional digits: 100 ns ticks). Two reads of it are never
/// equal (each is a network round trip apart), which is what lets the
/// shadow's noise learning see it change; at millisecond precision two
/// fast reads could show the same value.
pub fn now_utc() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.nanosecond() / 100
    )
}

/// A legacy SessionID: a GUID, as ECGridOS mints them.
pub fn new_session_id() -> String {
    let mut b = [0u8; 16];
    // A failed draw still gives a usable (if guessable) demo id.
    let _ = getrandom::getrandom(&mut b);
    let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `WhoAmIResult` (a SessionInfo, in the WSDL's sequence order).
pub fn session_info(account: &Account, session: &str, event: i64) -> String {
    let auth = format!("{:?}", account.auth_level);
    let mut x = String::from("<WhoAmIResult>");
    for (name, value) in [
        ("ECGridOSVersion", "4.1"),
        ("SessionID", session),
        ("SessionEventID", &event.to_string()),
        ("UserID", &account.user_id.to_string()),
        ("LoginName", &account.login),
        ("FirstName", &account.first_name),
        ("LastName", &account.last_name),
        ("Company", &account.company),
        ("EMail", &account.email),
        ("Phone", &account.phone),
        ("TimeZoneOffset", "0"),
        ("AuthLevel", &auth),
        ("LastLogin", &now_utc()),
        ("OpenSessions", "1"),
        ("TimeOut", "20"),
        ("NetworkID", &account.network_id.to_string()),
        ("MailboxID", &account.mailbox_id.to_string()),
    ] {
        x.push_str(&element(name, value));
    }
    x.push_str("</WhoAmIResult>");
    x
}
