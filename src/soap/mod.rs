//! The SOAP side of the gateway: reading request envelopes, writing response
//! envelopes and faults, and the namespaces and versions both depend on.
//!
//! Nothing here knows about REST or about individual operations: the envelope
//! reader yields an operation name and its flat parameters, the writer takes
//! anything that can write its own body element.

pub mod envelope;
pub mod fault;
pub mod namespace;
pub mod params;
pub mod writer;

pub use envelope::{read_envelope, Limits, SoapRequest};
pub use fault::{ErrorCode, Fault, FaultCode};
pub use namespace::{ServiceNs, SoapVersion};
pub use params::Params;
pub use writer::{write_fault, write_response, XmlWriter};
