//! Where something is in the request, as fault messages say it (line and
//! column), and short descriptions of quick-xml's errors.

/// Where an event starts, written as its [`Position`]. The line and column
/// are worked out only when a message is written: working them out for
/// every event scanned the body from the start each time, which was most of
/// the cost of reading an envelope.
#[derive(Clone, Copy)]
pub(super) struct At<'a> {
    pub(super) body: &'a [u8],
    pub(super) offset: usize,
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Position::of(self.body, self.offset).fmt(f)
    }
}

/// A line and column (both 1-based, column in characters) in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Position {
    line: usize,
    column: usize,
}

impl Position {
    fn of(body: &[u8], offset: usize) -> Position {
        let offset = offset.min(body.len());
        let before = &body[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Position { line, column }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Where the attribute value of the tag starting at `tag_start` opens, when
/// its quote is never closed (the tag then runs to the end of the input, as
/// in the quick-start samples' `xmlns:soap="…envelope/>`). `None` when
/// `tag_start` is not a `<` or every quote of the tag is closed.
pub(super) fn unclosed_attribute_quote(body: &[u8], tag_start: usize) -> Option<usize> {
    if body.get(tag_start) != Some(&b'<') {
        return None;
    }
    let mut open: Option<(u8, usize)> = None;
    for (i, &b) in body.iter().enumerate().skip(tag_start + 1) {
        match open {
            Some((quote, _)) if b == quote => open = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => open = Some((b, i)),
            None if b == b'>' => return None,
            None => {}
        }
    }
    open.map(|(_, at)| at)
}

/// A short, client-facing description of a quick-xml error.
pub(super) fn describe_xml_error(err: &quick_xml::Error) -> String {
    use quick_xml::Error as E;
    match err {
        E::IllFormed(e) => e.to_string(),
        E::Syntax(e) => e.to_string(),
        E::Escape(e) => format!("{e} (entity declarations are not supported)"),
        E::InvalidAttr(e) => format!("invalid attribute: {e}"),
        E::Encoding(e) => format!("invalid text encoding: {e}"),
        other => other.to_string(),
    }
}

/// The first character XML 1.0 does not allow in a document (a control
/// character other than tab, newline and carriage return, or U+FFFE /
/// U+FFFF), as its byte offset and code point. `text` is already UTF-8.
pub(super) fn forbidden_char(text: &str) -> Option<(usize, u32)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') {
            return Some((i, u32::from(b)));
        }
        // U+FFFE and U+FFFF are EF BF BE and EF BF BF.
        if b == 0xEF && bytes.get(i + 1) == Some(&0xBF) {
            if let Some(&last @ (0xBE | 0xBF)) = bytes.get(i + 2) {
                return Some((i, 0xFFFE + u32::from(last - 0xBE)));
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_chars_are_found_with_their_offset() {
        assert_eq!(forbidden_char("a\tb\r\nc"), None);
        assert_eq!(forbidden_char("ab\0"), Some((2, 0)));
        assert_eq!(forbidden_char("é\u{1}"), Some((2, 1)));
        assert_eq!(forbidden_char("x\u{FFFE}"), Some((1, 0xFFFE)));
        assert_eq!(forbidden_char("x\u{FFFF}"), Some((1, 0xFFFF)));
        assert_eq!(forbidden_char("\u{FFFD}\u{FEFF}"), None);
    }
}
