//! The upload's request body, read in one pass: `content` is decoded from
//! base64 straight out of the request bytes (no JSON copy of the base64),
//! every other field lands in a [`Fields`] map.
//!
//! The body is read into one buffer sized by `Content-Length` (no chunks
//! plus a contiguous copy), so the peak memory of an upload is the body plus
//! the decoded file.

use std::fmt;

use axum::extract::{FromRequest, Request};
use axum::http::header;
use http_body_util::BodyExt;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::envelope::{ApiError, Fields};
use super::parcels::UPLOAD_BODY_LIMIT;
use super::upload_route::decode_content;

/// A parsed upload body.
#[derive(Debug)]
pub(crate) struct UploadBody {
    /// Every field but `content`.
    pub fields: Fields,
    /// `content` decoded (`None` when absent or `null`), or why it is not
    /// valid.
    pub content: Option<Result<Vec<u8>, ApiError>>,
}

impl<S: Send + Sync> FromRequest<S> for UploadBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_upload_body(req, UPLOAD_BODY_LIMIT).await?;
        parse(&bytes)
    }
}

/// Reads the body into one buffer of at most `limit` bytes (413 beyond).
async fn read_upload_body(req: Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::payload_too_large());
    }
    let mut buf = Vec::with_capacity(declared.unwrap_or(0));
    let mut body = req.into_body();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::invalid_parameter(format!("could not read request body: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(ApiError::payload_too_large());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf)
}

/// Parses an upload body (empty = `{}`; anything but an object is a 400).
pub(crate) fn parse(bytes: &[u8]) -> Result<UploadBody, ApiError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(UploadBody {
            fields: Fields::default(),
            content: None,
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let body = de
        .deserialize_any(BodyVisitor)
        .and_then(|b| de.end().map(|()| b))
        .map_err(|e| ApiError::invalid_parameter(format!("request body is not valid JSON: {e}")))?;
    body.map_err(ApiError::invalid_parameter)
}

/// Yields the body, or (as the inner error) why it is not an object.
struct BodyVisitor;

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = Result<UploadBody, String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        let mut content = None;
        while let Some(key) = m.next_key::<String>()? {
            if key.eq_ignore_ascii_case("content") {
                content = m.next_value::<ContentField>()?.0;
            } else {
                let v: Value = m.next_value()?;
                map.insert(key, v);
            }
        }
        Ok(Ok(UploadBody {
            fields: Fields::from_map(map),
            content,
        }))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        while s.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Err(
            "request body must be a JSON object, got an array".into()
        ))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err(
            "request body must be a JSON object, got a string".into()
        ))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err(
            "request body must be a JSON object, got a boolean".into()
        ))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err(
            "request body must be a JSON object, got a number".into()
        ))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err(
            "request body must be a JSON object, got a number".into()
        ))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err(
            "request body must be a JSON object, got a number".into()
        ))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err("request body must be a JSON object, got null".into()))
    }
}

/// The `content` value, decoded as it is read (borrowed from the body when
/// it has no escapes, which base64 never needs).
struct ContentField(Option<Result<Vec<u8>, ApiError>>);

impl<'de> de::Deserialize<'de> for ContentField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ContentVisitor)
    }
}

struct ContentVisitor;

impl ContentVisitor {
    fn not_a_string(kind: &str) -> ContentField {
        ContentField(Some(Err(ApiError::invalid_parameter(format!(
            "field `content` must be a base64 string, got {kind}"
        )))))
    }
}

impl<'de> Visitor<'de> for ContentVisitor {
    type Value = ContentField;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a base64 string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(ContentField(Some(decode_content(v))))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(ContentField(Some(decode_content(v))))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ContentField(None))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Self::not_a_string("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Self::not_a_string("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Self::not_a_string("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Self::not_a_string("a number"))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        while s.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Self::not_a_string("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        while m.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
        Ok(Self::not_a_string("an object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(body: &str) -> Option<Result<Vec<u8>, ApiError>> {
        parse(body.as_bytes()).unwrap().content
    }

    #[test]
    fn content_is_decoded_and_the_other_fields_kept() {
        let b = parse(br#"{"fileName":"a.edi","Content":"aGk=","bytes":2}"#).unwrap();
        assert_eq!(b.content.unwrap().unwrap(), b"hi");
        assert_eq!(b.fields.req_str("fileName").unwrap(), "a.edi");
        assert!(!b.fields.has("content"));
        assert_eq!(
            content(r#"{"content":"a$Gk"}"#)
                .unwrap()
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            content(r#"{"content":"aG\u0073="}"#).unwrap().unwrap(),
            b"hk"
        );
        assert!(content(r#"{"content":null}"#).is_none());
        let m = content(r#"{"content":[1,{"a":2}]}"#)
            .unwrap()
            .unwrap_err()
            .message;
        assert!(m.contains("got an array"), "{m}");
        assert!(parse(b"  ").unwrap().content.is_none());
    }

    #[test]
    fn bad_bodies_are_400s_that_say_why() {
        for (body, want) in [
            ("[1]", "got an array"),
            ("\"x\"", "got a string"),
            ("7", "got a number"),
            ("null", "got null"),
            ("{", "not valid JSON"),
            ("{} {}", "not valid JSON"),
            (r#"{"content":"aGk="#, "not valid JSON"),
        ] {
            let e = parse(body.as_bytes()).unwrap_err();
            assert!(
                e.status == 400 && e.message.contains(want),
                "{body}: {}",
                e.message
            );
        }
    }
}
