//! The `legacy` route: the request forwarded to the legacy ECGridOS service
//! as received, the answer returned as received.
//!
//! Forwarded unchanged: the method, path and query, the envelope bytes
//! (bar the SessionID's value when it is a gateway session's, which becomes
//! the paired legacy SessionID), `SOAPAction`, `Content-Type` and every
//! other end-to-end header. Not forwarded: the hop-by-hop headers (RFC 9110
//! §7.6.1: `Connection` and the headers it names, `Keep-Alive`,
//! `Proxy-*`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`), `Host` (the
//! legacy service's own) and `Expect`. `X-Request-Id` carries the gateway's
//! request id. The answer comes back with its status, headers (less
//! hop-by-hop) and body as the legacy service sent them, the body streamed
//! ([`super::answer_stream`]).

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderName, HeaderValue};
use http_body_util::Full;

use crate::legacy::{LegacyClient, LegacyError, LegacyRequest};

use super::answer_stream::{AnswerStream, Swap};

/// The headers that never cross a proxy (besides those `Connection` names).
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
];

/// Removes the hop-by-hop headers from `headers`.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|token| HeaderName::from_bytes(token.trim().as_bytes()).ok())
        .collect();
    for name in named.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
    headers.remove(header::UPGRADE);
}

/// The request to send: `headers` of the client's request (consumed),
/// `path_and_query` as called, `body` as it will go (swapped already).
pub fn legacy_request(
    path_and_query: &str,
    mut headers: HeaderMap,
    body: Bytes,
    request_id: &str,
) -> Result<LegacyRequest, LegacyError> {
    strip_hop_by_hop(&mut headers);
    headers.remove(header::HOST);
    headers.remove(header::EXPECT);
    // The body's length is the one sent (hyper writes it).
    headers.remove(header::CONTENT_LENGTH);
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-request-id", value);
    }
    let mut request = http::Request::builder()
        .method(http::Method::POST)
        .uri(path_and_query)
        .body(Full::new(body))
        .map_err(|e| LegacyError::Unreachable(format!("cannot form the request: {e}")))?;
    *request.headers_mut() = headers;
    Ok(request)
}

/// `body` with the text at `range` replaced by `with`.
pub fn splice(body: &[u8], range: std::ops::Range<usize>, with: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() - range.len() + with.len());
    out.extend_from_slice(&body[..range.start]);
    out.extend_from_slice(with);
    out.extend_from_slice(&body[range.end..]);
    Bytes::from(out)
}

/// Sends `request` and turns the answer into the client's response, its
/// body streamed with `answer_swap` applied.
pub async fn forward(
    legacy: &LegacyClient,
    request: LegacyRequest,
    answer_swap: Option<Swap>,
) -> Result<Response, LegacyError> {
    let answer = legacy.send(request).await?;
    let (mut parts, incoming) = answer.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    if answer_swap.as_ref().is_some_and(|s| !s.same_length()) {
        parts.headers.remove(header::CONTENT_LENGTH);
    }
    let body = AnswerStream::new(incoming, answer_swap, legacy.timeout());
    Ok(Response::from_parts(parts, Body::new(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_dropped() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, x-secret-hop"),
        );
        h.insert("x-secret-hop", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        h.insert(
            "soapaction",
            HeaderValue::from_static("\"https://os.ecgrid.io/X\""),
        );
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        strip_hop_by_hop(&mut h);
        let mut left: Vec<_> = h.keys().map(|k| k.as_str()).collect();
        left.sort_unstable();
        assert_eq!(left, ["content-type", "soapaction"]);
    }

    #[test]
    fn splice_replaces_exactly_the_range() {
        assert_eq!(&splice(b"<a>OLD</a>", 3..6, b"NEW1")[..], b"<a>NEW1</a>");
    }
}
