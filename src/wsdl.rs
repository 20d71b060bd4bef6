//! The WSDLs the gateway serves at `<endpoint>?WSDL`.
//!
//! `wsdl/ECGridOS.wsdl` (v4.1) and `wsdl/ECGridOS-v3.2.wsdl` are generated
//! from the original ECGridOS WSDLs for exactly the operations in
//! [`crate::ops::OPERATIONS`] (`tests/wsdl.rs` regenerates them and fails
//! when they drift). They are self-contained: no `import`, no
//! `AbstractTypes` schema, nothing a client would fetch from the internet.
//! Their addresses are written for the default listen address and rewritten
//! here to the base URL the client reached the gateway at.

use crate::routing::Endpoint;

/// The base URL the checked-in WSDL files carry in their addresses.
pub const FILE_BASE_URL: &str = "http://127.0.0.1:8080";

/// The v4.1 WSDL as checked in.
pub const V41_WSDL: &str = include_str!("../wsdl/ECGridOS.wsdl");
/// The v3.2 WSDL as checked in.
pub const V32_WSDL: &str = include_str!("../wsdl/ECGridOS-v3.2.wsdl");

/// The WSDL for `endpoint`, with its addresses pointing at `base_url`.
pub fn render(endpoint: Endpoint, base_url: &str) -> String {
    let text = match endpoint {
        Endpoint::V41 => V41_WSDL,
        Endpoint::V32 => V32_WSDL,
    };
    let from = format!("location=\"{FILE_BASE_URL}/");
    let mut to = String::from("location=\"");
    crate::soap::writer::escape_into(&mut to, base_url.trim_end_matches('/'));
    to.push('/');
    text.replace(&from, &to)
}
