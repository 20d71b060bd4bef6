//! The operation a raw envelope calls, and where its SessionID sits, read
//! without judging the rest: a legacy-routed operation may carry structured
//! parameters the gateway's own envelope reader refuses (it reads only the
//! flat ones its translations take), and they must pass as they are.
//!
//! One forward pass with quick-xml over the bytes, stopping once the
//! operation's SessionID has been seen (or the operation element ends). A
//! DOCTYPE, malformed XML or a body without an operation yields `None`, and
//! the request goes on to the envelope reader, whose fault says what is
//! wrong.

use std::ops::Range;

use quick_xml::events::Event;

/// What routing needs from an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    /// Local name of the operation element (the Body's first child).
    pub operation: String,
    /// Byte range, in the body, of the text of the operation's
    /// `SessionID` child (whitespace trimmed), when it has one.
    pub session_id: Option<Range<usize>>,
}

impl Sniffed {
    /// The SessionID text, when there is one and it is UTF-8.
    pub fn session_id<'a>(&self, body: &'a [u8]) -> Option<&'a str> {
        let range = self.session_id.clone()?;
        std::str::from_utf8(body.get(range)?).ok()
    }
}

/// Reads the operation and its SessionID's range from `body`.
pub fn sniff(body: &[u8]) -> Option<Sniffed> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut depth = 0usize;
    let mut in_body = false;
    let mut operation: Option<String> = None;
    // Where the text of <SessionID> starts, while inside it.
    let mut session_start: Option<usize> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().ok()?;
        match event {
            Event::DocType(_) => return None,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                depth += 1;
                let local = e.local_name();
                match depth {
                    1 if local.as_ref() != b"Envelope" => return None,
                    2 => in_body = local.as_ref() == b"Body",
                    3 if in_body && operation.is_none() => {
                        let name = std::str::from_utf8(local.as_ref()).ok()?.to_string();
                        if empty {
                            return Some(Sniffed {
                                operation: name,
                                session_id: None,
                            });
                        }
                        operation = Some(name);
                    }
                    4 if operation.is_some() && local.as_ref() == b"SessionID" && !empty => {
                        session_start = Some(reader.buffer_position() as usize);
                    }
                    5 if session_start.is_some() => {
                        // Markup inside the SessionID: not a value to swap.
                        return Some(Sniffed {
                            operation: operation?,
                            session_id: None,
                        });
                    }
                    _ => {}
                }
                if empty {
                    depth -= 1;
                }
            }
            Event::End(_) => {
                if depth == 4 {
                    if let Some(start) = session_start {
                        return Some(Sniffed {
                            operation: operation?,
                            session_id: Some(trimmed(body, start..before)),
                        });
                    }
                }
                if depth == 3 && operation.is_some() {
                    return Some(Sniffed {
                        operation: operation?,
                        session_id: None,
                    });
                }
                depth = depth.checked_sub(1)?;
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// `range` less the ASCII whitespace at either end of its bytes.
fn trimmed(body: &[u8], range: Range<usize>) -> Range<usize> {
    let slice = &body[range.clone()];
    let start = slice
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(slice.len());
    let end = slice
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    range.start + start..range.start + end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_operation_and_the_session_id_range() {
        let body = br#"<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><SessionID>not-this</SessionID></s:Header><s:Body><e:ParcelInBox xmlns:e="https://os.ecgrid.io/"><e:SessionID>
 ABCD </e:SessionID><e:Items><e:Item>1</e:Item></e:Items></e:ParcelInBox></s:Body></s:Envelope>"#;
        let sniffed = sniff(body).unwrap();
        assert_eq!(sniffed.operation, "ParcelInBox");
        assert_eq!(sniffed.session_id(body), Some("ABCD"));
    }

    #[test]
    fn operations_without_a_session_id_and_bad_input() {
        let body = br#"<Envelope><Body><NowUTC xmlns="https://os.ecgrid.io/"/></Body></Envelope>"#;
        assert_eq!(
            sniff(body),
            Some(Sniffed {
                operation: "NowUTC".into(),
                session_id: None
            })
        );
        let body = br#"<Envelope><Body><Version><x/></Version></Body></Envelope>"#;
        assert_eq!(sniff(body).unwrap().session_id, None);
        let nested =
            br#"<Envelope><Body><Op><SessionID><b>x</b></SessionID></Op></Body></Envelope>"#;
        assert_eq!(sniff(nested).unwrap().session_id, None);
        assert_eq!(sniff(b"<!DOCTYPE x><Envelope/>"), None);
        assert_eq!(sniff(b"<Envelope><Body>"), None);
        assert_eq!(sniff(b"not xml"), None);
        assert_eq!(sniff(b"<Other/>"), None);
    }
}
