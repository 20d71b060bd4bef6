//! The shapes of ECGridOS requests and responses, generated from the
//! original WSDL's schema: the one source of element names, order, types and
//! cardinality.
//!
//! `generated/` is written by `cargo test --test schema` from
//! `../shared/reference/wsdl/ECGridOS-v4.1.wsdl` (and v3.2 for the names
//! only it has), and checked by the same test: a stale file fails it after
//! being rewritten, as rust-analyzer's generated syntax tree is. Nothing
//! here is edited by hand except this file and `support.rs`.
//!
//! * [`types`]: one struct per named `complexType` (fields in sequence
//!   order, typed by the XSD type: `s:int` → `i32`, `minOccurs="0"` →
//!   `Option`, `ArrayOfX` → a newtype over `Vec<X>`), one enum per
//!   `simpleType` (the callback enums are `crate::domain`'s, which a
//!   generated test pins to the WSDL's values). Each writes itself in the
//!   WSDL's order ([`WriteXml`]); a field out of order or of the wrong type
//!   cannot be written.
//! * [`requests`]: one struct per operation with its parameters, read from
//!   [`Params`](crate::soap::Params) by [`FromParam`] (absent value-type
//!   parameters take their .NET default, as ASMX does).
//! * [`responses`]: one struct per operation holding its `{Op}Result`,
//!   which writes the response body ([`WriteBody`](crate::soap::writer::WriteBody)).
//! * [`catalog`]: every operation of both original WSDLs, with which
//!   versions declare it and whether it takes a `SessionID`.
//! * [`shapes`]: the v4.1 schema as data (each operation's request and
//!   response sequence, every complexType's elements with their XSD types,
//!   every enumeration's values), from which the operation pages build
//!   their sample envelopes.
//!
//! Operations whose result is a `DataSet` (`s:schema` + `s:any`) have no
//! generated response; they are listed in [`catalog::WsdlOperation`] with
//! `shapes: false`.

mod generated;
mod support;

pub use generated::{catalog, enums, requests, responses, shapes, types};
pub use support::{Base64, FromParam, WriteXml, XsDateTime};
