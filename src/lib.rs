//! ecgrid-gateway: a SOAP-to-REST compatibility gateway for ECGridOS clients.
//!
//! Thousands of EDI integrations still speak SOAP to ECGridOS
//! (`/v4.1/prod/ECGridOS.asmx`). This crate answers them: a legacy client
//! changes only the host of its endpoint URL, and every call it makes is
//! translated into ECGrid REST v2 calls and answered in the SOAP it expects.
//!
//! # How a request flows
//!
//! 1. [`server`] (called by hyper on a [`workers`] thread) takes the HTTP
//!    request on one of the two endpoint paths, gives it a request id and a
//!    tracing span, checks the content type and the body limit.
//! 2. [`soap::envelope`] reads the envelope in one streaming quick-xml pass
//!    (DOCTYPE refused, depth bounded) into an operation name and flat
//!    [`soap::Params`].
//! 3. [`ops`] looks the operation up in its one table
//!    ([`ops::OPERATIONS`]); the operation parses its request struct, and
//!    through [`ops::Context`] turns the SessionID into a REST credential
//!    ([`session`]: moka, SessionID → bearer token) and calls REST v2
//!    ([`rest`]).
//! 4. The operation's response struct writes itself in the WSDL's element
//!    order; [`soap::writer`] wraps it in an ASMX-shaped envelope of the
//!    request's SOAP version and namespace.
//!
//! Errors anywhere are one type, [`soap::Fault`], written as a SOAP 1.1 or
//! 1.2 fault. The embedded [`sandbox`] emulates the REST v2 endpoints the
//! gateway uses (with real webhook delivery), so the gateway runs, and its
//! tests run, with no ECGrid account. [`config`] and [`startup`] put it all
//! together; [`telemetry`] sets up logging, which never carries secrets.

pub mod body_memory;
pub mod call_scope;
pub mod config;
pub mod coverage;
pub mod domain;
pub mod head_refusal;
pub mod healthcheck;
pub mod http1;
pub mod legacy;
pub mod legacy_demo;
pub mod metrics;
pub mod ops;
pub mod pages;
pub mod readiness;
pub mod request_body;
pub mod request_id;
pub mod rest;
pub mod routing;
pub mod sandbox;
pub mod schema;
pub mod server;
pub mod session;
pub mod soap;
pub mod startup;
pub mod telemetry;
pub mod trace_context;
pub mod workers;
pub mod wsdl;
