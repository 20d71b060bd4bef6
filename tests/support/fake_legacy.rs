//! A fake legacy ECGridOS ASMX service for the migration tests, written
//! from the original WSDL's shapes (not from the gateway's writers): it
//! answers `Login`, `Logout`, `WhoAmI` and `NowUTC` the way ECGridOS does,
//! anything else with a scripted or generic answer, and records every
//! request exactly as it arrived (method, path, headers, body bytes), so a
//! test can check that a pass-through arrived byte for byte.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;

/// The legacy SessionID the fake hands out (not a gateway one).
pub const LEGACY_SESSION: &str = "0DDBA11C-AFE0-4BAD-BEEF-00C0FFEE0001";

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: Method,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The operation element's local name.
    pub fn operation(&self) -> String {
        operation_of(&self.body)
    }
}

/// A scripted answer for one operation.
#[derive(Debug, Clone)]
pub enum Script {
    /// Exactly these bytes, with this status and content type, after `delay`.
    Fixed {
        status: u16,
        content_type: String,
        body: Bytes,
        delay: Duration,
        extra_header: Option<(String, String)>,
    },
    /// A streamed answer of about `mib` MiB (one 64 KiB piece at a time).
    Big { mib: usize },
    /// NowUTC answering a different second on every call (noise).
    TickingClock,
    /// The head and a first piece of the body, then nothing ever again.
    StallAfterHead,
}

/// The fake's state.
#[derive(Default)]
struct State {
    received: Mutex<Vec<Received>>,
    scripts: Mutex<HashMap<String, Script>>,
    password: Mutex<String>,
    /// The SessionID `Login` hands out (`LEGACY_SESSION` unless set).
    session: Mutex<Option<String>>,
    calls: AtomicU64,
}

/// A running fake legacy service.
pub struct FakeLegacy {
    pub base: String,
    state: Arc<State>,
}

impl FakeLegacy {
    /// Starts the fake on 127.0.0.1:0; `Login` accepts `password`.
    pub async fn start(password: &str) -> FakeLegacy {
        let state = Arc::new(State::default());
        *state.password.lock().unwrap() = password.to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app_state = state.clone();
        // Uploads passed through are larger than axum's default 2 MiB.
        let app = axum::Router::new()
            .fallback(
                move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                    let state = app_state.clone();
                    async move { answer(&state, method, uri, headers, body).await }
                },
            )
            .layer(axum::extract::DefaultBodyLimit::disable());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeLegacy { base, state }
    }

    pub fn script(&self, operation: &str, script: Script) {
        self.state
            .scripts
            .lock()
            .unwrap()
            .insert(operation.to_string(), script);
    }

    /// Makes `Login` hand out `session` (of another length than a
    /// gateway SessionID, say) in place of [`LEGACY_SESSION`].
    pub fn hand_out_session(&self, session: &str) {
        *self.state.session.lock().unwrap() = Some(session.to_string());
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// The requests of one operation.
    pub fn received_of(&self, operation: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.operation() == operation)
            .collect()
    }
}

/// A fixed answer of `body` (SOAP 1.1, 200).
pub fn fixed(body: &str) -> Script {
    Script::Fixed {
        status: 200,
        content_type: "text/xml; charset=utf-8".into(),
        body: Bytes::from(body.to_string()),
        delay: Duration::ZERO,
        extra_header: None,
    }
}

fn operation_of(body: &[u8]) -> String {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut depth = 0;
    let mut in_body = false;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                depth += 1;
                let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if depth == 2 {
                    in_body = local == "Body";
                } else if depth == 3 && in_body {
                    return local;
                }
            }
            Ok(quick_xml::events::Event::Empty(e)) if depth == 2 && in_body => {
                return String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
            }
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) | Err(_) => return String::new(),
            _ => {}
        }
    }
}

fn param(body: &[u8], name: &str) -> Option<String> {
    super::text_of(std::str::from_utf8(body).ok()?, name)
}

/// The envelope of a SOAP version around `inner`.
fn envelope(soap12: bool, inner: &str) -> String {
    let ns = if soap12 {
        "http://www.w3.org/2003/05/soap-envelope"
    } else {
        "http://schemas.xmlsoap.org/soap/envelope/"
    };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>{inner}</soap:Body></soap:Envelope>"#
    )
}

fn fault(soap12: bool, text: &str) -> String {
    let inner = if soap12 {
        format!("<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang=\"en\">{text}</soap:Text></soap:Reason></soap:Fault>")
    } else {
        format!("<soap:Fault><faultcode>soap:Client</faultcode><faultstring>{text}</faultstring></soap:Fault>")
    };
    envelope(soap12, &inner)
}

fn reply(status: u16, soap12: bool, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(
            "content-type",
            if soap12 {
                "application/soap+xml; charset=utf-8"
            } else {
                "text/xml; charset=utf-8"
            },
        )
        .body(Body::from(body))
        .unwrap()
}

async fn answer(
    state: &State,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.received.lock().unwrap().push(Received {
        method,
        path_and_query: uri.path_and_query().map_or("/", |p| p.as_str()).to_string(),
        headers: headers.clone(),
        body: body.clone(),
    });
    let soap12 = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/soap+xml"));
    let ns = if uri.path().to_ascii_lowercase().starts_with("/v3.2") {
        "http://ecgridos.net/"
    } else {
        "https://os.ecgrid.io/"
    };
    let op = operation_of(&body);
    let script = state.scripts.lock().unwrap().get(&op).cloned();
    match script {
        Some(Script::Fixed {
            status,
            content_type,
            body,
            delay,
            extra_header,
        }) => {
            tokio::time::sleep(delay).await;
            let mut b = Response::builder()
                .status(StatusCode::from_u16(status).unwrap())
                .header("content-type", content_type);
            if let Some((k, v)) = extra_header {
                b = b.header(k, v);
            }
            return b.body(Body::from(body)).unwrap();
        }
        Some(Script::Big { mib }) => {
            let piece = Bytes::from(vec![b'A'; 64 * 1024]);
            let head = Bytes::from(format!(
                r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><TPListExResponse xmlns="{ns}"><TPListExResult><FileName>big.edi</FileName><Content>"#
            ));
            let tail = Bytes::from_static(
                b"</Content></TPListExResult></TPListExResponse></soap:Body></soap:Envelope>",
            );
            let body = Pieces {
                head: Some(head),
                piece,
                left: mib * 16,
                tail: Some(tail),
            };
            return Response::builder()
                .status(200)
                .header("content-type", "text/xml; charset=utf-8")
                .body(Body::new(body))
                .unwrap();
        }
        Some(Script::StallAfterHead) => {
            let body = Stalling {
                first: Some(Bytes::from_static(b"<?xml version=\"1.0\"?><soap:Envelope")),
            };
            return Response::builder()
                .status(200)
                .header("content-type", "text/xml; charset=utf-8")
                .body(Body::new(body))
                .unwrap();
        }
        Some(Script::TickingClock) => {
            let n = state.calls.fetch_add(1, Ordering::Relaxed);
            return reply(
                200,
                soap12,
                envelope(
                    soap12,
                    &format!(
                        r#"<NowUTCResponse xmlns="{ns}"><NowUTCResult>2026-05-07T12:{:02}:{:02}Z</NowUTCResult></NowUTCResponse>"#,
                        (n / 60) % 60,
                        n % 60
                    ),
                ),
            );
        }
        None => {}
    }
    match op.as_str() {
        "Login" => {
            let session = state.session.lock().unwrap().clone();
            let session = session.as_deref().unwrap_or(LEGACY_SESSION);
            let password = param(&body, "Password").unwrap_or_default();
            if password == *state.password.lock().unwrap() {
                reply(
                    200,
                    soap12,
                    envelope(
                        soap12,
                        &format!(
                            r#"<LoginResponse xmlns="{ns}"><LoginResult>{session}</LoginResult></LoginResponse>"#
                        ),
                    ),
                )
            } else {
                reply(
                    500,
                    soap12,
                    fault(soap12, "Invalid Login Name or Password."),
                )
            }
        }
        "Logout" => reply(
            200,
            soap12,
            envelope(
                soap12,
                &format!(
                    r#"<LogoutResponse xmlns="{ns}"><LogoutResult>1</LogoutResult></LogoutResponse>"#
                ),
            ),
        ),
        "WhoAmI" => {
            let session = param(&body, "SessionID").unwrap_or_default();
            if session != LEGACY_SESSION {
                return reply(500, soap12, fault(soap12, "Session Expired or Invalid."));
            }
            // SessionInfo in the WSDL's sequence order.
            reply(
                200,
                soap12,
                envelope(
                    soap12,
                    &format!(
                        r#"<WhoAmIResponse xmlns="{ns}"><WhoAmIResult><ECGridOSVersion>4.1.0</ECGridOSVersion><SessionID>{session}</SessionID><SessionEventID>7</SessionEventID><UserID>1001</UserID><LoginName>demo</LoginName><FirstName>Demo</FirstName><LastName>User</LastName><Company>Demo Co</Company><EMail>demo@example.com</EMail><Phone>555</Phone><TimeZoneOffset>0</TimeZoneOffset><AuthLevel>MailboxAdmin</AuthLevel><LastLogin>2026-05-07T12:00:00</LastLogin><OpenSessions>1</OpenSessions><TimeOut>20</TimeOut><NetworkID>1</NetworkID><MailboxID>10</MailboxID><ip>127.0.0.1</ip></WhoAmIResult></WhoAmIResponse>"#
                    ),
                ),
            )
        }
        "NowUTC" => reply(
            200,
            soap12,
            envelope(
                soap12,
                &format!(
                    r#"<NowUTCResponse xmlns="{ns}"><NowUTCResult>2026-05-07T12:00:00Z</NowUTCResult></NowUTCResponse>"#
                ),
            ),
        ),
        other => reply(
            200,
            soap12,
            envelope(
                soap12,
                &format!(
                    r#"<{other}Response xmlns="{ns}"><{other}Result>ok</{other}Result></{other}Response>"#
                ),
            ),
        ),
    }
}

/// head, `count` copies of `piece`, tail: a body made one piece at a time.
struct Pieces {
    head: Option<Bytes>,
    piece: Bytes,
    left: usize,
    tail: Option<Bytes>,
}

impl hyper::body::Body for Pieces {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        let next = if let Some(head) = self.head.take() {
            Some(head)
        } else if self.left > 0 {
            self.left -= 1;
            Some(self.piece.clone())
        } else {
            self.tail.take()
        };
        std::task::Poll::Ready(next.map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

/// One piece, then pending forever (the gateway's deadline must end it).
struct Stalling {
    first: Option<Bytes>,
}

impl hyper::body::Body for Stalling {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        match self.first.take() {
            Some(b) => std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(b)))),
            None => std::task::Poll::Pending,
        }
    }
}
