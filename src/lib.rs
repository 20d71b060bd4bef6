//! ecgrid-gateway: a SOAP-to-REST compatibility gateway for ECGridOS clients.
//!
//! (Crate documentation is written out as the modules land; see ARCHITECTURE.md.)

pub mod domain;
pub mod soap;
pub mod sandbox;
