//! A [`Session`] as plain bytes (JSON), for the Redis store to seal: every
//! field of the record, times as Unix nanoseconds. A field added to
//! `Session` is added here, with a default so records written by an older
//! gateway still read.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Session;

/// The wire form of a session record (inside the sealed value only).
#[derive(Serialize, Deserialize)]
struct Record {
    /// Format version.
    v: u8,
    token: String,
    #[serde(default)]
    expires_at_ns: Option<i64>,
    user_id: i32,
    created_ns: i64,
    #[serde(default)]
    legacy_session_id: Option<String>,
}

fn nanos(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

fn from_nanos(ns: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)).ok()
}

/// The record's bytes.
pub fn encode(session: &Session) -> Vec<u8> {
    let record = Record {
        v: 1,
        token: session.token.to_string(),
        expires_at_ns: session.expires_at.map(nanos),
        user_id: session.user_id,
        created_ns: nanos(session.created),
        legacy_session_id: session.legacy_session_id.as_deref().map(str::to_string),
    };
    // A struct of strings and numbers always serialises.
    serde_json::to_vec(&record).unwrap_or_default()
}

/// The session of a record's bytes; `None` when they are not one.
pub fn decode(bytes: &[u8]) -> Option<Session> {
    let record: Record = serde_json::from_slice(bytes).ok()?;
    if record.v != 1 {
        return None;
    }
    Some(Session {
        token: record.token.into(),
        expires_at: match record.expires_at_ns {
            Some(ns) => Some(from_nanos(ns)?),
            None => None,
        },
        user_id: record.user_id,
        created: from_nanos(record.created_ns)?,
        legacy_session_id: record.legacy_session_id.map(Into::into),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_every_field() {
        let session = Session {
            token: "bearer-token".into(),
            expires_at: Some(
                OffsetDateTime::from_unix_timestamp_nanos(1_800_000_000_123_456_789).unwrap(),
            ),
            user_id: 42,
            created: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            legacy_session_id: Some("LEGACY".into()),
        };
        let back = decode(&encode(&session)).unwrap();
        assert_eq!(&*back.token, "bearer-token");
        assert_eq!(back.expires_at, session.expires_at);
        assert_eq!(back.user_id, 42);
        assert_eq!(back.created, session.created);
        assert_eq!(back.legacy_session_id.as_deref(), Some("LEGACY"));
        let bare = Session {
            expires_at: None,
            legacy_session_id: None,
            ..session
        };
        let back = decode(&encode(&bare)).unwrap();
        assert_eq!((back.expires_at, back.legacy_session_id), (None, None));
        assert!(decode(b"not json").is_none());
        assert!(decode(br#"{"v":2,"token":"t","user_id":1,"created_ns":0}"#).is_none());
    }
}
