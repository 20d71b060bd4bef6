//! An answer's head: the status line and headers, parsed with httparse,
//! and what they say about the body's framing and the connection's reuse.

use std::mem::MaybeUninit;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use super::H1Error;

/// Largest response head (status line and headers) read.
pub(super) const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most response headers parsed.
const MAX_HEADERS: usize = 96;

/// How the body of an answer is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// No body (1xx, 204, 304).
    Empty,
    /// `Content-Length: n`.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the upstream closes the connection.
    UntilClose,
}

/// The parts of an answer's head the exchange needs.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Head {
    pub(super) status: u16,
    /// Bytes of the head, to consume.
    pub(super) len: usize,
    pub(super) framing: Framing,
    /// The connection may carry another request after this answer.
    pub(super) keep_alive: bool,
    /// The upstream's `Keep-Alive: timeout=N`, if it sent one.
    pub(super) keep_alive_timeout: Option<Duration>,
}

/// Whether a header named `name` (lower case, as [`HeaderName`]s are) is
/// hop-by-hop (RFC 9110 §7.6.1): it never crosses a proxy. The headers a
/// `Connection` header names are hop-by-hop too; see [`connection_names`].
pub fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}

/// The header names listed in a `Connection` header's `value` other than
/// `close` and `keep-alive` (which name no header), each trimmed.
pub fn connection_names(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|b| *b == b',')
        .map(|token| token.trim_ascii())
        .filter(|token| {
            !token.is_empty()
                && !token.eq_ignore_ascii_case(b"close")
                && !token.eq_ignore_ascii_case(b"keep-alive")
        })
}

/// Parses an answer head at the start of `buf`: `None` until it is whole.
/// With `headers`, the answer's end-to-end headers are put there as
/// received (hop-by-hop ones, and those its `Connection` header names,
/// left out); a header httparse accepts but [`http`] does not is an error.
pub(super) fn parse_head(
    buf: &[u8],
    mut headers: Option<&mut HeaderMap>,
) -> Result<Option<Head>, H1Error> {
    // Uninitialised room for the headers: httparse writes only as many as
    // it finds (a 96-entry array of empty headers cost more to fill than
    // parsing a legacy answer's few).
    let mut parsed = [MaybeUninit::<httparse::Header<'_>>::uninit(); MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsing = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buf,
        &mut parsed,
    );
    let len = match parsing {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(H1Error::Malformed(format!("invalid HTTP answer head: {e}"))),
    };
    let status = response.code.unwrap_or(0);
    // httparse takes any three digits; HTTP's codes are 100-599 (found by
    // the h1_answer fuzz target: "HTTP/1.1 000" was an answer).
    if !(100..=599).contains(&status) {
        return Err(H1Error::Malformed(format!(
            "invalid HTTP status code {status:03} in the answer"
        )));
    }
    let mut keep_alive = response.version == Some(1);
    let mut length: Option<usize> = None;
    let mut chunked = None;
    let mut keep_alive_timeout = None;
    // The headers `Connection` names, dropped with the hop-by-hop ones
    // (usually none: no allocation).
    let named: Vec<&[u8]> = if headers.is_some() {
        response
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("connection"))
            .flat_map(|h| connection_names(h.value))
            .collect()
    } else {
        Vec::new()
    };
    if let Some(map) = headers.as_deref_mut() {
        map.reserve(response.headers.len());
    }
    for header in response.headers.iter() {
        // Only the values the client reads are checked as text.
        let text = || std::str::from_utf8(header.value).unwrap_or("");
        if header.name.eq_ignore_ascii_case("content-length") {
            let value = text();
            let n = value.trim().parse::<usize>().map_err(|_| {
                H1Error::Malformed(format!("invalid Content-Length {value:?} in the answer"))
            })?;
            if length.is_some_and(|seen| seen != n) {
                return Err(H1Error::Malformed(
                    "conflicting Content-Length headers in the answer".to_string(),
                ));
            }
            length = Some(n);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked only counts as the last coding; anything else means
            // the body runs until the connection closes (RFC 9112 §6.3).
            let last = text().rsplit(',').next().unwrap_or("").trim();
            chunked = Some(last.eq_ignore_ascii_case("chunked"));
        } else if header.name.eq_ignore_ascii_case("keep-alive") {
            // `timeout=5, max=100` (RFC 2068 §19.7.1.1); unreadable parts
            // are ignored, as browsers do.
            keep_alive_timeout = text()
                .split(',')
                .filter_map(|part| part.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("timeout"))
                .and_then(|(_, n)| n.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .or(keep_alive_timeout);
        } else if header.name.eq_ignore_ascii_case("connection") {
            for token in text().split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case("keep-alive") && response.version == Some(0) {
                    keep_alive = true;
                }
            }
        }
        if let Some(map) = headers.as_deref_mut() {
            let name = HeaderName::from_bytes(header.name.as_bytes()).map_err(|_| {
                H1Error::Malformed(format!(
                    "invalid header name {:?} in the answer",
                    header.name
                ))
            })?;
            let dropped = is_hop_by_hop(name.as_str())
                || named
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(name.as_str().as_bytes()));
            if !dropped {
                let value = HeaderValue::from_bytes(header.value).map_err(|_| {
                    H1Error::Malformed(format!("invalid value of {name} in the answer"))
                })?;
                map.append(name, value);
            }
        }
    }
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else {
        match (chunked, length) {
            (Some(true), _) => Framing::Chunked,
            (Some(false), _) => Framing::UntilClose,
            (None, Some(n)) => Framing::Length(n),
            (None, None) => Framing::UntilClose,
        }
    };
    if framing == Framing::UntilClose {
        keep_alive = false;
    }
    if let Some(map) = headers {
        // What the body's reader will pass on is the decoded body: a
        // length that `Transfer-Encoding` overrides is not its length
        // (RFC 9112 §6.3: a proxy removes it), and repeated equal lengths
        // become one.
        match (framing, chunked) {
            (_, Some(_)) => {
                map.remove(http::header::CONTENT_LENGTH);
            }
            (Framing::Length(n), None)
                if map.get_all(http::header::CONTENT_LENGTH).iter().count() > 1 =>
            {
                map.insert(http::header::CONTENT_LENGTH, HeaderValue::from(n));
            }
            _ => {}
        }
    }
    Ok(Some(Head {
        status,
        len,
        framing,
        keep_alive,
        keep_alive_timeout,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Head {
        parse_head(text.as_bytes(), None).unwrap().unwrap()
    }

    #[test]
    fn framing_and_keep_alive_follow_the_answer_head() {
        let cases = [
            (
                "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n",
                Framing::Length(5),
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
                Framing::Length(5),
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n",
                Framing::Chunked,
                true,
            ),
            // Chunked wins over a length (RFC 9112 §6.3).
            (
                "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n",
                Framing::Chunked,
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n",
                Framing::UntilClose,
                false,
            ),
            ("HTTP/1.1 200 OK\r\n\r\n", Framing::UntilClose, false),
            (
                "HTTP/1.1 200 OK\r\nconnection: keep-alive, close\r\ncontent-length: 0\r\n\r\n",
                Framing::Length(0),
                false,
            ),
            (
                "HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n",
                Framing::Length(0),
                false,
            ),
            (
                "HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n",
                Framing::Length(0),
                true,
            ),
            (
                "HTTP/1.1 204 No Content\r\ncontent-length: 7\r\n\r\n",
                Framing::Empty,
                true,
            ),
            (
                "HTTP/1.1 304 Not Modified\r\ntransfer-encoding: chunked\r\n\r\n",
                Framing::Empty,
                true,
            ),
            ("HTTP/1.1 100 Continue\r\n\r\n", Framing::Empty, true),
        ];
        for (text, framing, keep_alive) in cases {
            let parsed = head(text);
            assert_eq!(
                (parsed.framing, parsed.keep_alive),
                (framing, keep_alive),
                "{text:?}"
            );
            assert_eq!(parsed.len, text.len(), "{text:?}");
        }
    }

    #[test]
    fn the_upstreams_keep_alive_timeout_is_read() {
        let cases = [
            ("keep-alive: timeout=5\r\n", Some(5)),
            ("Keep-Alive: max=100, timeout = 75\r\n", Some(75)),
            ("keep-alive: max=3\r\n", None),
            ("keep-alive: timeout=soon\r\n", None),
            ("", None),
        ];
        for (header, timeout) in cases {
            let text = format!("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n{header}\r\n");
            assert_eq!(
                head(&text).keep_alive_timeout,
                timeout.map(Duration::from_secs),
                "{header:?}"
            );
        }
    }

    #[test]
    fn an_incomplete_head_asks_for_more_and_a_bad_one_is_refused() {
        assert_eq!(
            parse_head(b"HTTP/1.1 200 OK\r\ncontent-le", None).unwrap(),
            None
        );
        for bad in [
            "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
            "HTTP/2 200\r\n\r\n",
            "SSH-2.0-OpenSSH\r\n\r\n",
            "HTTP/1.1 000 Zero\r\n\r\n",
            "HTTP/1.1 099 Low\r\n\r\n",
            "HTTP/1.1 600 High\r\n\r\n",
        ] {
            assert!(
                matches!(parse_head(bad.as_bytes(), None), Err(H1Error::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_kept_length_is_the_decoded_bodys() {
        let kept = |text: &str| {
            let mut map = HeaderMap::new();
            parse_head(text.as_bytes(), Some(&mut map))
                .unwrap()
                .unwrap();
            map.get_all("content-length")
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kept("HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n"),
            Vec::<String>::new()
        );
        assert_eq!(
            kept("HTTP/1.1 200 OK\r\ncontent-length: 5\r\nContent-Length: 5\r\n\r\n"),
            ["5"]
        );
        assert_eq!(kept("HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n"), ["7"]);
    }

    #[test]
    fn kept_headers_are_the_end_to_end_ones_in_order() {
        let text = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/xml\r\n\
                    Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n\
                    Transfer-Encoding: chunked\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\
                    X-AspNet-Version: 4.0\r\n\r\n";
        let mut map = HeaderMap::new();
        let parsed = parse_head(text.as_bytes(), Some(&mut map))
            .unwrap()
            .unwrap();
        assert_eq!(parsed.status, 500);
        let kept: Vec<(&str, &str)> = map
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
            .collect();
        assert_eq!(
            kept,
            [
                ("content-type", "text/xml"),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2"),
                ("x-aspnet-version", "4.0"),
            ]
        );
    }
}
