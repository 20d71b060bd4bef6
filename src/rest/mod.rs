//! Typed client for the ECGrid REST v2 API (the contract is `docs/REST.md`).
//!
//! One [`RestClient`] per worker (its own HTTP/1.1 exchange and pool,
//! [`crate::http1`]; TLS by rustls; connect and request timeouts; the proxy from the
//! environment, [`connect`]) makes every upstream call. The `{success, data, errorCode, message}`
//! envelope is decoded in one place ([`client`]), and every failure becomes a
//! [`RestError`] that maps onto a SOAP fault by DESIGN.md rule 4 ([`error`]).

pub mod auth;
pub mod callbacks;
pub mod client;
pub mod connect;
pub mod directory;
pub mod error;
pub mod paging;
pub mod parcels;
pub mod timestamp;

pub use client::{Auth, RestClient};
pub use error::RestError;
