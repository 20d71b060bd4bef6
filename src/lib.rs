//! ecgrid-gateway: a SOAP-to-REST compatibility gateway for ECGridOS clients.
//!
//! (Crate documentation is written out as the modules land; see ARCHITECTURE.md.)

pub mod config;
pub mod coverage;
pub mod domain;
pub mod ops;
pub mod rest;
pub mod sandbox;
pub mod server;
pub mod session;
pub mod soap;
pub mod startup;
pub mod telemetry;
pub mod wsdl;
