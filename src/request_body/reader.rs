//! [`BodyReader`]: a request body read within its limit and deadline, its
//! bytes charged to the shared [`BodyMemory`] while held: read whole
//! ([`read_body`], [`BodyReader::read_to_end`]), or read up to a prefix
//! ([`BodyReader::read_prefix`]) and the rest then passed on as it arrives
//! ([`BodyReader::into_rest`], [`StreamedBody`]: the legacy route's
//! uploads, never held whole).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Bytes;
use axum::http::StatusCode;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::time::{Instant, Sleep};

use super::{too_large, BodyDeadline, BodyLimit, BASE_FLAG};
use crate::body_memory::{BodyBuffer, BodyMemory, NoRoom, STALL};
use crate::soap::Fault;

/// Reads the body within `limit` and `deadline`, its bytes charged to
/// `memory` while it arrives: a 413 fault past the limit (raised once to
/// [`BodyLimit::raise_to`] when the body's first bytes show an upload
/// operation), a 408 fault past the deadline or when it stalls while others
/// wait for memory, a 503 fault when no memory came free in time, a 400
/// fault when the body cannot be read (e.g. broken chunked encoding).
pub async fn read_body(
    body: Incoming,
    limit: BodyLimit,
    deadline: BodyDeadline,
    memory: &Arc<BodyMemory>,
) -> Result<Bytes, Fault> {
    BodyReader::new(body, limit, deadline, memory)
        .read_to_end()
        .await
}

/// A request body being read, and the bytes of it held so far.
pub struct BodyReader {
    body: Incoming,
    limit: BodyLimit,
    deadline: BodyDeadline,
    memory: Arc<BodyMemory>,
    started: Instant,
    /// `Content-Length`, when the client sent one.
    announced: Option<usize>,
    collected: BodyBuffer,
    /// Whether the body is charged to the small share (read under `--max-body`).
    small: bool,
    stall_check: Instant,
}

/// What [`BodyReader::read_prefix`] found.
#[derive(Debug)]
pub enum Prefix {
    /// The body ended: all of it.
    Whole(Bytes),
    /// The prefix is held ([`BodyReader::prefix`]); the rest is unread.
    Partial,
}

/// What one frame did.
enum Step {
    /// The body ended.
    Ended,
    /// A frame's data was added to the collected bytes.
    Added,
    /// The whole body came in one frame (not copied, not charged).
    Whole(Bytes),
}

/// Where [`BodyReader::read_prefix`] first asks whether the prefix is
/// enough; it asks again each time the prefix has doubled, so the asking
/// costs at most twice the prefix's length, however small the frames.
const FIRST_ASK: usize = 512;

impl BodyReader {
    /// A reader of `body` under `limit` and `deadline`, charging `memory`.
    pub fn new(
        body: Incoming,
        limit: BodyLimit,
        deadline: BodyDeadline,
        memory: &Arc<BodyMemory>,
    ) -> BodyReader {
        let started = Instant::now();
        let announced = body
            .size_hint()
            .exact()
            .and_then(|n| usize::try_from(n).ok());
        BodyReader {
            body,
            small: limit.flag == BASE_FLAG,
            limit,
            deadline,
            memory: memory.clone(),
            started,
            announced,
            collected: BodyBuffer::new(memory, announced),
            stall_check: started + STALL,
        }
    }

    /// The body's `Content-Length`, when the client sent one.
    pub fn announced(&self) -> Option<usize> {
        self.announced
    }

    /// The bytes read so far (by [`BodyReader::read_prefix`]).
    pub fn prefix(&self) -> &[u8] {
        self.collected.as_slice()
    }

    /// The limit the body is read under now (raised once it showed an upload).
    pub fn limit(&self) -> BodyLimit {
        self.limit
    }

    /// The rest of the body read, and all of it returned.
    pub async fn read_to_end(mut self) -> Result<Bytes, Fault> {
        loop {
            match self.step().await? {
                Step::Ended => return Ok(Bytes::from(self.collected.into_bytes())),
                Step::Added => {}
                Step::Whole(data) => return Ok(data),
            }
        }
    }

    /// Reads until `enough` says the bytes read so far are enough, at least
    /// `most` bytes were read, or the body ended (then all of it is
    /// returned). `enough` is asked after [`FIRST_ASK`] bytes and each time
    /// the prefix has doubled since it was last asked.
    pub async fn read_prefix(
        &mut self,
        mut enough: impl FnMut(&[u8]) -> bool,
        most: usize,
    ) -> Result<Prefix, Fault> {
        let mut ask_at = FIRST_ASK;
        loop {
            match self.step().await? {
                Step::Ended => {
                    let collected =
                        std::mem::replace(&mut self.collected, BodyBuffer::new(&self.memory, None));
                    return Ok(Prefix::Whole(Bytes::from(collected.into_bytes())));
                }
                Step::Whole(data) => return Ok(Prefix::Whole(data)),
                Step::Added => {}
            }
            let len = self.collected.len();
            if len >= most {
                return Ok(Prefix::Partial);
            }
            if len >= ask_at {
                if enough(self.collected.as_slice()) {
                    return Ok(Prefix::Partial);
                }
                ask_at = len.saturating_mul(2);
            }
        }
    }

    /// The prefix read so far (no longer charged: it is on its way out)
    /// and the rest of the body as a [`StreamedBody`], under `limit` for
    /// the whole body and the same deadline.
    pub fn into_rest(self, limit: BodyLimit) -> (Bytes, StreamedBody) {
        let received = self.collected.len();
        let prefix = Bytes::from(self.collected.into_bytes());
        let rest = StreamedBody {
            body: self.body,
            limit,
            deadline: self.deadline,
            started: self.started,
            received,
            timer: None,
            done: false,
        };
        (prefix, rest)
    }

    /// Reads one frame within the deadline and the limits.
    async fn step(&mut self) -> Result<Step, Fault> {
        let memory = &self.memory;
        loop {
            let cutoff = self.started + self.deadline.allowed(self.collected.len());
            let waited =
                tokio::time::timeout_at(cutoff.min(self.stall_check), self.body.frame()).await;
            let frame = match waited {
                Err(_) if Instant::now() < cutoff => {
                    if self.collected.held() > 0 && memory.contended() {
                        return Err(stalled_while_others_wait(
                            self.collected.len(),
                            self.started,
                        ));
                    }
                    self.stall_check = Instant::now() + STALL;
                    continue;
                }
                Err(_) => return Err(late(self.collected.len(), self.started, self.deadline)),
                Ok(None) => return Ok(Step::Ended),
                Ok(Some(Ok(frame))) => frame,
                Ok(Some(Err(e))) => return Err(unreadable(&e)),
            };
            self.stall_check = Instant::now() + STALL;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let collected = &mut self.collected;
            if collected.len() + data.len() > self.limit.limit {
                let announced = self.announced.map(|n| n as u64);
                self.limit = self.limit.raised(collected.as_slice(), &data, announced)?;
                if collected.len() + data.len() > self.limit.limit {
                    return Err(too_large(self.limit.limit, self.limit.flag, announced));
                }
                collected.leave_small_share();
                self.small = false;
            }
            if collected.is_empty() && self.body.is_end_stream() {
                // The whole body in one frame (the common case): no copy,
                // and nothing to charge (it is complete).
                return Ok(Step::Whole(data));
            }
            collected
                .push(&data, self.limit.limit, self.small, cutoff)
                .await
                .map_err(|no_room| out_of_memory(no_room, memory))?;
            return Ok(Step::Added);
        }
    }
}

/// The rest of a request body after its prefix, passed on frame by frame
/// as it arrives and never held (a [`hyper::body::Body`] of the data
/// frames): a 413 fault once the whole body is over its limit, a 408 fault
/// past the body's deadline (the same `--body-read-timeout` +
/// `--body-min-rate` rule, counted from the body's start), a 400 fault
/// when the client's framing is broken or the connection ends early. Its
/// memory is the frame being passed on, so the rule that cuts off a body
/// stalling while others wait for memory does not apply to it.
pub struct StreamedBody {
    body: Incoming,
    limit: BodyLimit,
    deadline: BodyDeadline,
    started: Instant,
    /// Bytes of the body received so far, the prefix included.
    received: usize,
    /// The deadline's timer, made on the first wait.
    timer: Option<Pin<Box<Sleep>>>,
    /// Whether its end was reached (or it failed): nothing more to read.
    done: bool,
}

impl StreamedBody {
    /// Bytes of the body received so far, the prefix included.
    pub fn received(&self) -> usize {
        self.received
    }

    /// Whether the body has been read to its end, or failed.
    pub fn is_done(&self) -> bool {
        self.done
    }
}

impl Body for StreamedBody {
    type Data = Bytes;
    type Error = Fault;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Fault>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        let polled = this.poll_data(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            this.done = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl StreamedBody {
    /// The next data frame within the limit and the deadline.
    fn poll_data(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Fault>>> {
        let this = self;
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(unreadable(&e)))),
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    this.received += data.len();
                    if this.received > this.limit.limit {
                        let fault = too_large(this.limit.limit, this.limit.flag, None);
                        return Poll::Ready(Some(Err(fault)));
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Poll::Pending => {}
            }
            let cutoff = this.started + this.deadline.allowed(this.received);
            let timer = this
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(cutoff)));
            if timer.deadline() != cutoff {
                timer.as_mut().reset(cutoff);
            }
            return match timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    let fault = late(this.received, this.started, this.deadline);
                    Poll::Ready(Some(Err(fault)))
                }
                Poll::Pending => Poll::Pending,
            };
        }
    }
}

fn unreadable(e: &hyper::Error) -> Fault {
    Fault::invalid(format!("the request body could not be read: {e}"))
        .with_status(StatusCode::BAD_REQUEST)
}

fn late(received: usize, started: Instant, deadline: BodyDeadline) -> Fault {
    Fault::invalid(format!(
        "the request body did not arrive in time: {received} bytes in {:.1} s, and the gateway \
         needs at least {} bytes/s after the first {} s (--body-min-rate, --body-read-timeout)",
        started.elapsed().as_secs_f64(),
        deadline.min_rate,
        deadline.grace.as_secs()
    ))
    .with_status(StatusCode::REQUEST_TIMEOUT)
}

fn stalled_while_others_wait(received: usize, started: Instant) -> Fault {
    Fault::invalid(format!(
        "the request body stalled: nothing arrived for {} s after {received} bytes in {:.1} s, \
         while other requests waited for the memory it held (--max-body-memory)",
        STALL.as_secs(),
        started.elapsed().as_secs_f64(),
    ))
    .with_status(StatusCode::REQUEST_TIMEOUT)
}

fn out_of_memory(no_room: NoRoom, memory: &BodyMemory) -> Fault {
    let what = match no_room {
        NoRoom::Timeout => "the gateway is receiving as many request bodies as it holds",
        NoRoom::TooLarge => "the request body is larger than the gateway can hold",
    };
    Fault::server(format!(
        "{what} ({} bytes, --max-body-memory; {} of them for bodies under --max-body); try again shortly",
        memory.total(),
        memory.small_share()
    ))
    .with_status(StatusCode::SERVICE_UNAVAILABLE)
}
