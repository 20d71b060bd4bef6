//! The request body: how large it may be and how long it may take.
//!
//! Every operation's body is limited to `--max-body` (1 MiB), except the
//! uploads (`ParcelUpload…`, translated or passed to the legacy service),
//! whose base64 file may take `--max-upload-body` (96 MiB, a 64 MiB file). Which limit a
//! request gets is decided before its body is read when the client
//! announces the operation (SOAP 1.1's `SOAPAction`, SOAP 1.2's `action`
//! parameter; .NET, Java and zeep always do), so an over-long
//! `Content-Length` is refused before `100 Continue`. A request that
//! announces nothing is read up to `--max-body`, and only when its first
//! bytes show an upload operation element is it allowed to go on to the
//! upload limit: no client can make the gateway hold 64 MiB for a
//! `WhoAmI`. The operation the envelope reader then finds is checked
//! against the limit it was read under ([`BodyLimits::admits`]).

use std::time::Duration;

use axum::http::{header, HeaderMap, StatusCode};
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::soap::Fault;

mod reader;

pub use reader::{read_body, BodyReader, Prefix, StreamedBody};

const BASE_FLAG: &str = "--max-body";
const UPLOAD_FLAG: &str = "--max-upload-body";
/// How much of a body is read for its operation name when it announced none.
const SNIFF_BYTES: usize = 64 * 1024;

/// Whether an operation carries a file in its request (the upload limit
/// applies): `ParcelUpload` and its variants of both WSDLs.
pub fn is_upload(operation: &str) -> bool {
    operation.starts_with("ParcelUpload")
}

/// The body limits of the gateway (`--max-body`, `--max-upload-body`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Every operation but the uploads.
    pub base: usize,
    /// The uploads.
    pub upload: usize,
}

/// The limit one request's body is read under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit {
    /// Bytes allowed now.
    pub limit: usize,
    /// The limit a body may be raised to once its first bytes show an
    /// upload operation (`None`: the limit is final).
    pub raise_to: Option<usize>,
    /// The flag that sets `limit`, for the 413's message.
    flag: &'static str,
}

impl BodyLimits {
    /// Whether a body of `len` bytes may be answered as `operation` (the
    /// envelope's, known only once read): an operation other than an
    /// upload never gets more than `base`.
    pub fn admits(&self, operation: &str, len: usize) -> Result<(), Fault> {
        if len > self.base && !is_upload(operation) {
            return Err(too_large(self.base, BASE_FLAG, None));
        }
        Ok(())
    }

    /// The limit for a request with these headers.
    pub fn for_request(&self, headers: &HeaderMap) -> BodyLimit {
        let fixed = |limit, flag| BodyLimit {
            limit,
            raise_to: None,
            flag,
        };
        match announced_operation(headers) {
            Some(op) if is_upload(op) => fixed(self.upload, UPLOAD_FLAG),
            Some(_) => fixed(self.base, BASE_FLAG),
            None => BodyLimit {
                limit: self.base,
                raise_to: (self.upload > self.base).then_some(self.upload),
                flag: BASE_FLAG,
            },
        }
    }
}

impl BodyLimit {
    /// A 413 fault when a body of `len` bytes (the client's
    /// `Content-Length` when `announced`) is over this limit.
    pub fn admits(&self, len: usize, announced: bool) -> Result<(), Fault> {
        if len > self.limit {
            let announced = announced.then_some(len as u64);
            return Err(too_large(self.limit, self.flag, announced));
        }
        Ok(())
    }

    /// The limit of a body whose operation, `operation`, is known from its
    /// first bytes: the upload limit (when this request may have it) for an
    /// upload, never more than `limits.base` for anything else (the rule
    /// [`BodyLimits::admits`] applies to a body read whole).
    pub fn for_operation(self, limits: &BodyLimits, operation: &str) -> BodyLimit {
        if is_upload(operation) {
            match self.raise_to {
                Some(upload) => BodyLimit {
                    limit: upload,
                    raise_to: None,
                    flag: UPLOAD_FLAG,
                },
                None => self,
            }
        } else if self.limit > limits.base || self.raise_to.is_some() {
            BodyLimit {
                limit: self.limit.min(limits.base),
                raise_to: None,
                flag: BASE_FLAG,
            }
        } else {
            self
        }
    }

    /// The limit once `collected` + `data` went over it: the raised one
    /// when the body's first bytes show an upload, else a 413 fault.
    fn raised(
        self,
        collected: &[u8],
        data: &[u8],
        announced: Option<u64>,
    ) -> Result<BodyLimit, Fault> {
        let Some(upload) = self.raise_to else {
            return Err(too_large(self.limit, self.flag, announced));
        };
        let mut prefix = collected[..collected.len().min(SNIFF_BYTES)].to_vec();
        let wanted = SNIFF_BYTES.saturating_sub(prefix.len());
        prefix.extend_from_slice(&data[..data.len().min(wanted)]);
        match body_operation(&prefix) {
            Some(op) if is_upload(&op) => Ok(BodyLimit {
                limit: upload,
                raise_to: None,
                flag: UPLOAD_FLAG,
            }),
            _ => Err(too_large(self.limit, self.flag, announced)),
        }
    }
}

/// The operation a request names before its body: the last path segment
/// of SOAP 1.1's `SOAPAction` (`"https://os.ecgrid.io/ParcelUpload"`), or of
/// SOAP 1.2's `action` parameter of `Content-Type`.
pub fn announced_operation(headers: &HeaderMap) -> Option<&str> {
    let action = headers
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
            content_type.split(';').skip(1).find_map(|param| {
                let (name, value) = param.split_once('=')?;
                name.trim().eq_ignore_ascii_case("action").then_some(value)
            })
        })?;
    let action = action.trim().trim_matches('"').trim();
    let name = action.rsplit(['/', '#']).next()?;
    (!name.is_empty()).then_some(name)
}

/// The local name of the Body's first child in the first bytes of an
/// envelope, tolerating the cut-off end; `None` when not found there.
fn body_operation(prefix: &[u8]) -> Option<String> {
    let mut reader = Reader::from_reader(prefix);
    let mut buf = Vec::new();
    let mut in_body = false;
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) => {
                let local = e.local_name();
                if in_body {
                    return Some(String::from_utf8_lossy(local.as_ref()).into_owned());
                }
                in_body = local.as_ref() == b"Body";
            }
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

/// How long a request body may take: [`BodyDeadline::grace`], plus the
/// time its bytes take at [`BodyDeadline::min_rate`]. A client sending at
/// least `min_rate` on average always finishes, however large its body (up
/// to the limit); a client that stalls is cut off `grace` + received /
/// `min_rate` after its body began (issue 16, finding 4: a stalled body was
/// held forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyDeadline {
    /// Time allowed on top of the rate (`--body-read-timeout`).
    pub grace: Duration,
    /// Slowest average rate accepted, bytes per second (`--body-min-rate`).
    pub min_rate: u64,
}

impl BodyDeadline {
    /// How long a body of which `received` bytes have arrived may have
    /// taken so far.
    fn allowed(&self, received: usize) -> Duration {
        let rate = self.min_rate.max(1) as f64;
        self.grace + Duration::from_secs_f64(received as f64 / rate)
    }
}

/// A 413 fault when the request's `Content-Length` is over what `limit`
/// can ever admit, before any of the body is read (and so before hyper
/// answers `Expect: 100-continue`); a 400 fault when it is not a number.
pub fn check_content_length(headers: &HeaderMap, limit: BodyLimit) -> Result<(), Fault> {
    let Some(value) = headers.get(header::CONTENT_LENGTH) else {
        return Ok(());
    };
    let length = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| {
            Fault::invalid("the request's Content-Length is not a number")
                .with_status(StatusCode::BAD_REQUEST)
        })?;
    let most = limit.raise_to.unwrap_or(limit.limit);
    if length > most as u64 {
        let flag = if limit.raise_to.is_some() {
            UPLOAD_FLAG
        } else {
            limit.flag
        };
        return Err(too_large(most, flag, Some(length)));
    }
    Ok(())
}

fn too_large(limit: usize, flag: &str, announced: Option<u64>) -> Fault {
    let announced = announced
        .map(|n| format!(" (Content-Length {n})"))
        .unwrap_or_default();
    Fault::invalid(format!(
        "request body{announced} is larger than the gateway's limit of {limit} bytes for this operation ({flag})"
    ))
    .with_status(StatusCode::PAYLOAD_TOO_LARGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    const LIMITS: BodyLimits = BodyLimits {
        base: 1024,
        upload: 64 * 1024,
    };

    #[test]
    fn the_announced_operation_picks_the_limit() {
        let soap11 = headers(&[("soapaction", "\"https://os.ecgrid.io/ParcelUploadEx\"")]);
        assert_eq!(announced_operation(&soap11), Some("ParcelUploadEx"));
        assert_eq!(LIMITS.for_request(&soap11).limit, 64 * 1024);
        let soap12 = headers(&[(
            "content-type",
            "application/soap+xml; charset=utf-8; action=\"http://ecgridos.net/WhoAmI\"",
        )]);
        assert_eq!(announced_operation(&soap12), Some("WhoAmI"));
        let whoami = LIMITS.for_request(&soap12);
        assert_eq!((whoami.limit, whoami.raise_to), (1024, None));
        let silent = LIMITS.for_request(&headers(&[("content-type", "text/xml")]));
        assert_eq!((silent.limit, silent.raise_to), (1024, Some(64 * 1024)));
        assert_eq!(
            announced_operation(&headers(&[("soapaction", "\"\"")])),
            None
        );
    }

    #[test]
    fn an_early_413_names_the_flag_of_the_limit() {
        let upload = LIMITS.for_request(&headers(&[
            ("soapaction", "https://os.ecgrid.io/ParcelUpload"),
            ("content-length", "70000"),
        ]));
        let fault =
            check_content_length(&headers(&[("content-length", "70000")]), upload).unwrap_err();
        assert_eq!(fault.http_status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(
            fault
                .message
                .contains("65536 bytes for this operation (--max-upload-body)"),
            "{}",
            fault.message
        );
        let whoami = LIMITS.for_request(&headers(&[("soapaction", "https://os.ecgrid.io/WhoAmI")]));
        let fault =
            check_content_length(&headers(&[("content-length", "2000")]), whoami).unwrap_err();
        assert!(fault.message.contains("(--max-body)"));
        assert!(check_content_length(&headers(&[("content-length", "1000")]), whoami).is_ok());
    }

    #[test]
    fn an_unannounced_body_is_raised_only_for_an_upload() {
        let silent = LIMITS.for_request(&HeaderMap::new());
        let upload = br#"<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/><soap:Body><ParcelUpload xmlns="https://os.ecgrid.io/"><Content>QUJD"#;
        assert_eq!(body_operation(upload).as_deref(), Some("ParcelUpload"));
        let raised = silent.raised(&upload[..20], &upload[20..], None).unwrap();
        assert_eq!((raised.limit, raised.raise_to), (64 * 1024, None));
        let whoami = br#"<s:Envelope xmlns:s="x"><s:Body><WhoAmI><SessionID>AAAA"#;
        let fault = silent.raised(whoami, b"", Some(5000)).unwrap_err();
        assert!(fault
            .message
            .contains("1024 bytes for this operation (--max-body)"));
        assert!(silent.raised(b"not xml at all", b"", None).is_err());
        // A body read under the raised limit must still be an upload.
        assert!(LIMITS.admits("WhoAmI", 2000).is_err());
        assert!(LIMITS.admits("ParcelUploadA", 2000).is_ok());
        assert!(LIMITS.admits("WhoAmI", 1000).is_ok());
    }

    #[test]
    fn an_operations_limit_once_its_name_is_known() {
        let announced_upload = LIMITS.for_request(&headers(&[(
            "soapaction",
            "\"https://os.ecgrid.io/ParcelUpload\"",
        )]));
        let silent = LIMITS.for_request(&HeaderMap::new());
        let announced_whoami =
            LIMITS.for_request(&headers(&[("soapaction", "https://os.ecgrid.io/WhoAmI")]));
        let limit = |l: BodyLimit, op| {
            let l = l.for_operation(&LIMITS, op);
            (l.limit, l.raise_to, l.flag)
        };
        // An upload gets the upload limit, announced or not.
        assert_eq!(
            limit(announced_upload, "ParcelUpload"),
            (64 * 1024, None, UPLOAD_FLAG)
        );
        assert_eq!(
            limit(silent, "ParcelUploadEx"),
            (64 * 1024, None, UPLOAD_FLAG)
        );
        // Anything else never more than --max-body, whatever was announced.
        assert_eq!(limit(announced_upload, "WhoAmI"), (1024, None, BASE_FLAG));
        assert_eq!(limit(silent, "CarbonCopyList"), (1024, None, BASE_FLAG));
        assert_eq!(limit(announced_whoami, "WhoAmI"), (1024, None, BASE_FLAG));
        // Announced as WhoAmI, the body's upload stays under --max-body.
        assert_eq!(
            limit(announced_whoami, "ParcelUpload"),
            (1024, None, BASE_FLAG)
        );
        // The limit itself: exactly at it passes, one byte over does not.
        let whoami = announced_whoami.for_operation(&LIMITS, "WhoAmI");
        assert!(whoami.admits(1024, true).is_ok());
        let fault = whoami.admits(1025, true).unwrap_err();
        assert_eq!(fault.http_status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(
            fault.message.contains("(Content-Length 1025)"),
            "{}",
            fault.message
        );
        assert!(!whoami
            .admits(1025, false)
            .unwrap_err()
            .message
            .contains("Content-Length"));
    }
}
