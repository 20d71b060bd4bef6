//! Reading the routing header of an uploaded file: the first X12 `ISA` or
//! EDIFACT `UNB` (`edifact_header.rs`) interchange header (sender,
//! receiver, control number, date, document type).
//!
//! Every function here looks at each input byte at most a fixed number of
//! times, reads at most [`SCAN_LIMIT`] bytes of a file, and never panics:
//! indexing is by `get`, and a malformed header is an error value.

use time::{Date, Month, OffsetDateTime, Time};

/// Most bytes of a file scanned for the header and the document type.
pub(crate) const SCAN_LIMIT: usize = 64 * 1024;
/// Most bytes of the ISA/UNB segment kept as `header`, and searched for it.
pub(crate) const HEADER_LIMIT: usize = 512;
/// Most bytes of the kept header text.
const HEADER_TEXT_LIMIT: usize = 256;

/// The EDI standard of an interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standard {
    /// ASC X12 (`ISA`).
    X12,
    /// UN/EDIFACT (`UNB`).
    Edifact,
}

impl Standard {
    /// The `EDIStandard` wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Standard::X12 => "X12",
            Standard::Edifact => "EDIFACT",
        }
    }
}

/// A party of an interchange header: qualifier (may be empty for EDIFACT)
/// and id, both trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Party {
    pub qualifier: String,
    pub id: String,
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.qualifier.is_empty() {
            write!(f, "{}", self.id)
        } else {
            write!(f, "{}/{}", self.qualifier, self.id)
        }
    }
}

/// The routing facts of an interchange header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InterchangeHeader {
    pub standard: Standard,
    pub sender: Party,
    pub receiver: Party,
    /// ISA13 or UNB 0020, trimmed.
    pub control_id: String,
    /// ISA09/ISA10 or UNB S004, read as UTC.
    pub date_time: Option<OffsetDateTime>,
    /// First X12 ST01 or EDIFACT UNH message type (`""` if none).
    pub document_type: String,
    /// The header segment as sent (lossy UTF-8, at most 256 bytes).
    pub header: String,
}

impl InterchangeHeader {
    /// Names of the sender fields, for messages.
    pub fn sender_fields(&self) -> &'static str {
        match self.standard {
            Standard::X12 => "ISA05/ISA06 sender",
            Standard::Edifact => "UNB S002 sender",
        }
    }

    /// Names of the receiver fields, for messages.
    pub fn receiver_fields(&self) -> &'static str {
        match self.standard {
            Standard::X12 => "ISA07/ISA08 receiver",
            Standard::Edifact => "UNB S003 recipient",
        }
    }
}

/// What the start of a file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sniff {
    /// No ISA/UNB header: not EDI.
    NotEdi,
    /// A readable interchange header.
    Edi(InterchangeHeader),
    /// Starts like a header but cannot be read; the message says why.
    Malformed(String),
}

/// Reads the first interchange header of `file` (after optional ASCII
/// whitespace and a UTF-8 BOM).
pub(crate) fn read_header(file: &[u8]) -> Sniff {
    let file = &file[..file.len().min(SCAN_LIMIT)];
    let mut start = 0;
    if file.starts_with(b"\xEF\xBB\xBF") {
        start = 3;
    }
    while file.get(start).is_some_and(|b| b.is_ascii_whitespace()) {
        start += 1;
    }
    let rest = file.get(start..).unwrap_or_default();
    if rest.starts_with(b"ISA") {
        read_isa(rest)
    } else if rest.starts_with(b"UNA") || rest.starts_with(b"UNB") {
        super::edifact_header::read_unb(rest)
    } else {
        Sniff::NotEdi
    }
}

/// Lossy UTF-8, trimmed.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

/// The header segment as text (lossy UTF-8, at most 256 bytes).
pub(crate) fn header_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(HEADER_TEXT_LIMIT)]).into_owned()
}

fn two_digits(b: &[u8]) -> Option<u8> {
    match b {
        [x, y] if x.is_ascii_digit() && y.is_ascii_digit() => Some((x - b'0') * 10 + (y - b'0')),
        _ => None,
    }
}

/// `YYMMDD` (or `CCYYMMDD`) and `HHMM` as a UTC date-time.
pub(crate) fn edi_date_time(date: &[u8], time: &[u8]) -> Option<OffsetDateTime> {
    let (year, md) = match date.len() {
        6 => (
            2000 + i32::from(two_digits(date.get(..2)?)?),
            date.get(2..)?,
        ),
        8 => (
            i32::from(two_digits(date.get(..2)?)?) * 100 + i32::from(two_digits(date.get(2..4)?)?),
            date.get(4..)?,
        ),
        _ => return None,
    };
    let month = Month::try_from(two_digits(md.get(..2)?)?).ok()?;
    let day = two_digits(md.get(2..4)?)?;
    let hour = two_digits(time.get(..2)?)?;
    let minute = two_digits(time.get(2..4)?)?;
    let d = Date::from_calendar_date(year, month, day).ok()?;
    let t = Time::from_hms(hour, minute, 0).ok()?;
    Some(d.with_time(t).assume_utc())
}

fn read_isa(seg: &[u8]) -> Sniff {
    let Some(&sep) = seg.get(3) else {
        return Sniff::NotEdi;
    };
    if sep.is_ascii_alphanumeric() || sep.is_ascii_whitespace() {
        return Sniff::NotEdi;
    }
    // ISA01..ISA15 end at the 1st..16th separator; ISA16 is one byte, then
    // the segment terminator.
    let window = &seg[..seg.len().min(HEADER_LIMIT)];
    let mut bounds = Vec::with_capacity(16);
    for (i, &b) in window.iter().enumerate().skip(3) {
        if b == sep {
            bounds.push(i);
            if bounds.len() == 16 {
                break;
            }
        }
    }
    if bounds.len() < 16 {
        return Sniff::Malformed(format!(
            "the ISA header has {} of its 16 elements in its first {HEADER_LIMIT} bytes (element separator {:?})",
            bounds.len().saturating_sub(1),
            char::from(sep)
        ));
    }
    let element = |n: usize| -> &[u8] {
        // ISA(n) runs from bounds[n-1]+1 to bounds[n].
        match (bounds.get(n - 1), bounds.get(n)) {
            (Some(&a), Some(&b)) => window.get(a + 1..b).unwrap_or_default(),
            _ => &[],
        }
    };
    let last = bounds[15];
    let terminator = window.get(last + 2).copied();
    let header_end = (last + 3).min(window.len());
    let sender = Party {
        qualifier: text(element(5)),
        id: text(element(6)),
    };
    let receiver = Party {
        qualifier: text(element(7)),
        id: text(element(8)),
    };
    if sender.id.is_empty() {
        return Sniff::Malformed("the ISA header's ISA06 (sender ID) is empty".into());
    }
    if receiver.id.is_empty() {
        return Sniff::Malformed("the ISA header's ISA08 (receiver ID) is empty".into());
    }
    let document_type = match terminator {
        Some(t) => x12_document_type(seg.get(header_end..).unwrap_or_default(), sep, t),
        None => String::new(),
    };
    Sniff::Edi(InterchangeHeader {
        standard: Standard::X12,
        sender,
        receiver,
        control_id: text(element(13)),
        date_time: edi_date_time(text(element(9)).as_bytes(), text(element(10)).as_bytes()),
        document_type,
        header: header_text(&window[..header_end]),
    })
}

/// ST01 of the first `ST` segment after the ISA.
fn x12_document_type(rest: &[u8], sep: u8, terminator: u8) -> String {
    for segment in rest.split(|b| *b == terminator) {
        let start = segment
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(segment.len());
        let s = &segment[start..];
        if s.len() > 2 && s.starts_with(b"ST") && s[2] == sep {
            let body = &s[3..];
            let end = body.iter().position(|b| *b == sep).unwrap_or(body.len());
            return text(&body[..end]);
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const X12_850: &str = "ISA*00*          *00*          *ZZ*ECGRIDDEMO     *ZZ*ECGRIDPARTNER  *260507*1030*U*00401*000000001*0*P*>~\nGS*PO*ECGRIDDEMO*ECGRIDPARTNER*20260507*1030*1*X*004010~\nST*850*0001~\nBEG*00*SA*PO123**20260507~\nSE*3*0001~\nGE*1*1~\nIEA*1*000000001~\n";

    fn edi(bytes: &[u8]) -> InterchangeHeader {
        match read_header(bytes) {
            Sniff::Edi(h) => h,
            other => panic!("expected a header, got {other:?}"),
        }
    }

    #[test]
    fn reads_an_x12_header() {
        let h = edi(X12_850.as_bytes());
        assert_eq!(h.standard, Standard::X12);
        assert_eq!(h.sender.to_string(), "ZZ/ECGRIDDEMO");
        assert_eq!(h.receiver.to_string(), "ZZ/ECGRIDPARTNER");
        assert_eq!(h.control_id, "000000001");
        assert_eq!(h.document_type, "850");
        assert_eq!(
            h.date_time,
            Some(time::macros::datetime!(2026-05-07 10:30 UTC))
        );
        assert!(h.header.starts_with("ISA*00*") && h.header.ends_with("*>~"));
    }

    #[test]
    fn the_element_separator_is_the_fourth_byte() {
        let s = X12_850.replace('*', "|");
        let h = edi(format!("\u{feff}  \r\n{s}").as_bytes());
        assert_eq!(h.receiver.id, "ECGRIDPARTNER");
        assert_eq!(h.document_type, "850");
    }

    #[test]
    fn reads_an_edifact_header_with_una_and_release() {
        let f = b"UNA:+.? 'UNB+UNOA:3+ECGRIDDEMO:ZZ+ECGRID?+PARTNER:ZZ+260507:1030+REF42'UNH+1+ORDERS:D:96A:UN'";
        let h = edi(f);
        assert_eq!(h.standard, Standard::Edifact);
        assert_eq!(h.sender.to_string(), "ZZ/ECGRIDDEMO");
        assert_eq!(h.receiver.id, "ECGRID+PARTNER");
        assert_eq!(h.control_id, "REF42");
        assert_eq!(h.document_type, "ORDERS");
        let h = edi(b"UNB+UNOA:1+A+B+260507:1030+1'");
        assert_eq!(
            (h.sender.qualifier.as_str(), h.receiver.id.as_str()),
            ("", "B")
        );
    }

    #[test]
    fn not_edi_and_malformed_headers() {
        assert_eq!(read_header(b""), Sniff::NotEdi);
        assert_eq!(read_header(b"hello"), Sniff::NotEdi);
        assert_eq!(read_header(b"ISAAC NEWTON"), Sniff::NotEdi);
        assert_eq!(read_header(b"ISA"), Sniff::NotEdi);
        assert_eq!(read_header(b"UNBOX"), Sniff::NotEdi);
        assert!(
            matches!(read_header(b"ISA*00*"), Sniff::Malformed(m) if m.contains("16 elements"))
        );
        assert!(matches!(read_header(b"UNA:+"), Sniff::Malformed(_)));
        assert!(matches!(read_header(b"UNA:+.? 'XYZ"), Sniff::Malformed(_)));
        assert!(matches!(read_header(b"UNB+UNOA:1+A'"), Sniff::Malformed(_)));
        let empty_receiver = X12_850.replace("ECGRIDPARTNER  ", "               ");
        assert!(
            matches!(read_header(empty_receiver.as_bytes()), Sniff::Malformed(m) if m.contains("ISA08"))
        );
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let mut inputs: Vec<Vec<u8>> = vec![
            b"ISA*".to_vec(),
            [b"ISA".as_slice(), &[b'*'; 1 << 20]].concat(),
            [b"ISA*".as_slice(), &[0xFF; 1 << 20]].concat(),
            [b"UNB+".as_slice(), &[b'?'; 1 << 20]].concat(),
            [b"UNB+".as_slice(), &[b'+'; 1 << 20]].concat(),
            [b"UNA:+.? 'UNB+".as_slice(), &[b':'; 1 << 20]].concat(),
            b"UNA\0\0\0\0\0\0UNB\0".to_vec(),
            b"UNA::::::UNB:".to_vec(),
            b"ISA*00*          *00*          *ZZ*A*ZZ*B*260507*1030*U*00401*1*0*P*".to_vec(),
            b"ISA*00*          *00*          *ZZ*A*ZZ*B*999999*9999*U*00401*1*0*P*>".to_vec(),
            b"ISA*00*          *00*          *ZZ*A*ZZ*B*260507*1030*U*00401*1*0*P*>~ST*".to_vec(),
            b"UNB+X+A+B+1'UNH+".to_vec(),
            b"UNB+X+A+B+1'UNH".to_vec(),
            [b"\xEF\xBB\xBF".as_slice(), &[b' '; 1 << 20]].concat(),
        ];
        // Pseudo-random bytes behind each prefix (deterministic).
        let mut x: u32 = 0x1234_5678;
        for prefix in [b"ISA*".as_slice(), b"UNB+", b"UNA:+.? '", b""] {
            for len in [1usize, 7, 64, 300, 5000] {
                let mut v = prefix.to_vec();
                for _ in 0..len {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    v.push((x >> 24) as u8);
                }
                inputs.push(v);
            }
        }
        for input in &inputs {
            let _ = read_header(input);
        }
        let h = edi(&inputs[8]);
        assert_eq!(h.document_type, "");
        assert_eq!(edi(&inputs[9]).date_time, None);
    }
}
