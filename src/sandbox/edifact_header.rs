//! The EDIFACT `UNB` interchange header (after an optional `UNA` service
//! string advice): sender, recipient, control reference, date and the first
//! `UNH` message type, with the release character honoured. Linear in the
//! input, never panics.

use super::edi_route::{
    edi_date_time, header_text, text, InterchangeHeader, Party, Sniff, Standard, HEADER_LIMIT,
};

/// EDIFACT service characters (UNA or the defaults).
#[derive(Debug, Clone, Copy)]
struct Delimiters {
    component: u8,
    element: u8,
    release: u8,
    terminator: u8,
}

/// Splits one EDIFACT segment (without terminator) into elements of
/// components, honouring the release character.
fn edifact_elements(segment: &[u8], d: Delimiters) -> Vec<Vec<Vec<u8>>> {
    let mut elements = vec![vec![Vec::new()]];
    let mut escaped = false;
    for &b in segment {
        if escaped {
            escaped = false;
        } else if b == d.release {
            escaped = true;
            continue;
        } else if b == d.element {
            elements.push(vec![Vec::new()]);
            continue;
        } else if b == d.component {
            if let Some(e) = elements.last_mut() {
                e.push(Vec::new());
            }
            continue;
        }
        if let Some(c) = elements.last_mut().and_then(|e| e.last_mut()) {
            c.push(b);
        }
    }
    elements
}

/// The segments of `bytes` (terminator not included, release honoured),
/// leading whitespace of each trimmed.
fn edifact_segments(bytes: &[u8], d: Delimiters) -> impl Iterator<Item = &[u8]> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
            pos += 1;
        }
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let mut escaped = false;
        while let Some(&b) = bytes.get(pos) {
            if escaped {
                escaped = false;
            } else if b == d.release {
                escaped = true;
            } else if b == d.terminator {
                let seg = &bytes[start..pos];
                pos += 1;
                return Some(seg);
            }
            pos += 1;
        }
        Some(&bytes[start..])
    })
}

fn component(elements: &[Vec<Vec<u8>>], e: usize, c: usize) -> String {
    elements
        .get(e)
        .and_then(|x| x.get(c))
        .map(|v| text(v))
        .unwrap_or_default()
}

/// Reads a `UNB` header, after an optional `UNA` service string advice.
pub(crate) fn read_unb(file: &[u8]) -> Sniff {
    let mut d = Delimiters {
        component: b':',
        element: b'+',
        release: b'?',
        terminator: b'\'',
    };
    let mut rest = file;
    let had_una = file.starts_with(b"UNA");
    if had_una {
        let Some(una) = file.get(..9) else {
            return Sniff::Malformed(
                "the UNA service string advice is shorter than 9 bytes".into(),
            );
        };
        d = Delimiters {
            component: una[3],
            element: una[4],
            release: una[6],
            terminator: una[8],
        };
        let distinct = [d.component, d.element, d.terminator];
        if distinct[0] == distinct[1] || distinct[1] == distinct[2] || distinct[0] == distinct[2] {
            return Sniff::Malformed(
                "the UNA service string advice uses one character for two delimiters".into(),
            );
        }
        rest = &file[9..];
        let skip = rest
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(rest.len());
        rest = &rest[skip..];
    }
    if !(rest.starts_with(b"UNB") && rest.get(3) == Some(&d.element)) {
        return if had_una {
            Sniff::Malformed(
                "the UNA service string advice is not followed by a UNB segment".into(),
            )
        } else {
            Sniff::NotEdi
        };
    }
    let window = &rest[..rest.len().min(HEADER_LIMIT)];
    let Some(segment) = edifact_segments(window, d).next() else {
        return Sniff::NotEdi;
    };
    let complete = segment.len() < window.len();
    let elements = edifact_elements(segment, d);
    if elements.len() < 4 || !complete {
        return Sniff::Malformed(format!(
            "the UNB segment needs a syntax identifier, a sender and a recipient, ended by {:?} within its first {HEADER_LIMIT} bytes",
            char::from(d.terminator)
        ));
    }
    let sender = Party {
        id: component(&elements, 2, 0),
        qualifier: component(&elements, 2, 1),
    };
    let receiver = Party {
        id: component(&elements, 3, 0),
        qualifier: component(&elements, 3, 1),
    };
    if sender.id.is_empty() {
        return Sniff::Malformed("the UNB segment's S002 (sender) is empty".into());
    }
    if receiver.id.is_empty() {
        return Sniff::Malformed("the UNB segment's S003 (recipient) is empty".into());
    }
    let header_len = (segment.len() + 1).min(window.len());
    let after = rest.get(header_len..).unwrap_or_default();
    let document_type = edifact_segments(after, d)
        .find(|s| s.starts_with(b"UNH") && s.get(3) == Some(&d.element))
        .map(|s| component(&edifact_elements(s, d), 2, 0))
        .unwrap_or_default();
    Sniff::Edi(InterchangeHeader {
        standard: Standard::Edifact,
        sender,
        receiver,
        control_id: component(&elements, 5, 0),
        date_time: edi_date_time(
            component(&elements, 4, 0).as_bytes(),
            component(&elements, 4, 1).as_bytes(),
        ),
        document_type,
        header: header_text(&rest[..header_len]),
    })
}
