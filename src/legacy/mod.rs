//! The legacy ECGridOS SOAP service as an upstream (`--legacy URL`): the
//! HTTP client that pass-through and shadow requests go out on
//! ([`LegacyClient`]), and the two calls the gateway makes on its own
//! behalf, `Login` and `Logout` ([`session_calls`]), which pair a gateway
//! session with a legacy one.
//!
//! A sibling of [`crate::rest`]: the same connector (TCP, the proxy route
//! from `HTTP(S)_PROXY`/`NO_PROXY`, TLS trusting the Mozilla roots and
//! `--upstream-ca`) and the same `--upstream-timeout`, and the same HTTP/1.1
//! exchange ([`crate::http1`]). Unlike the REST client, answers are not
//! read whole: a pass-through answer is streamed back to the SOAP client
//! as it arrives (a 50 MiB `ParcelDownload` is never held), its body
//! decoded from the connection as the client takes it
//! ([`crate::http1::AnswerBody`]).

mod client;
pub mod session_calls;

pub use client::{LegacyClient, LegacyError, LegacyRequest, StreamedError};
