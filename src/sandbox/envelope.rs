//! The `{success, data, errorCode, message}` envelope, the sandbox error type
//! and a forgiving JSON field reader whose errors name the offending field.

use std::ops::RangeInclusive;
use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

use crate::domain::UnknownVariant;

/// An error answer of the sandbox: HTTP status, `errorCode` and `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// The envelope's `errorCode` (see docs/REST.md).
    pub code: &'static str,
    /// Human-readable explanation; never contains secrets.
    pub message: String,
    /// Seconds for a `Retry-After` header (429 only).
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 `InvalidParameter`: a missing or malformed field.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidParameter", message)
    }

    /// 401 `InvalidAPIKey`: missing, unknown or revoked API key.
    pub fn invalid_api_key(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "InvalidAPIKey", message)
    }

    /// 401 `InvalidSession`: bearer token unknown, expired or logged out.
    pub fn invalid_session(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "InvalidSession", message)
    }

    /// 401 `InvalidCredentials`: wrong login or password.
    pub fn invalid_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidCredentials",
            "login or password is incorrect",
        )
    }

    /// 403 `AccessDenied`: the object belongs to another party.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDenied", message)
    }

    /// 413 with errorCode `InvalidParameter`: the body is over the limit.
    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "InvalidParameter",
            "request body is over this endpoint's limit (90 MiB for POST /v2/parcels/upload, 1 MiB elsewhere)",
        )
    }

    /// 404 `ObjectNotFound`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ObjectNotFound", message)
    }

    /// 429 `RateLimitExceeded` with a `Retry-After` of `seconds`.
    pub fn rate_limited(seconds: u64, message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "RateLimitExceeded", message);
        e.retry_after = Some(seconds);
        e
    }

    /// 500 `InternalError`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "success": false,
            "data": Value::Null,
            "errorCode": self.code,
            "message": self.message,
        });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// A successful envelope with `data` and an empty `message`.
pub fn ok<T: Serialize>(data: T) -> Response {
    ok_with_message(data, "")
}

/// A successful envelope with `data` and the given `message`.
pub fn ok_with_message<T: Serialize>(data: T, message: &str) -> Response {
    match serde_json::to_value(data) {
        Ok(data) => Json(json!({
            "success": true,
            "data": data,
            "errorCode": "",
            "message": message,
        }))
        .into_response(),
        Err(e) => ApiError::internal(format!("could not encode the answer: {e}")).into_response(),
    }
}

/// Formats a timestamp as RFC 3339 UTC with second precision, e.g.
/// `2026-05-07T14:32:00Z`.
pub fn fmt_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Optional timestamp as JSON (`null` when absent).
pub fn time_json(t: Option<OffsetDateTime>) -> Value {
    t.map(|t| Value::String(fmt_time(t))).unwrap_or(Value::Null)
}

/// The fields of a JSON object body (or of a query string), read one by one
/// so that every error names the field. `null` counts as absent; a field is
/// looked up by its exact name first, then case-insensitively.
#[derive(Debug, Default, Clone)]
pub struct Fields {
    map: Map<String, Value>,
}

impl Fields {
    /// Parses a request body: empty means `{}`; anything but a JSON object is
    /// a 400 `InvalidParameter` that says what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Fields::default());
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Fields { map }),
            Ok(other) => Err(ApiError::invalid_parameter(format!(
                "request body must be a JSON object, got {}",
                json_kind(&other)
            ))),
            Err(e) => Err(ApiError::invalid_parameter(format!(
                "request body is not valid JSON: {e}"
            ))),
        }
    }

    /// Fields from an already parsed JSON object.
    pub fn from_map(map: Map<String, Value>) -> Self {
        Fields { map }
    }

    /// Reads `a=1&b=x` query parameters as string fields.
    pub fn from_query(query: Option<&str>) -> Self {
        let mut map = Map::new();
        if let Some(q) = query {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                map.insert(k.into_owned(), Value::String(v.into_owned()));
            }
        }
        Fields { map }
    }

    /// The raw value of a field, `None` when absent or `null`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        let v = self.map.get(name).or_else(|| {
            self.map
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })?;
        if v.is_null() {
            None
        } else {
            Some(v)
        }
    }

    /// True when the field is present and not `null`.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// An optional string field.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(ApiError::invalid_parameter(format!(
                "field `{name}` must be a string, got {}",
                json_kind(other)
            ))),
        }
    }

    /// A required string field (empty strings are refused).
    pub fn req_str(&self, name: &str) -> Result<String, ApiError> {
        match self.opt_str(name)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            Some(_) => Err(ApiError::invalid_parameter(format!(
                "field `{name}` must not be empty"
            ))),
            None => Err(ApiError::invalid_parameter(format!(
                "field `{name}` is required"
            ))),
        }
    }

    /// An optional integer field within `range` (numeric strings accepted).
    pub fn opt_int(&self, name: &str, range: RangeInclusive<i64>) -> Result<Option<i64>, ApiError> {
        let n = match self.get(name) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(_) => None,
        };
        match n {
            Some(n) if range.contains(&n) => Ok(Some(n)),
            Some(n) => Err(ApiError::invalid_parameter(format!(
                "field `{name}` must be between {} and {} (got {n})",
                range.start(),
                range.end()
            ))),
            None => Err(ApiError::invalid_parameter(format!(
                "field `{name}` must be an integer between {} and {}",
                range.start(),
                range.end()
            ))),
        }
    }

    /// An optional non-negative `i32` id-like field.
    pub fn opt_id(&self, name: &str) -> Result<Option<i32>, ApiError> {
        Ok(self
            .opt_int(name, 0..=i64::from(i32::MAX))?
            .and_then(|n| i32::try_from(n).ok()))
    }

    /// An optional enum field parsed by its wire name.
    pub fn opt_enum<T>(&self, name: &str) -> Result<Option<T>, ApiError>
    where
        T: FromStr<Err = UnknownVariant>,
    {
        match self.opt_str(name)? {
            None => Ok(None),
            Some(s) => s
                .parse::<T>()
                .map(Some)
                .map_err(|e| ApiError::invalid_parameter(format!("field `{name}`: {e}"))),
        }
    }

    /// An optional boolean field.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(ApiError::invalid_parameter(format!(
                "field `{name}` must be true or false, got {}",
                json_kind(other)
            ))),
        }
    }

    /// An optional date filter: RFC 3339 date-time, or a plain `YYYY-MM-DD`
    /// date (start of day, or end of day when `end_of_day`).
    pub fn opt_datetime(
        &self,
        name: &str,
        end_of_day: bool,
    ) -> Result<Option<OffsetDateTime>, ApiError> {
        let Some(s) = self.opt_str(name)? else {
            return Ok(None);
        };
        let s = s.trim();
        if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
            return Ok(Some(t));
        }
        if let Ok(d) = time::Date::parse(s, format_description!("[year]-[month]-[day]")) {
            let t = if end_of_day {
                d.with_hms(23, 59, 59).map(|t| t.assume_utc()).ok()
            } else {
                Some(d.midnight().assume_utc())
            };
            if let Some(t) = t {
                return Ok(Some(t));
            }
        }
        Err(ApiError::invalid_parameter(format!(
            "field `{name}`: '{s}' is not an RFC 3339 date-time (e.g. 2026-05-07T14:32:00Z) or a date (2026-05-07)"
        )))
    }
}

/// What kind of JSON value `v` is, for messages ("a string", "an array").
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Extractor for a JSON object body read with [`Fields`]; every rejection
/// (unreadable or oversized body, bad JSON) is answered in the envelope.
#[derive(Debug)]
pub struct JsonFields(pub Fields);

impl<S: Send + Sync> FromRequest<S> for JsonFields {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        Fields::parse(&bytes).map(JsonFields)
    }
}

/// Reads a request body within the route's limit; a rejection is answered
/// in the envelope (413 names the limits).
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|r| {
        let mut e =
            ApiError::invalid_parameter(format!("could not read request body: {}", r.body_text()));
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            e = ApiError::payload_too_large();
        }
        e
    })
}

/// Validated paging: `pageNo` ≥ 1 (default 1), `recordsPerPage` 1..=500
/// (default 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based page number.
    pub page_no: usize,
    /// Page size.
    pub records_per_page: usize,
}

impl Page {
    /// Reads and validates `pageNo` and `recordsPerPage`.
    pub fn from_fields(f: &Fields) -> Result<Self, ApiError> {
        Self::with_default(f, 100)
    }

    /// As [`Page::from_fields`], with `default` records per page.
    pub fn with_default(f: &Fields, default: usize) -> Result<Self, ApiError> {
        let page_no = match f.get("pageNo") {
            None => 1,
            Some(_) => f
                .opt_int("pageNo", i64::MIN..=i64::MAX)?
                .filter(|n| *n >= 1 && *n <= i64::from(i32::MAX))
                .ok_or_else(|| ApiError::invalid_parameter("field `pageNo` must be >= 1"))?,
        };
        let rpp = match f.get("recordsPerPage") {
            None => i64::try_from(default).unwrap_or(100),
            Some(_) => f
                .opt_int("recordsPerPage", i64::MIN..=i64::MAX)?
                .filter(|n| (1..=500).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_parameter("field `recordsPerPage` must be between 1 and 500")
                })?,
        };
        Ok(Page {
            page_no: usize::try_from(page_no).unwrap_or(1),
            records_per_page: usize::try_from(rpp).unwrap_or(100),
        })
    }

    /// The slice of `items` on this page.
    pub fn slice<T: Clone>(&self, items: &[T]) -> Vec<T> {
        let start = (self.page_no - 1).saturating_mul(self.records_per_page);
        items
            .iter()
            .skip(start)
            .take(self.records_per_page)
            .cloned()
            .collect()
    }

    /// The paged listing answer: `totalRecords`, `pageNo`,
    /// `recordsPerPage` and this page of `items` under `key`.
    pub fn listing(&self, key: &str, items: &[Value]) -> Value {
        let mut answer = json!({
            "totalRecords": items.len(),
            "pageNo": self.page_no,
            "recordsPerPage": self.records_per_page,
        });
        answer[key] = Value::Array(self.slice(items));
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_name_the_field() {
        let f = Fields::parse(br#"{"callbackId":"x","status":"Bogus","url":5}"#).unwrap();
        let e = f.opt_id("callbackId").unwrap_err();
        assert!(e.message.contains("`callbackId`"), "{}", e.message);
        let e = f.opt_enum::<crate::domain::Status>("status").unwrap_err();
        assert!(e.message.contains("accepted values"), "{}", e.message);
        let e = f.opt_str("url").unwrap_err();
        assert!(
            e.message.contains("`url` must be a string"),
            "{}",
            e.message
        );
        assert!(Fields::parse(b"[1]").is_err());
        assert!(Fields::parse(b"{").is_err());
        assert!(Fields::parse(b"  ").unwrap().get("x").is_none());
    }

    #[test]
    fn paging_is_validated() {
        let f = Fields::parse(br#"{"pageNo":0}"#).unwrap();
        assert!(Page::from_fields(&f).is_err());
        let f = Fields::parse(br#"{"recordsPerPage":501}"#).unwrap();
        assert!(Page::from_fields(&f).is_err());
        let f = Fields::parse(br#"{"pageNo":2,"recordsPerPage":2}"#).unwrap();
        let p = Page::from_fields(&f).unwrap();
        assert_eq!(p.slice(&[1, 2, 3, 4, 5]), vec![3, 4]);
    }

    #[test]
    fn times_are_rfc3339_utc_seconds() {
        let t = time::macros::datetime!(2026-05-07 14:32:00.123 UTC);
        assert_eq!(fmt_time(t), "2026-05-07T14:32:00Z");
    }
}
