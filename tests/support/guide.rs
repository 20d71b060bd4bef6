//! The callbacks guide's raw-HTTP SOAP samples (seeds/guide-configure-callbacks.txt),
//! built byte-for-byte as its Python sample builds them: prefix `ecg:` in
//! namespace `http://www.ecgridos.net/`, `Content-Type: text/xml;
//! charset=utf-8`, `SOAPAction: "http://www.ecgridos.net/<Op>"`.

use super::gateway::{SoapReply, TestGateway, PATH41};

/// The guide's namespace.
pub const GUIDE_NS: &str = "http://www.ecgridos.net/";
/// The URL the guide registers.
pub const GUIDE_URL: &str = "https://your-app.example.com/webhooks/ecgrid";

/// The Python sample's `CallBackAdd` envelope, with `callback_url` in place
/// of the guide's URL (the same bytes when it is [`GUIDE_URL`]).
pub fn add_envelope(session_id: &str, callback_url: &str) -> String {
    String::new()
        + "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
        + "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\""
        + " xmlns:ecg=\"http://www.ecgridos.net/\">"
        + "<soap:Body><ecg:CallBackAdd>"
        + "<ecg:SessionID>"
        + session_id
        + "</ecg:SessionID>"
        + "<ecg:NetworkID>0</ecg:NetworkID><ecg:MailboxID>0</ecg:MailboxID>"
        + "<ecg:ECGridID>0</ecg:ECGridID>"
        + "<ecg:CallBackURL>"
        + callback_url
        + "</ecg:CallBackURL>"
        + "<ecg:CallBackEvent>InBox</ecg:CallBackEvent>"
        + "<ecg:Frequency>1</ecg:Frequency><ecg:Retries>3</ecg:Retries>"
        + "</ecg:CallBackAdd></soap:Body></soap:Envelope>"
}

/// `CallBackTest(SessionID, CallBackQueueID)` in the same style.
pub fn test_envelope(session_id: &str, queue_id: &str) -> String {
    String::new()
        + "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
        + "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\""
        + " xmlns:ecg=\"http://www.ecgridos.net/\">"
        + "<soap:Body><ecg:CallBackTest>"
        + "<ecg:SessionID>"
        + session_id
        + "</ecg:SessionID>"
        + "<ecg:CallBackQueueID>"
        + queue_id
        + "</ecg:CallBackQueueID>"
        + "</ecg:CallBackTest></soap:Body></soap:Envelope>"
}

/// POSTs `body` as the guide's samples do, with the quoted SOAPAction of `op`.
pub async fn post(gw: &TestGateway, op: &str, body: String) -> SoapReply {
    let resp = gw
        .http
        .post(gw.url(PATH41))
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", format!("\"{GUIDE_NS}{op}\""))
        .body(body.into_bytes())
        .send()
        .await
        .expect("gateway reachable");
    SoapReply::read(resp).await
}
