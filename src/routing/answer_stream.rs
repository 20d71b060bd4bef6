//! The body of a legacy answer on its way back to the SOAP client: passed
//! on frame by frame as it arrives (never collected), with each wait for
//! more bounded by `--upstream-timeout`, and the legacy SessionID replaced
//! by the gateway's wherever it appears.
//!
//! The replacement is a streaming search for one ASCII needle
//! (case-insensitive, as GUIDs may come in either case): the last
//! `needle.len() - 1` bytes of each frame are held back until the next one
//! shows whether a match straddles the two, so each byte is looked at a
//! bounded number of times and at most one needle's worth is held. Both
//! SessionIDs are normally GUIDs of the same length, so `Content-Length`
//! stays right.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, SizeHint};

use crate::http1::AnswerBody;
use tokio::time::{Instant, Sleep};

/// Why a streamed answer was cut off.
pub type StreamError = Box<dyn std::error::Error + Send + Sync>;

/// One text swapped for another in a stream.
#[derive(Debug, Clone)]
pub struct Swap {
    /// What is looked for (ASCII, matched case-insensitively).
    pub from: Bytes,
    /// What replaces it.
    pub to: Bytes,
}

impl Swap {
    /// Whether the swap keeps the body's length.
    pub fn same_length(&self) -> bool {
        self.from.len() == self.to.len()
    }
}

/// A legacy answer body, streamed.
pub struct AnswerStream {
    inner: AnswerBody,
    swap: Option<Swap>,
    /// Bytes held back (a possible start of a match).
    carry: BytesMut,
    idle: Duration,
    /// When the wait for the next piece runs out (moved on by each piece).
    deadline: Instant,
    /// The timer, made only once a wait is pending (a small answer that is
    /// all there on the first poll never needs one).
    sleep: Option<Pin<Box<Sleep>>>,
    ended: bool,
}

impl AnswerStream {
    /// `inner` passed on, with `swap` applied, waiting at most `idle` for
    /// each piece.
    pub fn new(inner: AnswerBody, swap: Option<Swap>, idle: Duration) -> Self {
        let swap = swap.filter(|s| !s.from.is_empty());
        AnswerStream {
            inner,
            swap,
            carry: BytesMut::new(),
            idle,
            deadline: Instant::now() + idle,
            sleep: None,
            ended: false,
        }
    }
}

/// `buf` with every whole match of `swap.from` replaced, and how many of
/// its leading bytes are final: unless `at_end`, the tail shorter than a
/// needle may be the start of a match that the next piece completes.
pub fn replace_all(buf: &[u8], swap: &Swap, at_end: bool) -> (Vec<u8>, usize) {
    let n = swap.from.len();
    let first = swap.from[0].to_ascii_lowercase();
    let mut out = Vec::with_capacity(buf.len());
    let mut i = 0;
    // Bytes before `copied` are in `out` already.
    let mut copied = 0;
    while i + n <= buf.len() {
        let Some(p) = buf[i..=buf.len() - n]
            .iter()
            .position(|b| b.to_ascii_lowercase() == first)
        else {
            break;
        };
        let at = i + p;
        if buf[at..at + n].eq_ignore_ascii_case(&swap.from) {
            out.extend_from_slice(&buf[copied..at]);
            out.extend_from_slice(&swap.to);
            i = at + n;
            copied = i;
        } else {
            i = at + 1;
        }
    }
    // The last `n - 1` bytes were not searched: final only at the end.
    let tail = if at_end {
        buf.len()
    } else {
        (buf.len() + 1).saturating_sub(n).max(copied)
    };
    out.extend_from_slice(&buf[copied..tail]);
    let final_len = out.len();
    out.extend_from_slice(&buf[tail..]);
    (out, final_len)
}

impl Body for AnswerStream {
    type Data = Bytes;
    type Error = StreamError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StreamError>>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        let next = match polled {
            Poll::Ready(next) => next,
            Poll::Pending => {
                let deadline = this.deadline;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.deadline() != deadline {
                    sleep.as_mut().reset(deadline);
                }
                ready!(sleep.as_mut().poll(cx));
                this.ended = true;
                return Poll::Ready(Some(Err(format!(
                    "the legacy service sent nothing more for {} (--upstream-timeout)",
                    humantime::format_duration(this.idle)
                )
                .into())));
            }
        };
        this.deadline = Instant::now() + this.idle;
        match next {
            Some(Ok(frame)) => {
                let Some(swap) = &this.swap else {
                    return Poll::Ready(Some(Ok(frame)));
                };
                match frame.into_data() {
                    Ok(data) => {
                        this.carry.extend_from_slice(&data);
                        let (out, final_len) = replace_all(&this.carry, swap, false);
                        let mut out = BytesMut::from(&out[..]);
                        this.carry = out.split_off(final_len);
                        Poll::Ready(Some(Ok(Frame::data(out.freeze()))))
                    }
                    Err(frame) => Poll::Ready(Some(Ok(frame))),
                }
            }
            Some(Err(e)) => {
                this.ended = true;
                Poll::Ready(Some(Err(Box::new(e))))
            }
            None => {
                this.ended = true;
                if this.carry.is_empty() {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Ok(Frame::data(this.carry.split().freeze()))))
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended || (self.inner.is_end_stream() && self.carry.is_empty())
    }

    fn size_hint(&self) -> SizeHint {
        match &self.swap {
            Some(swap) if !swap.same_length() => SizeHint::default(),
            _ => self.inner.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `chunks` through the swap as the stream does.
    fn stream(chunks: &[&[u8]], swap: &Swap) -> Vec<u8> {
        let mut carry: Vec<u8> = Vec::new();
        let mut out = Vec::new();
        for chunk in chunks {
            carry.extend_from_slice(chunk);
            let (done, final_len) = replace_all(&carry, swap, false);
            out.extend_from_slice(&done[..final_len]);
            carry = done[final_len..].to_vec();
        }
        let (done, _) = replace_all(&carry, swap, true);
        out.extend_from_slice(&done);
        out
    }

    #[test]
    fn matches_across_chunk_boundaries_and_in_any_case_are_swapped() {
        let swap = Swap {
            from: Bytes::from_static(b"abcd"),
            to: Bytes::from_static(b"WXYZ"),
        };
        let whole = b"..abcd..ABCD..abc";
        for cut in 0..whole.len() {
            let (a, b) = whole.split_at(cut);
            assert_eq!(stream(&[a, b], &swap), b"..WXYZ..WXYZ..abc", "cut {cut}");
        }
        let bytewise: Vec<&[u8]> = whole.chunks(1).collect();
        assert_eq!(stream(&bytewise, &swap), b"..WXYZ..WXYZ..abc");
    }

    #[test]
    fn a_longer_replacement_changes_the_length() {
        let swap = Swap {
            from: Bytes::from_static(b"ab"),
            to: Bytes::from_static(b"long"),
        };
        assert!(!swap.same_length());
        assert_eq!(stream(&[b"xaby", b"a", b"b"], &swap), b"xlongylong");
    }
}
