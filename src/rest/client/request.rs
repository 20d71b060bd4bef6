//! The bytes of a REST request: the head (request line, `Host`, the
//! credential, `traceparent`, framing) written in front of the JSON body in
//! the body's own buffer ([`RestClient::request`]), or, for an upload, in
//! parts around the caller's base64 text, which is never copied
//! ([`RestClient::spliced_request`]).

use http::header::HeaderValue;
use http::Method;
use serde::Serialize;

use super::{Auth, RestClient};
use crate::rest::connect::Route;

/// Room left before a JSON body for the request head (a longer head, e.g.
/// a very long bearer token, is copied in front of the body instead).
const HEAD_ROOM: usize = 4096;

/// A request ready to write: `first` (the head, with the whole JSON body
/// of most calls), then a spliced body's `text` and the `last` of its JSON.
pub(super) struct Prepared<'a> {
    pub(super) first: Vec<u8>,
    pub(super) text: &'a str,
    pub(super) last: Vec<u8>,
}

/// A JSON body of [`RestClient::post_spliced`]: the object `rest`
/// serializes to, with the field `key` holding `text` (base64) in front.
#[derive(Debug)]
pub struct SplicedBody<'a, B: ?Sized> {
    /// The large field's JSON name (`content`).
    pub key: &'static str,
    /// Its value, base64 text, sent as it is.
    pub text: &'a str,
    /// The other fields: a struct that serializes to a JSON object.
    pub rest: &'a B,
}

/// Appends `name: value` and CRLF, the value written from `parts`.
fn put_header(out: &mut Vec<u8>, name: &str, parts: &[&[u8]]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    for part in parts {
        out.extend_from_slice(part);
    }
    out.extend_from_slice(b"\r\n");
}

/// `User-Agent` of every upstream call.
const USER_AGENT_VALUE: &str = concat!("ecgrid-gateway/", env!("CARGO_PKG_VERSION"));

impl RestClient {
    /// The HTTP/1.1 request for `path` with its credential, query and JSON
    /// body, as bytes to write; an error says what could not be sent (a
    /// credential that is not a valid header value, a body that does not
    /// serialize), naming no secret.
    pub(super) fn request<B: Serialize + ?Sized>(
        &self,
        method: &Method,
        path: &str,
        auth: &Auth,
        body: Option<&B>,
        query: &[(&str, String)],
        body_hint: usize,
    ) -> Result<Prepared<'static>, String> {
        // The JSON is written after room left for the head, which is then
        // put in front of it in place: a large body is held once here, not
        // once as JSON and again as the request.
        let body = body
            .map(|body| {
                // Sized from the caller's hint: a buffer grown by doubling
                // holds the old and the new copy at once while it grows.
                let mut buf = Vec::with_capacity(HEAD_ROOM + body_hint);
                buf.resize(HEAD_ROOM, 0);
                serde_json::to_writer(&mut buf, body)
                    .map_err(|e| format!("the request body cannot be written as JSON: {e}"))?;
                Ok::<_, String>(buf)
            })
            .transpose()?;
        let length = match &body {
            Some(body) => Some(body.len() - HEAD_ROOM),
            // A method that defines a body says it has none.
            None if *method == Method::POST || *method == Method::PUT => Some(0),
            None => None,
        };
        let json = body.is_some();
        let mut out = Vec::with_capacity(256);
        self.write_head(&mut out, method, path, auth, query, length, json)?;
        let first = match body {
            Some(mut body) if out.len() <= HEAD_ROOM => {
                let start = HEAD_ROOM - out.len();
                body[start..HEAD_ROOM].copy_from_slice(&out);
                body.drain(..start);
                body
            }
            Some(body) => {
                out.extend_from_slice(&body[HEAD_ROOM..]);
                out
            }
            None => out,
        };
        Ok(Prepared {
            first,
            text: "",
            last: Vec::new(),
        })
    }

    /// The request of [`RestClient::post_spliced`]: the head and
    /// `{"key":"` first, then the text itself, then `",` and the other
    /// fields' JSON.
    pub(super) fn spliced_request<'a, B: Serialize + ?Sized>(
        &self,
        path: &str,
        auth: &Auth,
        body: &SplicedBody<'a, B>,
    ) -> Result<Prepared<'a>, String> {
        if let Some(at) = body
            .text
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
        {
            return Err(format!(
                "the request's {} is not base64 (a byte 0x{:02X} at offset {at})",
                body.key,
                body.text.as_bytes()[at]
            ));
        }
        let rest = serde_json::to_vec(body.rest)
            .map_err(|e| format!("the request body cannot be written as JSON: {e}"))?;
        // `rest` is an object: `{}` or `{"a":…}`; the text's field goes
        // first, the others after it.
        let others = match rest.as_slice() {
            [b'{', b'}'] => &b"}"[..],
            [b'{', others @ ..] => others,
            _ => return Err("the request body is not a JSON object".to_string()),
        };
        let mut last = Vec::with_capacity(others.len() + 2);
        last.push(b'"');
        if others != b"}" {
            last.push(b',');
        }
        last.extend_from_slice(others);
        let opening = format!("{{\"{}\":\"", body.key);
        let length = opening.len() + body.text.len() + last.len();
        let mut first = Vec::with_capacity(256 + opening.len());
        self.write_head(
            &mut first,
            &Method::POST,
            path,
            auth,
            &[],
            Some(length),
            true,
        )?;
        first.extend_from_slice(opening.as_bytes());
        Ok(Prepared {
            first,
            text: body.text,
            last,
        })
    }

    /// Writes the request head (request line, headers, the blank line) for
    /// a body of `length` bytes (`None`: no `content-length`), JSON when
    /// `json`.
    #[allow(clippy::too_many_arguments)]
    fn write_head(
        &self,
        out: &mut Vec<u8>,
        method: &Method,
        path: &str,
        auth: &Auth,
        query: &[(&str, String)],
        length: Option<usize>,
        json: bool,
    ) -> Result<(), String> {
        out.extend_from_slice(method.as_str().as_bytes());
        out.push(b' ');
        if matches!(*self.route, Route::Forward { .. }) {
            // A forward proxy takes the absolute URL.
            out.extend_from_slice(self.origin.scheme_str().unwrap_or("http").as_bytes());
            out.extend_from_slice(b"://");
            out.extend_from_slice(self.authority().as_bytes());
        }
        let target_start = out.len();
        out.extend_from_slice(self.base_path.as_bytes());
        out.extend_from_slice(path.as_bytes());
        if !query.is_empty() {
            out.push(b'?');
            out.extend_from_slice(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())))
                    .finish()
                    .as_bytes(),
            );
        }
        if !out[target_start..].iter().all(|b| b.is_ascii_graphic()) {
            return Err(format!("cannot build the upstream URL for {path}"));
        }
        out.extend_from_slice(b" HTTP/1.1\r\n");
        put_header(out, "host", &[self.authority().as_bytes()]);
        put_header(out, "user-agent", &[USER_AGENT_VALUE.as_bytes()]);
        // W3C trace context of the SOAP call this request is part of.
        if let Some(traceparent) = crate::call_scope::traceparent() {
            put_header(out, "traceparent", &[&traceparent]);
        }
        if let Some(proxy_auth) = self.route.request_auth() {
            put_header(out, "proxy-authorization", &[proxy_auth.as_bytes()]);
        }
        let credential = match auth {
            Auth::None => None,
            Auth::ApiKey(key) => Some(("x-api-key", "", key.as_str())),
            Auth::Bearer(token) => Some(("authorization", "Bearer ", &**token)),
        };
        if let Some((name, prefix, secret)) = credential {
            // Never echo the value: it is the caller's secret.
            if HeaderValue::from_str(secret).is_err() {
                return Err(format!(
                    "the credential cannot be sent as an HTTP header ({name} holds characters HTTP does not allow)"
                ));
            }
            put_header(out, name, &[prefix.as_bytes(), secret.as_bytes()]);
        }
        if json {
            put_header(out, "content-type", &[b"application/json"]);
        }
        if let Some(length) = length {
            put_header(out, "content-length", &[length.to_string().as_bytes()]);
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn body_of(request: &Prepared<'_>) -> (String, String) {
        let mut whole = request.first.clone();
        whole.extend_from_slice(request.text.as_bytes());
        whole.extend_from_slice(&request.last);
        let whole = String::from_utf8(whole).unwrap();
        let (head, body) = whole.split_once("\r\n\r\n").unwrap();
        (head.to_string(), body.to_string())
    }

    #[test]
    fn a_spliced_body_is_the_json_object_with_the_text_in_front() {
        let client = RestClient::new("http://127.0.0.1:9", Duration::from_secs(1), &[]).unwrap();
        let auth = Auth::ApiKey("k".into());
        let rest = serde_json::json!({"fileName": "a \"b\".edi", "bytes": 1});
        let body = SplicedBody {
            key: "content",
            text: "QUJD",
            rest: &rest,
        };
        let request = client.spliced_request("/v2/x", &auth, &body).unwrap();
        assert_eq!(request.text, "QUJD", "the text is a part of its own");
        let (head, json) = body_of(&request);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"content": "QUJD", "fileName": "a \"b\".edi", "bytes": 1})
        );
        assert!(
            head.contains(&format!("content-length: {}", json.len())),
            "{head}"
        );
        assert!(head.contains("content-type: application/json"), "{head}");

        let empty = serde_json::json!({});
        let only = SplicedBody {
            key: "content",
            text: "",
            rest: &empty,
        };
        let (_, json) = body_of(&client.spliced_request("/v2/x", &auth, &only).unwrap());
        assert_eq!(json, r#"{"content":""}"#);

        let bad = SplicedBody {
            key: "content",
            text: "QU\"D",
            rest: &empty,
        };
        // (`Prepared` has no `Debug`: its head holds the credential.)
        let Err(err) = client.spliced_request("/v2/x", &auth, &bad) else {
            panic!("a text that is not base64 was sent");
        };
        assert!(err.contains("0x22 at offset 2"), "{err}");
    }
}
