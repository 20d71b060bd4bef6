//! The operation table of `docs/MAPPING.md`, generated from
//! [`crate::ops::OPERATIONS`] (the HTML pages are in [`crate::pages`]).

use crate::ops::{Availability, OPERATIONS};
use crate::routing::Endpoint;

/// The per-operation table of `docs/MAPPING.md` (Markdown), generated from
/// [`crate::ops::OPERATIONS`]: operation, SOAPAction in the v4.1 namespace,
/// REST endpoints, summary, whether the original WSDL declares it, and its
/// v3.2 availability. `tests/mapping_doc.rs` keeps the document equal to it.
pub fn markdown_table() -> String {
    let ns = Endpoint::V41.namespace().uri();
    let cell = |text: &str| text.replace('|', "\\|");
    let mut md = String::from(
        "| Operation | SOAPAction (v4.1) | REST v2 | What it does | In original WSDL | v3.2 |\n|---|---|---|---|---|---|\n",
    );
    for spec in OPERATIONS {
        let rest = if spec.rest.is_empty() {
            "(none)".to_string()
        } else {
            spec.rest
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        md.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} | {} |\n",
            spec.name,
            spec.soap_action(ns),
            rest,
            cell(spec.summary),
            if spec.in_original_wsdl() { "yes" } else { "no" },
            match spec.availability() {
                Availability::Both => "yes",
                Availability::V41Only => "no (v4.1 only)",
            }
        ));
    }
    md
}
