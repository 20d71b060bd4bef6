//! What the generated shapes are made of: [`WriteXml`] (a value writes
//! itself as one element), [`FromParam`] (a parameter read from the request),
//! and the two XSD types that are not plain Rust values, [`XsDateTime`] and
//! [`Base64`].

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::domain::WireName;
use crate::soap::writer::XmlWriter;
use crate::soap::{Fault, Params};

/// A value that writes itself as the element `tag` (for a complex type:
/// `<tag>` and its children in the WSDL's sequence order).
pub trait WriteXml {
    /// Writes `<tag>…</tag>` (or nothing for an absent optional value).
    fn write_xml(&self, w: &mut XmlWriter, tag: &str);
}

macro_rules! write_xml_by_value {
    ($($t:ty),*) => {$(
        impl WriteXml for $t {
            fn write_xml(&self, w: &mut XmlWriter, tag: &str) {
                w.value(tag, *self);
            }
        }
    )*};
}
write_xml_by_value!(i16, i32, i64, u8);

impl WriteXml for bool {
    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {
        w.boolean(tag, *self);
    }
}

impl WriteXml for f32 {
    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {
        // xs:float's lexical forms: Rust's `Display` never uses an exponent,
        // and spells the specials differently.
        if self.is_nan() {
            w.text(tag, "NaN");
        } else if self.is_infinite() {
            w.text(tag, if *self > 0.0 { "INF" } else { "-INF" });
        } else if self.fract() == 0.0
            && self.abs() < 16_777_216.0
            && !(*self == 0.0 && self.is_sign_negative())
        {
            // An exact integer (below 2^24), as `Display` writes it but
            // without `fmt`'s float formatting (WhoAmI's TimeZoneOffset 0 is
            // on the hot path). `-0` keeps `Display`'s sign.
            w.value(tag, *self as i32);
        } else {
            w.display(tag, self);
        }
    }
}

impl WriteXml for String {
    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {
        w.text(tag, self);
    }
}

impl<T: WriteXml> WriteXml for Option<T> {
    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {
        if let Some(value) = self {
            value.write_xml(w, tag);
        }
    }
}

impl<T: WriteXml> WriteXml for Box<T> {
    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {
        (**self).write_xml(w, tag);
    }
}

/// Writes a wire enum by its canonical name (the generated enums' and
/// `crate::domain`'s `WriteXml` impls call it).
pub fn write_enum(value: impl WireName, w: &mut XmlWriter, tag: &str) {
    // Not escaped: the WSDLs' enumeration values are all [A-Za-z0-9_]
    // (`enum_names_need_no_escaping` below checks the generated ones).
    w.value(tag, value);
}

/// An `xs:dateTime`, written in UTC; no value writes .NET's
/// `DateTime.MinValue` (a `minOccurs="1"` dateTime is always written).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct XsDateTime(pub Option<OffsetDateTime>);

impl From<OffsetDateTime> for XsDateTime {
    fn from(value: OffsetDateTime) -> Self {
        XsDateTime(Some(value))
    }
}

impl From<Option<OffsetDateTime>> for XsDateTime {
    fn from(value: Option<OffsetDateTime>) -> Self {
        XsDateTime(value)
    }
}

impl WriteXml for XsDateTime {
    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {
        w.datetime(tag, self.0);
    }
}

/// An `xs:base64Binary` as its base64 text, never decoded by the gateway: a
/// download's content passes from the REST JSON to the SOAP answer as it
/// came, an upload's from the SOAP request to the REST JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Base64(pub String);

impl Base64 {
    /// The base64 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads base64 text as a SOAP client sends it: whitespace (line breaks
    /// of wrapped base64) is dropped; any other character outside the
    /// base64 alphabet, or a length that is not a whole number of quads, is
    /// refused naming the parameter and the first bad position. Linear in
    /// the text; copies it (see [`Base64::from_text`] for the form that
    /// does not).
    pub fn parse(name: &str, text: &str) -> Result<Self, Fault> {
        Base64::from_text(name, text.to_string())
    }

    /// [`Base64::parse`] of text the caller gives up: checked in one pass
    /// without allocating, whitespace dropped in place, never copied (an
    /// upload's file moves from the envelope to the REST body).
    pub fn from_text(name: &str, mut text: String) -> Result<Self, Fault> {
        if check_base64(name, text.as_bytes())? {
            text.retain(|c| !c.is_ascii_whitespace());
        }
        Ok(Base64(text))
    }

    /// How many bytes the base64 text decodes to.
    pub fn decoded_len(&self) -> usize {
        let text = self.0.as_bytes();
        let padding = text.iter().rev().take(2).filter(|&&b| b == b'=').count();
        (text.len() / 4 * 3).saturating_sub(padding)
    }
}

/// Checks base64 text (whitespace allowed anywhere) and says whether it has
/// whitespace to drop. Linear, no allocation but for a fault's message.
fn check_base64(name: &str, bytes: &[u8]) -> Result<bool, Fault> {
    let mut has_space = false;
    let mut count = 0usize;
    let mut padding = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => has_space = true,
            b'=' => {
                padding += 1;
                count += 1;
            }
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if padding == 0 => count += 1,
            _ => {
                return Err(Fault::invalid(format!(
                    "parameter {name} must be base64 (A-Z a-z 0-9 + / and = padding at the end), got a byte 0x{b:02X} at offset {i}"
                )))
            }
        }
    }
    if count % 4 != 0 || padding > 2 {
        return Err(Fault::invalid(format!(
            "parameter {name} is not whole base64: {count} base64 characters ({padding} of them padding), a multiple of 4 with at most 2 '=' expected"
        )));
    }
    Ok(has_space)
}

impl WriteXml for Base64 {
    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {
        w.text(tag, &self.0);
    }
}

/// A request parameter's Rust type, read from the operation element's
/// parameters by name. Absent value types take their .NET default (`0`,
/// `false`, the enum's first value, `DateTime.MinValue`), as ASMX's
/// serializer leaves them; a present but malformed value is an
/// InvalidParameter fault naming the parameter.
pub trait FromParam: Sized {
    /// Reads parameter `name`; strings and base64 are moved out of
    /// `params` ([`Params::take`]), not copied.
    fn from_param(params: &mut Params, name: &str) -> Result<Self, Fault>;
}

macro_rules! from_param_integers {
    ($($t:ty),*) => {$(
        impl FromParam for $t {
            fn from_param(params: &mut Params, name: &str) -> Result<Self, Fault> {
                Ok(params.int::<$t>(name)?.unwrap_or_default())
            }
        }
    )*};
}
from_param_integers!(i16, i32, i64, u8);

impl FromParam for bool {
    fn from_param(params: &mut Params, name: &str) -> Result<Self, Fault> {
        Ok(params.bool(name)?.unwrap_or(false))
    }
}

impl FromParam for f32 {
    fn from_param(params: &mut Params, name: &str) -> Result<Self, Fault> {
        match params.get(name).map(str::trim) {
            None | Some("") => Ok(0.0),
            Some("INF") => Ok(f32::INFINITY),
            Some("-INF") => Ok(f32::NEG_INFINITY),
            Some("NaN") => Ok(f32::NAN),
            Some(text) => text.parse().map_err(|_| {
                Fault::invalid(format!(
                    "parameter {name} must be a number of type float, got '{}'",
                    clip(text)
                ))
            }),
        }
    }
}

impl FromParam for Option<String> {
    fn from_param(params: &mut Params, name: &str) -> Result<Self, Fault> {
        Ok(params.take(name))
    }
}

impl FromParam for Option<Base64> {
    fn from_param(params: &mut Params, name: &str) -> Result<Self, Fault> {
        params
            .take(name)
            .map(|text| Base64::from_text(name, text))
            .transpose()
    }
}

impl FromParam for XsDateTime {
    fn from_param(params: &mut Params, name: &str) -> Result<Self, Fault> {
        match params.get(name).map(str::trim) {
            None | Some("") => Ok(XsDateTime(None)),
            Some(text) => parse_datetime(text).map(XsDateTime::from).ok_or_else(|| {
                Fault::invalid(format!(
                    "parameter {name} must be an xs:dateTime such as 2026-05-07T14:32:00Z, got '{}'",
                    clip(text)
                ))
            }),
        }
    }
}

/// Reads an `xs:dateTime` as clients send it: with an offset or `Z`, or
/// without one (taken as UTC, as .NET's `DateTimeKind.Unspecified` is by
/// ECGridOS), or a bare date (midnight UTC).
pub fn parse_datetime(text: &str) -> Option<OffsetDateTime> {
    if let Ok(dt) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(dt);
    }
    let without_fraction = text.split('.').next().unwrap_or(text);
    if let Ok(dt) = PrimitiveDateTime::parse(
        without_fraction,
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
    ) {
        return Some(dt.assume_utc());
    }
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .ok()
        .map(|d| d.midnight().assume_utc())
}

/// A value cut for a fault message.
fn clip(text: &str) -> String {
    const SHOWN: usize = 40;
    if text.chars().count() <= SHOWN {
        text.to_string()
    } else {
        let shown: String = text.chars().take(SHOWN).collect();
        format!("{shown}… ({} bytes)", text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_keeps_plain_text_drops_line_breaks_and_refuses_the_rest() {
        assert_eq!(Base64::parse("C", "SGVsbG8=").unwrap().as_str(), "SGVsbG8=");
        assert_eq!(
            Base64::parse("C", "SGVs\r\nbG8=\n").unwrap().as_str(),
            "SGVsbG8="
        );
        assert_eq!(Base64::parse("C", "SGVsbG8=").unwrap().decoded_len(), 5);
        assert_eq!(Base64::parse("C", "").unwrap().decoded_len(), 0);
        let bad = Base64::parse("Content", "SGV*bG8=").unwrap_err();
        assert!(bad.message.contains("0x2A at offset 3"), "{}", bad.message);
        let data_after_padding = Base64::parse("Content", "SG==bG8=").unwrap_err();
        assert!(data_after_padding.message.contains("offset 4"));
        let short = Base64::parse("Content", "SGVsbG8").unwrap_err();
        assert!(
            short.message.contains("7 base64 characters"),
            "{}",
            short.message
        );
    }

    #[test]
    fn base64_from_text_keeps_the_callers_buffer() {
        let wrapped = String::from("SGVs\r\nbG8=\n");
        let buffer = wrapped.as_ptr();
        let content = Base64::from_text("Content", wrapped).unwrap();
        assert_eq!(content.as_str(), "SGVsbG8=");
        assert_eq!(content.0.as_ptr(), buffer, "copied");
        let mut params = Params::from_pairs([("Content", "QQ=="), ("Name", "a")]);
        let taken = <Option<Base64>>::from_param(&mut params, "Content").unwrap();
        assert_eq!(taken.unwrap().as_str(), "QQ==");
        assert_eq!(params.get("Content"), None, "moved out, not copied");
        let name = <Option<String>>::from_param(&mut params, "Name").unwrap();
        assert_eq!(name.as_deref(), Some("a"));
    }

    #[test]
    fn datetimes_in_every_published_form() {
        let z = parse_datetime("2026-05-07T14:32:00Z").unwrap();
        assert_eq!(parse_datetime("2026-05-07T14:32:00").unwrap(), z);
        assert_eq!(parse_datetime("2026-05-07T16:32:00+02:00").unwrap(), z);
        assert_eq!(parse_datetime("2026-05-07T14:32:00.1234567").unwrap(), z);
        assert_eq!(
            parse_datetime("2026-05-07").unwrap(),
            time::macros::datetime!(2026-05-07 00:00 UTC)
        );
        assert!(parse_datetime("May 7").is_none());
        let mut params = Params::from_pairs([("BeginDate", "soon")]);
        let fault = XsDateTime::from_param(&mut params, "BeginDate").unwrap_err();
        assert!(fault.message.contains("BeginDate must be an xs:dateTime"));
        assert_eq!(
            XsDateTime::from_param(&mut params, "EndDate").unwrap(),
            XsDateTime(None)
        );
    }

    #[test]
    fn floats_in_xsd_lexical_forms() {
        let mut w = XmlWriter::default();
        1.5f32.write_xml(&mut w, "A");
        f32::INFINITY.write_xml(&mut w, "B");
        f32::NAN.write_xml(&mut w, "C");
        assert_eq!(w.into_string(), "<A>1.5</A><B>INF</B><C>NaN</C>");
        let mut params = Params::from_pairs([("F", "-INF"), ("G", "x")]);
        assert_eq!(
            f32::from_param(&mut params, "F").unwrap(),
            f32::NEG_INFINITY
        );
        assert!(f32::from_param(&mut params, "G").is_err());
    }

    #[test]
    fn integral_floats_are_written_as_display_writes_them() {
        for value in [
            0.0f32,
            -0.0,
            1.0,
            -3.0,
            5.5,
            16_777_215.0,
            16_777_216.0,
            1e10,
            -1e-3,
        ] {
            let mut w = XmlWriter::default();
            value.write_xml(&mut w, "F");
            assert_eq!(w.into_string(), format!("<F>{value}</F>"), "{value}");
        }
    }

    #[test]
    fn enum_names_need_no_escaping() {
        let sources = [
            include_str!("generated/enums.rs"),
            include_str!("../domain.rs"),
        ];
        let mut names = 0;
        for line in sources.iter().flat_map(|s| s.lines()) {
            for value in line.split(" = \"").skip(1) {
                let name = value.split('"').next().unwrap_or_default();
                assert!(
                    name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                    "{name} in {line}"
                );
                names += 1;
            }
        }
        assert!(names > 100, "only {names} enum names found");
        let mut w = XmlWriter::default();
        write_enum(crate::domain::Status::Active, &mut w, "S");
        assert_eq!(w.into_string(), "<S>Active</S>");
    }

    #[test]
    fn absent_optional_values_write_nothing() {
        let mut w = XmlWriter::default();
        None::<String>.write_xml(&mut w, "A");
        Some(Box::new(7i32)).write_xml(&mut w, "B");
        XsDateTime(None).write_xml(&mut w, "C");
        assert_eq!(w.into_string(), "<B>7</B><C>0001-01-01T00:00:00Z</C>");
    }
}
