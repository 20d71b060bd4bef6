//! Lenient reading of REST timestamps: RFC 3339 (`2026-05-07T18:30:00Z`),
//! and the offset-less form some published samples use, taken as UTC.

use serde::{Deserialize, Deserializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Parses a REST timestamp; `None` when it is neither form.
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    OffsetDateTime::parse(text, &Rfc3339).ok().or_else(|| {
        let without_fraction = text.split('.').next().unwrap_or(text);
        PrimitiveDateTime::parse(
            without_fraction,
            format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        )
        .ok()
        .map(PrimitiveDateTime::assume_utc)
    })
}

/// Serde helper for `Option<OffsetDateTime>` fields: `null`, absent or an
/// unreadable text are all `None` (a timestamp is never worth failing a call).
pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    Ok(text.as_deref().and_then(parse))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_published_forms() {
        let z = parse("2026-05-07T18:30:00Z").unwrap();
        assert_eq!(parse("2026-05-07T18:30:00").unwrap(), z);
        assert_eq!(parse("2026-05-07T20:30:00+02:00").unwrap(), z);
        assert!(parse("2026-05-07T18:30:00.123Z").is_some());
        assert!(parse("yesterday").is_none());
    }
}
