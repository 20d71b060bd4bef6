//! The gateway's own HTTP/1.1 client exchange, used by both upstreams: the
//! REST client ([`crate::rest::RestClient`], answers read whole) and the
//! legacy client ([`crate::legacy::LegacyClient`], answers streamed). One
//! request is written and one answer read on a connection the calling task
//! owns, with a pool of idle keep-alive connections.
//!
//! Why not hyper's client: hyper-util's pooled client hands every request to
//! a separate connection task through channels and a pool checkout, and that
//! machinery cost about a tenth of the gateway's CPU per SOAP call under
//! load (bench/results/HISTORY.md, fix 14) and most of the legacy
//! pass-through's client-side instructions. The gateway talks to one
//! upstream per client, so the call's own task writes the request and reads
//! the answer; parsing is `httparse` (hyper's parser), connecting (TCP,
//! proxy route, TLS) is the [`crate::rest::connect::UpstreamConnector`]
//! behind hyper-rustls.
//!
//! - [`head`]: the answer's status line and headers, its framing and
//!   whether the connection may carry another request;
//! - [`chunked`]: the `chunked` transfer coding, decoded incrementally;
//! - [`whole`]: an answer read whole, within a size limit (REST);
//! - [`stream`]: an answer whose body is a [`hyper::body::Body`] decoded from
//!   the connection as the caller polls it (legacy pass-through);
//! - [`request_stream`]: a request whose body is streamed from its source
//!   as it arrives, watching for an early answer (legacy uploads);
//! - [`pool`]: [`H1Pool`], the idle connections, the stale check, the
//!   retry rule and the idle reaper.
//!
//! The client never sends `HEAD` (whose answers announce a length and
//! carry no body).
//!
//! What it handles of HTTP/1.1 answers: `Content-Length`, `chunked` (with
//! extensions and trailers), close-delimited bodies, interim `1xx` answers,
//! bodiless statuses (`204`, `304`), `Connection: close` and HTTP/1.0. A
//! connection goes back to the pool only after a complete answer that allows
//! keep-alive and nothing unread after it (for a streamed answer: once its
//! last byte has been decoded), and is reused only within the upstream's
//! `Keep-Alive: timeout` (less a margin) as well as the pool's idle timeout.
//! An idle connection is checked before reuse (closed or readable means
//! discarded). A request on a reused connection is sent again once, on a
//! new connection, when the upstream cannot have acted on it: it could not
//! be written at all, or the upstream reset the connection before any
//! answer (a reset is what a server's TCP stack sends when it closes a
//! connection with the request still unread in its buffer: an idle
//! connection closed while the request was on its way; RFC 9112 §9.6). One
//! that closed cleanly before an answer (the upstream may have read it) is
//! sent again only when the request is safe to repeat (issue 16, finding 7:
//! 6–10% of Logins failed against an upstream closing idle connections
//! after 5 ms).

use std::io;

use bytes::{Bytes, BytesMut};
use hyper_rustls::MaybeHttpsStream;
use hyper_util::rt::TokioIo;

use crate::rest::connect::UpstreamStream;

pub mod chunked;
pub mod head;
mod pool;
mod request_stream;
pub mod stream;
mod whole;

pub use pool::H1Pool;
pub use request_stream::{BodyFraming, SendError};
pub use stream::{AnswerBody, StreamedAnswer};
pub use whole::Answer;

/// A connection to the upstream (or its proxy), TLS or plain.
type Io = TokioIo<MaybeHttpsStream<UpstreamStream>>;

/// Why an exchange failed.
#[derive(Debug)]
pub enum H1Error {
    /// No connection could be made (refused, DNS, TLS, proxy).
    Connect(String),
    /// The connection failed or closed before the whole answer arrived.
    Io {
        /// What happened, e.g. `Connection reset by peer (os error 104)`.
        reason: String,
        /// Whether the request may not have reached the upstream at all
        /// (nothing of an answer arrived): the exchange may be retried on
        /// a new connection when the request is safe to repeat.
        nothing_received: bool,
        /// Whether the upstream reset the connection (rather than closing
        /// it cleanly).
        reset: bool,
    },
    /// The answer is not HTTP/1.1 the client can read.
    Malformed(String),
    /// The answer's body is larger than the caller's limit.
    TooLarge(usize),
}

impl std::fmt::Display for H1Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            H1Error::Connect(reason) | H1Error::Malformed(reason) => f.write_str(reason),
            H1Error::Io { reason, .. } => f.write_str(reason),
            H1Error::TooLarge(limit) => write!(f, "response body larger than {limit} bytes"),
        }
    }
}

impl std::error::Error for H1Error {}

/// A connection and its read buffer. Always boxed: a TLS connection holds
/// rustls' state inline (kilobytes), and every future that holds a
/// connection would otherwise carry, and copy, all of it.
struct Conn<S = Io> {
    io: S,
    /// Bytes read and not yet consumed (empty between exchanges).
    buf: BytesMut,
}

/// Reads one answer from `bytes` as from an upstream connection that sends
/// them and closes: the status, the body and whether the connection could
/// be reused, or the error. For the fuzz target `fuzz/fuzz_targets/
/// h1_answer.rs` (the answer parser is this project's own); not part of the
/// API.
#[doc(hidden)]
pub async fn read_answer_from(bytes: &[u8], max_body: usize) -> Result<(u16, Bytes, bool), String> {
    let mut conn = Conn {
        io: bytes,
        buf: BytesMut::new(),
    };
    whole::read_answer(&mut conn, max_body)
        .await
        .map(|(answer, reuse)| (answer.status, answer.body, reuse.is_some()))
        .map_err(|e| e.to_string())
}

fn io_error(e: &io::Error, nothing_received: bool) -> H1Error {
    H1Error::Io {
        reason: root_cause(e),
        nothing_received,
        reset: e.kind() == io::ErrorKind::ConnectionReset,
    }
}

/// The innermost error message, which names no URL or credential.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}
