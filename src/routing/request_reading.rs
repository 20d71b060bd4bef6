//! Reading a SOAP request's body while choosing its route
//! ([`Router::read_and_choose`]): a body bound for the legacy route is not
//! read whole when it is large, but passed on as it arrives once its first
//! bytes have shown the operation and the SessionID (a 50 MiB
//! `ParcelUpload` passed through is never held).
//!
//! Which bodies are streamed: with `--legacy` set, a body with no
//! `Content-Length` (chunked) or one over [`STREAM_FROM`] bytes is read
//! only until [`sniff`] has the operation and its SessionID (or the body
//! ended, or [`STREAM_FROM`] bytes came without them: then it is read
//! whole, as every body is without `--legacy`). When the operation is
//! routed `legacy`, the rest of the body follows those first bytes as it
//! arrives, under the operation's limit ([`BodyLimit::for_operation`]) and
//! the body's deadline. Every other body is read whole, as before: the
//! REST path and the shadow route need all of it, and a small body is sent
//! with its length in one write, and may be sent again on a fresh
//! connection when a reused one turns out closed.

use bytes::Bytes;

use crate::request_body::{BodyLimits, BodyReader, Prefix, StreamedBody};
use crate::soap::Fault;

use super::router::{Router, RouterChoice};
use super::sniff::{sniff, Sniffed};

/// Bodies of up to this many bytes (by their `Content-Length`) are read
/// whole on every route; also the most read before giving up on finding
/// the operation and SessionID in a body's first bytes.
pub const STREAM_FROM: usize = 64 * 1024;

/// A request's route and its body.
#[derive(Debug)]
pub enum Chosen {
    /// The REST path (which also writes every fault of an envelope it
    /// cannot read), with the whole body.
    Rest(Bytes),
    /// The legacy route.
    Legacy(Sniffed, LegacyBody),
    /// The shadow route, with the whole body.
    Shadow(Sniffed, Bytes),
}

/// The body of a request on the legacy route.
#[derive(Debug)]
pub enum LegacyBody {
    /// Read whole.
    Whole(Bytes),
    /// Its first bytes read, the rest to pass on as it arrives (boxed:
    /// every call moves a `Chosen`, and few carry this).
    Streamed(Box<StreamedRequest>),
}

/// A body to pass on as it arrives: the bytes read to choose its route,
/// and the rest.
pub struct StreamedRequest {
    /// The body's first bytes, as received (they hold the SessionID).
    pub prefix: Bytes,
    /// The rest, under the operation's limit and the body's deadline.
    pub rest: StreamedBody,
    /// The client's `Content-Length`, when it sent one.
    pub announced: Option<usize>,
}

impl std::fmt::Debug for StreamedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamedRequest")
            .field("prefix", &self.prefix.len())
            .field("announced", &self.announced)
            .finish()
    }
}

impl Router {
    /// Reads `reader`'s body (see the module doc) and chooses its route;
    /// the faults are the body's (413, 408, 400, 503).
    pub async fn read_and_choose(
        &self,
        reader: BodyReader,
        limits: &BodyLimits,
    ) -> Result<Chosen, Fault> {
        let small = reader.announced().is_some_and(|n| n <= STREAM_FROM);
        if !self.table().has_legacy() || small {
            let body = reader.read_to_end().await?;
            return Ok(self.chosen(self.choose(&body), body));
        }
        // Boxed: the rare path's state would otherwise make every call's
        // future larger (and its first move cost more).
        Box::pin(self.read_large(reader, limits)).await
    }

    /// [`Router::read_and_choose`] of a body that may be streamed.
    async fn read_large(
        &self,
        mut reader: BodyReader,
        limits: &BodyLimits,
    ) -> Result<Chosen, Fault> {
        let mut found = None;
        let prefix = reader
            .read_prefix(
                |prefix| {
                    found = sniff(prefix);
                    found.is_some()
                },
                STREAM_FROM,
            )
            .await?;
        if let Prefix::Whole(body) = prefix {
            return Ok(self.chosen(self.choose(&body), body));
        }
        let Some(sniffed) = found.or_else(|| sniff(reader.prefix())) else {
            // Not an envelope routing can read in its first bytes: the
            // envelope reader's fault will say why.
            let body = reader.read_to_end().await?;
            return Ok(Chosen::Rest(body));
        };
        let choice = self.choose_sniffed(sniffed);
        let RouterChoice::Legacy(sniffed) = choice else {
            let body = reader.read_to_end().await?;
            return Ok(self.chosen(choice, body));
        };
        let limit = reader.limit().for_operation(limits, &sniffed.operation);
        let announced = reader.announced();
        limit.admits(reader.prefix().len(), false)?;
        if let Some(announced) = announced {
            limit.admits(announced, true)?;
        }
        let (prefix, rest) = reader.into_rest(limit);
        Ok(Chosen::Legacy(
            sniffed,
            LegacyBody::Streamed(Box::new(StreamedRequest {
                prefix,
                rest,
                announced,
            })),
        ))
    }

    fn chosen(&self, choice: RouterChoice, body: Bytes) -> Chosen {
        match choice {
            RouterChoice::Rest => Chosen::Rest(body),
            RouterChoice::Legacy(sniffed) => Chosen::Legacy(sniffed, LegacyBody::Whole(body)),
            RouterChoice::Shadow(sniffed) => Chosen::Shadow(sniffed, body),
        }
    }
}
