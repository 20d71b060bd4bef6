//! What every REST → SOAP crossing needs: upstream enum names read into the
//! WSDL's enums, REST numbers narrowed to the WSDL's widths, and the checks
//! on ids and pages a request makes before any upstream call. An upstream
//! value the WSDL cannot carry is a Server fault naming the field; a client
//! value that cannot be right is an InvalidParameter fault naming the
//! parameter.

use std::str::FromStr;

use time::format_description::well_known::Rfc3339;

use crate::domain::UnknownVariant;
use crate::schema::XsDateTime;
use crate::soap::Fault;

/// Reads an enum-valued field the upstream sent; absent or empty is the
/// enum's .NET default, an unknown name a Server fault naming the field.
pub fn upstream_enum_or_default<E>(field: &str, value: Option<&str>) -> Result<E, Fault>
where
    E: FromStr<Err = UnknownVariant> + Default,
{
    match value.map(str::trim) {
        None | Some("") => Ok(E::default()),
        Some(text) => text.parse().map_err(|err: UnknownVariant| {
            Fault::server(format!(
                "upstream sent a value the WSDL cannot carry in field `{field}`: {err}"
            ))
        }),
    }
}

/// A REST integer narrowed to a WSDL integer type; one that does not fit is
/// a Server fault naming the field (never a silently wrong id).
pub fn wsdl_int<T>(field: &str, value: Option<i64>) -> Result<T, Fault>
where
    T: TryFrom<i64> + Default,
{
    match value {
        None => Ok(T::default()),
        Some(v) => T::try_from(v).map_err(|_| {
            Fault::server(format!(
                "upstream sent {v} in field `{field}`, which does not fit the WSDL's type for it"
            ))
        }),
    }
}

/// An id parameter that must name an object (1 or more); ASMX reads an
/// absent one as 0.
pub fn object_id<T: Into<i64> + Copy>(name: &str, value: T) -> Result<T, Fault> {
    if value.into() > 0 {
        Ok(value)
    } else {
        Err(Fault::invalid(format!(
            "parameter {name} is required: the id of an existing object (1 or more), got {}",
            value.into()
        )))
    }
}

/// An optional scope parameter: 0 means "the caller's own / all", sent as
/// absent; a negative value is refused.
pub fn scope(name: &str, value: i32) -> Result<Option<i32>, Fault> {
    match value {
        0 => Ok(None),
        v if v > 0 => Ok(Some(v)),
        v => Err(Fault::invalid(format!(
            "parameter {name} must be 0 (any / your own) or an id, got {v}"
        ))),
    }
}

/// An `xs:dateTime` parameter as a REST date filter; `DateTime.MinValue`
/// (what a client sends for "no date") is no filter.
pub fn date_filter(value: XsDateTime) -> Option<String> {
    let dt = value.0?;
    if dt.year() <= 1 {
        return None;
    }
    dt.to_offset(time::UtcOffset::UTC).format(&Rfc3339).ok()
}

/// A page request: `PageNo` 0 is the first page and `RecordsPerPage` 0 the
/// upstream's default; more than 500 records per page is refused.
pub fn page(page_no: i16, records_per_page: i16) -> Result<(Option<u32>, Option<u32>), Fault> {
    if page_no < 0 {
        return Err(Fault::invalid(format!(
            "parameter PageNo must be 1 or more (0 = the first page), got {page_no}"
        )));
    }
    if !(0..=500).contains(&records_per_page) {
        return Err(Fault::invalid(format!(
            "parameter RecordsPerPage must be 1 to 500 (0 = the default, 25), got {records_per_page}"
        )));
    }
    let some = |v: i16| (v > 0).then_some(v as u32);
    Ok((some(page_no), some(records_per_page)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::enums::EDIStandard;

    #[test]
    fn upstream_values_cross_or_fault_naming_the_field() {
        let x12: EDIStandard = upstream_enum_or_default("standard", Some("x12")).unwrap();
        assert_eq!(x12, EDIStandard::X12);
        let absent: EDIStandard = upstream_enum_or_default("standard", None).unwrap();
        assert_eq!(absent, EDIStandard::X12);
        let bad = upstream_enum_or_default::<EDIStandard>("standard", Some("COBOL")).unwrap_err();
        assert!(bad.message.contains("`standard`"), "{}", bad.message);
        assert_eq!(wsdl_int::<i32>("bytes", Some(7)).unwrap(), 7);
        assert_eq!(wsdl_int::<i32>("bytes", None).unwrap(), 0);
        let wide = wsdl_int::<i32>("parcelId", Some(1 << 40)).unwrap_err();
        assert!(wide.message.contains("`parcelId`"));
    }

    #[test]
    fn client_values_are_checked_before_any_call() {
        assert_eq!(object_id("ParcelID", 5i64).unwrap(), 5);
        let zero = object_id("ParcelID", 0i64).unwrap_err();
        assert!(zero.message.contains("parameter ParcelID is required"));
        assert_eq!(scope("MailboxID", 0).unwrap(), None);
        assert_eq!(scope("MailboxID", 101).unwrap(), Some(101));
        assert!(scope("MailboxID", -1).is_err());
        assert_eq!(page(0, 0).unwrap(), (None, None));
        assert_eq!(page(2, 50).unwrap(), (Some(2), Some(50)));
        assert!(page(-1, 10).is_err());
        assert!(page(1, 501).is_err());
        assert_eq!(date_filter(XsDateTime(None)), None);
        let min = time::macros::datetime!(0001-01-01 00:00 UTC);
        assert_eq!(date_filter(min.into()), None);
        let may = time::macros::datetime!(2026-05-07 16:00 +02:00);
        assert_eq!(
            date_filter(may.into()).as_deref(),
            Some("2026-05-07T14:00:00Z")
        );
    }
}
