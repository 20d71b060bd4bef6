//! Writes response envelopes and faults the way ASMX does (DESIGN.md rule 3):
//! `<soap:Envelope xmlns:soap xmlns:xsi xmlns:xsd><soap:Body><OpResponse
//! xmlns="NS">…`, in the request's SOAP version and namespace.
//!
//! Text is escaped for XML 1.0, and characters XML 1.0 cannot carry at all
//! (most control characters, which an upstream body may contain) are written
//! as U+FFFD so the response always parses.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::fault::Fault;
use super::namespace::{SoapVersion, XSD, XSI};

/// What .NET writes for a `DateTime` that has no value (`DateTime.MinValue`).
pub const MIN_DATETIME: &str = "0001-01-01T00:00:00Z";

/// A small append-only XML writer for response bodies.
#[derive(Debug, Default)]
pub struct XmlWriter {
    buf: String,
}

impl XmlWriter {
    /// A writer with room for a typical response.
    pub fn with_capacity(capacity: usize) -> Self {
        XmlWriter {
            buf: String::with_capacity(capacity),
        }
    }

    /// The XML written so far.
    pub fn into_string(self) -> String {
        self.buf
    }

    /// Writes `<name>`.
    pub fn start(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// Writes `</name>`.
    pub fn end(&mut self, name: &str) {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// Writes `<name>text</name>` with `text` escaped.
    pub fn text(&mut self, name: &str, text: &str) {
        self.start(name);
        escape_into(&mut self.buf, text);
        self.end(name);
    }

    /// Writes `<name>text</name>` when `text` is `Some` (a `minOccurs="0"`
    /// string), nothing otherwise.
    pub fn opt_text(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.text(name, text);
        }
    }

    /// Writes a number, boolean or wire enum by its text form (which never
    /// needs escaping).
    pub fn value(&mut self, name: &str, value: impl XmlValue) {
        self.start(name);
        value.write_xml(&mut self.buf);
        self.end(name);
    }

    /// Writes a value by its `Display` form, which must never need
    /// escaping (a GUID): for the odd value that is not an [`XmlValue`];
    /// `fmt` is slower than [`XmlWriter::value`].
    pub fn display(&mut self, name: &str, value: impl std::fmt::Display) {
        use std::fmt::Write as _;
        self.start(name);
        let _ = write!(self.buf, "{value}");
        self.end(name);
    }

    /// Writes an `xs:boolean`.
    pub fn boolean(&mut self, name: &str, value: bool) {
        self.literal(name, &[if value { "true" } else { "false" }]);
    }

    /// Writes `<name>` with `parts` as they are: only for the writer's own
    /// constants, which never need escaping.
    fn literal(&mut self, name: &str, parts: &[&str]) {
        self.start(name);
        for part in parts {
            self.buf.push_str(part);
        }
        self.end(name);
    }

    /// Writes an `xs:dateTime` in UTC; `None` writes [`MIN_DATETIME`] (a
    /// `minOccurs="1"` dateTime must always be written).
    pub fn datetime(&mut self, name: &str, value: Option<OffsetDateTime>) {
        self.start(name);
        match value {
            Some(dt) => self.buf.push_str(&format_datetime(dt)),
            None => self.buf.push_str(MIN_DATETIME),
        }
        self.end(name);
    }
}

/// Formats a timestamp as `xs:dateTime` in UTC (`2026-05-07T14:32:00Z`),
/// with at most 7 fractional digits: the time is cut to .NET's 100 ns tick
/// (what ASMX writes; strict parsers truncate or refuse a 9-digit
/// fraction), trailing zeros dropped.
pub fn format_datetime(dt: OffsetDateTime) -> String {
    let utc = dt.to_offset(UtcOffset::UTC);
    let nanos = utc.nanosecond();
    utc.replace_nanosecond(nanos - nanos % 100)
        .unwrap_or(utc)
        .format(&Rfc3339)
        .unwrap_or_else(|_| MIN_DATETIME.to_string())
}

/// Something that writes the children of an operation's response element.
pub trait WriteBody {
    /// Writes `<OpResult>…</OpResult>` (or nothing when the result is absent).
    fn write_body(&self, w: &mut XmlWriter);
}

impl<F: Fn(&mut XmlWriter)> WriteBody for F {
    fn write_body(&self, w: &mut XmlWriter) {
        self(w)
    }
}

fn open_envelope(w: &mut XmlWriter, version: SoapVersion) {
    w.buf
        .push_str(r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap=""#);
    w.buf.push_str(version.envelope_ns());
    w.buf.push_str(r#"" xmlns:xsi=""#);
    w.buf.push_str(XSI);
    w.buf.push_str(r#"" xmlns:xsd=""#);
    w.buf.push_str(XSD);
    w.buf.push_str(r#""><soap:Body>"#);
}

fn close_envelope(w: &mut XmlWriter) {
    w.buf.push_str("</soap:Body></soap:Envelope>");
}

/// Writes a whole response envelope: `<{operation}Response xmlns="{ns}">`
/// around what `body` writes.
pub fn write_response(
    version: SoapVersion,
    namespace: &str,
    operation: &str,
    body: &dyn WriteBody,
) -> String {
    let mut w = XmlWriter::with_capacity(1024);
    open_envelope(&mut w, version);
    w.buf.push('<');
    w.buf.push_str(operation);
    w.buf.push_str(r#"Response xmlns=""#);
    escape_into(&mut w.buf, namespace);
    w.buf.push_str(r#"">"#);
    body.write_body(&mut w);
    w.buf.push_str("</");
    w.buf.push_str(operation);
    w.buf.push_str("Response>");
    close_envelope(&mut w);
    w.into_string()
}

/// Writes a whole fault envelope in the given SOAP version.
pub fn write_fault(version: SoapVersion, fault: &Fault) -> String {
    let mut w = XmlWriter::with_capacity(512);
    open_envelope(&mut w, version);
    w.start("soap:Fault");
    match version {
        SoapVersion::V11 => {
            w.literal("faultcode", &["soap:", fault.code.soap11()]);
            w.text("faultstring", &fault.message);
            w.start("detail");
            w.text("ECGridOSSOAPErrorCode", fault.error_code.as_str());
            w.end("detail");
        }
        SoapVersion::V12 => {
            w.start("soap:Code");
            w.literal("soap:Value", &["soap:", fault.code.soap12()]);
            w.end("soap:Code");
            w.start("soap:Reason");
            w.buf.push_str(r#"<soap:Text xml:lang="en">"#);
            escape_into(&mut w.buf, &fault.message);
            w.end("soap:Text");
            w.end("soap:Reason");
            w.start("soap:Detail");
            w.text("ECGridOSSOAPErrorCode", fault.error_code.as_str());
            w.end("soap:Detail");
        }
    }
    w.end("soap:Fault");
    close_envelope(&mut w);
    w.into_string()
}

/// True for characters XML 1.0 can carry.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A value [`XmlWriter::value`] writes as is: its text form never needs
/// escaping. Integers are formatted with `itoa` rather than `fmt` (a
/// response writes several; `fmt` cost ~200 instructions each).
pub trait XmlValue {
    /// Appends the text form to `out`.
    fn write_xml(&self, out: &mut String);
}

macro_rules! xml_value_integers {
    ($($t:ty),*) => {$(
        impl XmlValue for $t {
            fn write_xml(&self, out: &mut String) {
                out.push_str(itoa::Buffer::new().format(*self));
            }
        }
    )*};
}
xml_value_integers!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

/// The wire enums, by their canonical names.
impl<T: crate::domain::WireName> XmlValue for T {
    fn write_xml(&self, out: &mut String) {
        out.push_str(self.wire_name());
    }
}

/// Appends `text` escaped for element content and attribute values.
/// Runs of characters that need nothing (printable ASCII other than
/// `<>&"`, tab, newline) are copied whole; only the others go through
/// [`escape_char`].
pub fn escape_into(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        if needs_nothing(bytes[i]) {
            i += 1;
            continue;
        }
        out.push_str(&text[plain_from..i]);
        // `i` is at a character boundary: everything skipped was ASCII.
        let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
        escape_char(out, c);
        i += c.len_utf8();
        plain_from = i;
    }
    out.push_str(&text[plain_from..]);
}

/// An ASCII byte that stands for itself in XML text and attributes.
fn needs_nothing(b: u8) -> bool {
    NEEDS_NOTHING[usize::from(b)]
}

/// [`needs_nothing`] as a table (one load per byte instead of five
/// comparisons): tab, newline and printable ASCII other than `<>&"`.
static NEEDS_NOTHING: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = matches!(byte, b'\t' | b'\n' | b' '..=b'~')
            && !matches!(byte, b'<' | b'>' | b'&' | b'"');
        b += 1;
    }
    table
};

/// Appends one character escaped; a character XML cannot carry becomes
/// U+FFFD.
fn escape_char(out: &mut String, c: char) {
    match c {
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        '"' => out.push_str("&quot;"),
        '\r' => out.push_str("&#xD;"),
        c if is_xml_char(c) => out.push(c),
        _ => out.push('\u{FFFD}'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::fault::ErrorCode;

    #[test]
    fn response_envelope_looks_like_asmx() {
        let xml = write_response(
            SoapVersion::V11,
            "https://os.ecgrid.io/",
            "Version",
            &|w: &mut XmlWriter| w.text("VersionResult", "a<b"),
        );
        assert_eq!(
            xml,
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body><VersionResponse xmlns="https://os.ecgrid.io/"><VersionResult>a&lt;b</VersionResult></VersionResponse></soap:Body></soap:Envelope>"#
        );
    }

    #[test]
    fn escaping_replaces_characters_xml_cannot_carry() {
        let mut out = String::new();
        escape_into(&mut out, "ok\u{0}\u{1B}é&\r\n\"");
        assert_eq!(out, "ok\u{FFFD}\u{FFFD}é&amp;&#xD;\n&quot;");
    }

    #[test]
    fn escaping_by_runs_matches_escaping_each_character() {
        let samples = [
            "",
            "plain ASCII text, 0-9 and ~",
            "<a href=\"x\">&amp;</a>",
            "tab\tnew\nline\rreturn",
            "Müller & Söhne GmbH — 東京 🚚",
            "\u{7F}\u{80}\u{9F}\u{D7FF}\u{E000}\u{FFFD}\u{FFFE}\u{FFFF}\u{10000}",
            "é<",
            "<é",
            "\u{1}",
            "a\u{1}b\u{1F}c",
        ];
        for text in samples {
            let mut by_runs = String::new();
            escape_into(&mut by_runs, text);
            let mut each = String::new();
            for c in text.chars() {
                escape_char(&mut each, c);
            }
            assert_eq!(by_runs, each, "{text:?}");
        }
    }

    #[test]
    fn faults_in_both_versions() {
        let fault = Fault::client(ErrorCode::Authentication, "bad <session>");
        let v11 = write_fault(SoapVersion::V11, &fault);
        assert!(v11.contains("<faultcode>soap:Client</faultcode><faultstring>bad &lt;session&gt;</faultstring><detail><ECGridOSSOAPErrorCode>Authentication</ECGridOSSOAPErrorCode></detail>"), "{v11}");
        let v12 = write_fault(SoapVersion::V12, &Fault::server("down"));
        assert!(v12.contains("<soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang=\"en\">down</soap:Text></soap:Reason><soap:Detail><ECGridOSSOAPErrorCode>SystemError</ECGridOSSOAPErrorCode></soap:Detail>"), "{v12}");
        assert!(v12.contains(r#"xmlns:soap="http://www.w3.org/2003/05/soap-envelope""#));
    }

    #[test]
    fn datetimes_are_utc() {
        let dt = time::macros::datetime!(2026-05-07 16:32:00 +02:00);
        assert_eq!(format_datetime(dt), "2026-05-07T14:32:00Z");
        let dt = time::macros::datetime!(2026-05-07 14:32:00.123456789 UTC);
        assert_eq!(format_datetime(dt), "2026-05-07T14:32:00.1234567Z");
        let dt = time::macros::datetime!(2026-05-07 14:32:00.999999999 UTC);
        assert_eq!(format_datetime(dt), "2026-05-07T14:32:00.9999999Z");
        let dt = time::macros::datetime!(2026-05-07 14:32:00.5 UTC);
        assert_eq!(format_datetime(dt), "2026-05-07T14:32:00.5Z");
        let mut w = XmlWriter::default();
        w.datetime("LastLogin", None);
        assert_eq!(
            w.into_string(),
            "<LastLogin>0001-01-01T00:00:00Z</LastLogin>"
        );
    }
}
