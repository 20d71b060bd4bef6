//! W3C Trace Context (`traceparent`, <https://www.w3.org/TR/trace-context/>):
//! a SOAP call continues its client's trace, or starts one, and every REST
//! call it makes carries it on.
//!
//! A valid `traceparent` from the client (version `00`, or a later version
//! read by its first four fields; lowercase hex; trace id and parent id not
//! all zeros) keeps its trace id and flags; the gateway is a new span in
//! it, with its own span id, which is the parent id the upstream sees.
//! Anything else (absent, malformed, version `ff`) starts a new trace
//! (sampled flag set: every request is logged). It travels with the call in
//! `call_scope`. The trace id goes into the
//! request's span beside the request id, so every log line of the call
//! carries it.
//!
//! Ids come from the process's request-id generator (splitmix64 over a
//! random seed, `server.rs`): unique and unguessable enough for
//! correlation, with no system call per request. They are not secrets.

/// The trace context of one SOAP call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    trace_id: u128,
    span_id: u64,
    flags: u8,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn lower_hex(text: &[u8]) -> Option<u128> {
    let mut value: u128 = 0;
    for &b in text {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        value = (value << 4) | u128::from(digit);
    }
    Some(value)
}

impl TraceContext {
    /// The client's trace continued (a new span in it), when `header` is a
    /// valid `traceparent`; else a new trace. `next_id` draws 64 random
    /// bits.
    pub fn continue_or_start(header: Option<&[u8]>, mut next_id: impl FnMut() -> u64) -> Self {
        let span_id = loop {
            let id = next_id();
            if id != 0 {
                break id;
            }
        };
        if let Some((trace_id, flags)) = header.and_then(parse) {
            return TraceContext {
                trace_id,
                span_id,
                flags,
            };
        }
        let trace_id = loop {
            let id = (u128::from(next_id()) << 64) | u128::from(next_id());
            if id != 0 {
                break id;
            }
        };
        TraceContext {
            trace_id,
            span_id,
            flags: 0x01,
        }
    }

    /// The trace id: 32 lowercase hex digits.
    pub fn trace_id(&self) -> String {
        let mut out = [0u8; 32];
        put_hex(&mut out, self.trace_id, 32);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The `traceparent` to send upstream:
    /// `00-{trace id}-{this span's id}-{flags}`.
    pub fn traceparent(&self) -> [u8; 55] {
        let mut out = [b'-'; 55];
        out[0] = b'0';
        out[1] = b'0';
        put_hex(&mut out[3..35], self.trace_id, 32);
        put_hex(&mut out[36..52], u128::from(self.span_id), 16);
        put_hex(&mut out[53..55], u128::from(self.flags), 2);
        out
    }
}

impl std::fmt::Display for TraceContext {
    /// The trace id (32 lowercase hex digits), without allocating.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = [0u8; 32];
        put_hex(&mut out, self.trace_id, 32);
        f.write_str(std::str::from_utf8(&out).unwrap_or_default())
    }
}

fn put_hex(out: &mut [u8], value: u128, digits: usize) {
    for (i, slot) in out.iter_mut().take(digits).enumerate() {
        let shift = (digits - 1 - i) * 4;
        *slot = HEX[((value >> shift) & 0xF) as usize];
    }
}

/// The trace id and flags of a valid `traceparent`.
fn parse(header: &[u8]) -> Option<(u128, u8)> {
    let header = header.trim_ascii();
    // version "-" trace-id "-" parent-id "-" flags, then (version > 00
    // only) "-" and more.
    if header.len() < 55 || header[2] != b'-' || header[35] != b'-' || header[52] != b'-' {
        return None;
    }
    let version = lower_hex(&header[..2])?;
    if version == 0xff || (version == 0 && header.len() != 55) {
        return None;
    }
    if header.len() > 55 && header[55] != b'-' {
        return None;
    }
    let trace_id = lower_hex(&header[3..35])?;
    let parent_id = lower_hex(&header[36..52])?;
    let flags = lower_hex(&header[53..55])? as u8;
    (trace_id != 0 && parent_id != 0).then_some((trace_id, flags))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> impl FnMut() -> u64 {
        let mut n = 0x1111_2222_3333_4444u64;
        move || {
            n = n.wrapping_add(0x0101_0101_0101_0101);
            n
        }
    }

    #[test]
    fn a_valid_traceparent_is_continued_with_a_new_span() {
        let given = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let trace = TraceContext::continue_or_start(Some(given), ids());
        assert_eq!(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(trace.to_string(), trace.trace_id());
        let sent = trace.traceparent();
        let sent = std::str::from_utf8(&sent).unwrap();
        assert!(
            sent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "{sent}"
        );
        assert!(sent.ends_with("-01"), "{sent}");
        assert_ne!(
            &sent[36..52],
            "00f067aa0ba902b7",
            "the gateway is a span of its own"
        );
        assert!(parse(sent.as_bytes()).is_some(), "what is sent is valid");
        // Flags are kept; a later version is read by its first fields.
        let later = TraceContext::continue_or_start(
            Some(b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra"),
            ids(),
        );
        assert_eq!(later.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(later.traceparent().ends_with(b"-00"));
    }

    #[test]
    fn anything_else_starts_a_new_trace() {
        for bad in [
            &b""[..],
            b"garbage",
            b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
            b"00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4é36-00f067aa0ba902b7-0".as_bytes(),
        ] {
            let trace = TraceContext::continue_or_start(Some(bad), ids());
            assert_ne!(
                trace.trace_id(),
                "4bf92f3577b34da6a3ce929d0e0e4736",
                "{bad:?}"
            );
            let sent = trace.traceparent();
            assert!(parse(&sent).is_some(), "{bad:?}");
            assert!(sent.ends_with(b"-01"));
        }
        let a = TraceContext::continue_or_start(None, ids());
        let mut other = ids();
        other();
        other();
        other();
        let b = TraceContext::continue_or_start(None, other);
        assert_ne!(a.trace_id(), b.trace_id());
    }
}
