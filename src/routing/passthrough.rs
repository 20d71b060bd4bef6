//! The `legacy` route: the request forwarded to the legacy ECGridOS service
//! as received, the answer returned as received.
//!
//! Forwarded unchanged: the method, path and query, the envelope bytes
//! (bar the SessionID's value when it is a gateway session's, which becomes
//! the paired legacy SessionID), `SOAPAction`, `Content-Type` and every
//! other end-to-end header. Not forwarded: the hop-by-hop headers (RFC 9110
//! §7.6.1: `Connection` and the headers it names, `Keep-Alive`,
//! `Proxy-*`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`), `Host` (the
//! legacy service's own), `Content-Length` (the client writes the length
//! of the body it sends) and `Expect`. `X-Request-Id` carries the gateway's
//! request id, and `traceparent` the call's W3C trace context (the
//! client's trace continued with the gateway's span as the parent, as on
//! every REST call; the client's own `traceparent` is replaced, its
//! `tracestate` passed on as received). The answer comes back with its
//! status, headers (less hop-by-hop, dropped as its head is read:
//! [`crate::http1::head`]) and body as the legacy service sent them, the
//! body streamed
//! ([`super::answer_stream`]).
//!
//! [`legacy_request`] is the one place where the headers of a request to
//! the legacy service are chosen (pass-through and shadow alike).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderName, HeaderValue};
use tokio::time::{Instant, Sleep};

use crate::http1::head::{connection_names, is_hop_by_hop};
use crate::http1::{AnswerBody, BodyFraming};
use crate::legacy::{LegacyClient, LegacyError, LegacyRequest, StreamedError};
use crate::request_body::StreamedBody;
use crate::soap::Fault;

use super::answer_stream::{AnswerStream, Swap};

/// `X-Request-Id`, the gateway's request id on the way out.
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// `traceparent`, the call's trace context on the way out.
static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// The request to send: the client's `headers` (end-to-end ones, in one
/// pass), `path_and_query` as called, `body` as it will go (swapped
/// already), `request_id` as `X-Request-Id`, and the current call's
/// `traceparent` (`call_scope`) in place of the client's when there is a
/// call.
pub fn legacy_request(
    path_and_query: &str,
    headers: &HeaderMap,
    body: Bytes,
    request_id: &str,
) -> Result<LegacyRequest, LegacyError> {
    let mut request = LegacyRequest::post(path_and_query, body)?;
    let request_id = HeaderValue::from_str(request_id).ok();
    let traceparent =
        crate::call_scope::traceparent().and_then(|value| HeaderValue::from_bytes(&value).ok());
    // The names a `Connection` header lists (usually none: `keep-alive`
    // and `close` name no header).
    let named: Vec<&[u8]> = headers
        .get_all(header::CONNECTION)
        .iter()
        .flat_map(|value| connection_names(value.as_bytes()))
        .collect();
    for (name, value) in headers {
        let dropped = is_hop_by_hop(name.as_str())
            || *name == header::HOST
            || *name == header::EXPECT
            || *name == header::CONTENT_LENGTH
            || (*name == X_REQUEST_ID && request_id.is_some())
            || (*name == TRACEPARENT && traceparent.is_some())
            || named
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name.as_str().as_bytes()));
        if !dropped {
            request.header(name, value);
        }
    }
    if let Some(value) = &request_id {
        request.header(&X_REQUEST_ID, value);
    }
    if let Some(value) = &traceparent {
        request.header(&TRACEPARENT, value);
    }
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
    request: &LegacyRequest,
    answer_swap: Option<Swap>,
) -> Result<Response, LegacyError> {
    let answer = legacy.send(request).await?;
    Ok(client_response(answer, answer_swap, legacy))
}

/// [`forward`] of a request whose body is `request`'s (its first bytes)
/// followed by `rest` as it arrives, framed by `framing`. When the legacy
/// service answered before the whole body was sent, the rest of the
/// client's body is read and dropped after the answer's last byte, before
/// the response ends ([`ThenDrain`]).
pub async fn forward_streamed(
    legacy: &LegacyClient,
    request: &LegacyRequest,
    mut rest: StreamedBody,
    framing: BodyFraming,
    answer_swap: Option<Swap>,
) -> Result<Response, (StreamedError<Fault>, usize)> {
    let answer = match legacy.send_streamed(request, &mut rest, framing).await {
        Ok(answer) => answer,
        Err(e) => return Err((e, rest.received())),
    };
    let response = client_response(answer, answer_swap, legacy);
    if rest.is_done() {
        return Ok(response);
    }
    // Without a length the response is sent chunked, and hyper polls its
    // body to the end (with one, it stops at the last byte and drops it).
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = ThenDrain {
        answer: body,
        answer_done: false,
        rest,
        idle: Box::pin(tokio::time::sleep(DRAIN_IDLE)),
    };
    Ok(Response::from_parts(parts, Body::new(body)))
}

/// A response body that, after its last byte, reads the rest of the
/// client's request body and drops it before it ends. An upstream that
/// refused an upload early (e.g. 413) has answered while the client is still
/// sending; closing the connection with the client's bytes unread would
/// reset it (TCP sends RST), and a client that sends its whole body before
/// reading (.NET, Java) would get a broken pipe instead of the answer. So
/// the rest is taken first, within the body's own limit and deadline, and
/// for no longer than [`DRAIN_IDLE`] without a byte (a client that stopped
/// sending when the answer came, as curl does, gets the end of it then).
struct ThenDrain {
    answer: Body,
    answer_done: bool,
    rest: StreamedBody,
    /// Past this, with nothing more from the client, the drain ends.
    idle: Pin<Box<Sleep>>,
}

/// How long [`ThenDrain`] waits for more of the client's body.
const DRAIN_IDLE: Duration = Duration::from_secs(2);

impl hyper::body::Body for ThenDrain {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if !this.answer_done {
            match Pin::new(&mut this.answer).poll_frame(cx) {
                Poll::Ready(None) => {
                    this.answer_done = true;
                    this.idle.as_mut().reset(Instant::now() + DRAIN_IDLE);
                }
                other => return other,
            }
        }
        loop {
            match Pin::new(&mut this.rest).poll_frame(cx) {
                Poll::Ready(Some(Ok(_))) => {
                    this.idle.as_mut().reset(Instant::now() + DRAIN_IDLE);
                }
                // Ended, or failed (too large, too slow): done either way.
                Poll::Ready(_) => return Poll::Ready(None),
                Poll::Pending => {
                    return match this.idle.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(None),
                        Poll::Pending => Poll::Pending,
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.answer_done && self.rest.is_done()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        // Never exact: hyper would write it as the length (see above).
        hyper::body::SizeHint::new()
    }
}

/// The legacy service's `answer` as the client's response, its body
/// streamed with `answer_swap` applied.
fn client_response(
    answer: http::Response<AnswerBody>,
    answer_swap: Option<Swap>,
    legacy: &LegacyClient,
) -> Response {
    let (mut parts, incoming) = answer.into_parts();
    if answer_swap.as_ref().is_some_and(|s| !s.same_length()) {
        parts.headers.remove(header::CONTENT_LENGTH);
    }
    let body = AnswerStream::new(incoming, answer_swap, legacy.timeout());
    Response::from_parts(parts, Body::new(body))
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
        h.insert(header::HOST, HeaderValue::from_static("gateway:8080"));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("12"));
        h.insert(header::EXPECT, HeaderValue::from_static("100-continue"));
        h.insert("x-request-id", HeaderValue::from_static("client-id"));
        h.insert(
            "soapaction",
            HeaderValue::from_static("\"https://os.ecgrid.io/X\""),
        );
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        let request = legacy_request("/v4.1/prod/ECGridOS.asmx", &h, Bytes::new(), "gw-1").unwrap();
        let mut left: Vec<&str> = std::str::from_utf8(request.header_lines())
            .unwrap()
            .split_terminator("\r\n")
            .collect();
        left.sort_unstable();
        assert_eq!(
            left,
            [
                "content-type: text/xml",
                "soapaction: \"https://os.ecgrid.io/X\"",
                "x-request-id: gw-1",
            ]
        );
    }

    /// The header lines of the request `legacy_request` makes of `headers`.
    fn lines_of(headers: &HeaderMap) -> Vec<String> {
        let request = legacy_request("/v4.1/prod/ECGridOS.asmx", headers, Bytes::new(), "gw-1");
        std::str::from_utf8(request.unwrap().header_lines())
            .unwrap()
            .split_terminator("\r\n")
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn the_calls_traceparent_replaces_the_clients_and_tracestate_passes() {
        use crate::call_scope::{CallScope, CURRENT};
        use crate::trace_context::TraceContext;
        const CLIENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let mut h = HeaderMap::new();
        h.insert("traceparent", HeaderValue::from_static(CLIENT));
        h.insert("tracestate", HeaderValue::from_static("vendor=1"));
        // Outside a call: passed on as received.
        let outside = lines_of(&h);
        assert!(
            outside.contains(&format!("traceparent: {CLIENT}")),
            "{outside:?}"
        );
        // In a call: the call's own, which continues the client's trace.
        let trace =
            TraceContext::continue_or_start(Some(CLIENT.as_bytes()), || 0x1234_5678_9abc_def0);
        let scope = CallScope {
            trace,
            labels: std::cell::Cell::new(crate::metrics::CallLabels::new()),
        };
        let inside = CURRENT.sync_scope(scope, || lines_of(&h));
        let sent: Vec<&String> = inside
            .iter()
            .filter(|l| l.starts_with("traceparent:"))
            .collect();
        assert_eq!(
            sent,
            [&"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-123456789abcdef0-01".to_string()]
        );
        assert!(
            inside.contains(&"tracestate: vendor=1".to_string()),
            "{inside:?}"
        );
    }

    #[test]
    fn splice_replaces_exactly_the_range() {
        assert_eq!(&splice(b"<a>OLD</a>", 3..6, b"NEW1")[..], b"<a>NEW1</a>");
    }
}
