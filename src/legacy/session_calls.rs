//! The two calls the gateway makes to the legacy service on its own behalf:
//! `Login` (to pair a new gateway session with a legacy SessionID) and
//! `Logout` (to end the pair). Both are SOAP 1.1 on the v4.1 endpoint, as a
//! generated v4.1 client would send them.

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue};
use http_body_util::{BodyExt, Limited};
use quick_xml::events::Event;

use super::client::{LegacyClient, LegacyError, LegacyRequest};
use crate::soap::writer::escape_into;

/// The path and namespace the gateway's own calls use.
const PATH: &str = "/v4.1/prod/ECGridOS.asmx";
const NS: &str = "https://os.ecgrid.io/";
/// Largest answer read for these calls (a Login answer is a GUID).
const MAX_ANSWER: usize = 64 * 1024;

/// Why a legacy `Login` or `Logout` did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionCallError {
    /// The legacy service answered with a SOAP fault; its `faultstring`.
    Refused(String),
    /// No answer (unreachable, timed out).
    Unavailable(LegacyError),
    /// An answer that is neither the result nor a fault.
    BadAnswer(String),
}

impl std::fmt::Display for SessionCallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionCallError::Refused(why) => write!(f, "it refused: {why}"),
            SessionCallError::Unavailable(LegacyError::Unreachable(why)) => {
                write!(f, "it could not be reached: {why}")
            }
            SessionCallError::Unavailable(LegacyError::Timeout(after)) => write!(
                f,
                "it did not answer within {} (--upstream-timeout)",
                humantime::format_duration(*after)
            ),
            SessionCallError::BadAnswer(why) => write!(f, "its answer could not be read: {why}"),
        }
    }
}

/// Logs in on the legacy service; its SessionID.
pub async fn login(
    client: &LegacyClient,
    login_name: &str,
    password: &str,
) -> Result<String, SessionCallError> {
    let mut body = String::with_capacity(256);
    body.push_str("<LoginName>");
    escape_into(&mut body, login_name);
    body.push_str("</LoginName><Password>");
    escape_into(&mut body, password);
    body.push_str("</Password>");
    let answer = call(client, "Login", &body).await?;
    match text_of(&answer, b"LoginResult") {
        Some(id) if !id.trim().is_empty() => Ok(id.trim().to_string()),
        _ => Err(SessionCallError::BadAnswer(
            "no LoginResult in the answer".into(),
        )),
    }
}

/// Ends a legacy session. A `LogoutResult` of 0 (already gone) is success.
pub async fn logout(client: &LegacyClient, session_id: &str) -> Result<(), SessionCallError> {
    let mut body = String::with_capacity(64);
    body.push_str("<SessionID>");
    escape_into(&mut body, session_id);
    body.push_str("</SessionID>");
    let answer = call(client, "Logout", &body).await?;
    match text_of(&answer, b"LogoutResult") {
        Some(_) => Ok(()),
        None => Err(SessionCallError::BadAnswer(
            "no LogoutResult in the answer".into(),
        )),
    }
}

async fn call(
    client: &LegacyClient,
    operation: &str,
    params: &str,
) -> Result<Bytes, SessionCallError> {
    let envelope = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope \
         xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><soap:Body><{operation} \
         xmlns=\"{NS}\">{params}</{operation}></soap:Body></soap:Envelope>"
    );
    let action = HeaderValue::from_str(&format!("\"{NS}{operation}\""))
        .map_err(|e| SessionCallError::BadAnswer(e.to_string()))?;
    let mut request =
        LegacyRequest::post(PATH, Bytes::from(envelope)).map_err(SessionCallError::Unavailable)?;
    request.header(
        &header::CONTENT_TYPE,
        &HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    request.header(&HeaderName::from_static("soapaction"), &action);
    let response = client
        .send(&request)
        .await
        .map_err(SessionCallError::Unavailable)?;
    let status = response.status();
    let read = Limited::new(response.into_body(), MAX_ANSWER).collect();
    let body = match tokio::time::timeout(client.timeout(), read).await {
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(e)) => return Err(SessionCallError::BadAnswer(e.to_string())),
        Err(_) => {
            return Err(SessionCallError::Unavailable(LegacyError::Timeout(
                client.timeout(),
            )))
        }
    };
    if let Some(fault) = text_of(&body, b"faultstring").or_else(|| text_of(&body, b"Text")) {
        return Err(SessionCallError::Refused(fault));
    }
    if !status.is_success() {
        return Err(SessionCallError::BadAnswer(format!("HTTP {status}")));
    }
    Ok(body)
}

/// The text of the first element with local name `local` (None when it is
/// absent; empty for an empty element).
fn text_of(xml: &[u8], local: &[u8]) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut inside = false;
    let mut text = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if !inside && e.local_name().as_ref() == local => inside = true,
            Event::Empty(e) if !inside && e.local_name().as_ref() == local => {
                return Some(String::new())
            }
            Event::Text(t) if inside => text.push_str(&t.unescape().ok()?),
            Event::End(_) if inside => return Some(text),
            Event::DocType(_) | Event::Eof => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_and_faults_are_read_by_local_name() {
        let ok = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><LoginResponse xmlns="https://os.ecgrid.io/"><LoginResult>ABC</LoginResult></LoginResponse></s:Body></s:Envelope>"#;
        assert_eq!(text_of(ok, b"LoginResult").as_deref(), Some("ABC"));
        assert_eq!(text_of(ok, b"faultstring"), None);
        let fault = br#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>bad &amp; wrong</faultstring></soap:Fault></soap:Body></soap:Envelope>"#;
        assert_eq!(
            text_of(fault, b"faultstring").as_deref(),
            Some("bad & wrong")
        );
        assert_eq!(text_of(b"<!DOCTYPE x><x/>", b"x"), None);
    }
}
