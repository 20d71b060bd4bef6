//! The HTML page at `GET <endpoint>` (no query): every operation the gateway
//! translates, with its SOAPAction and REST endpoints, generated from
//! [`crate::ops::OPERATIONS`].

use crate::ops::{Availability, OPERATIONS};
use crate::routing::Endpoint;
use crate::soap::writer::escape_into;

/// The coverage page of `endpoint`, linking the WSDL at `base_url`.
pub fn page(endpoint: Endpoint, base_url: &str) -> String {
    let ns = endpoint.namespace().uri();
    let mut html = String::with_capacity(4096);
    let esc = |html: &mut String, text: &str| escape_into(html, text);
    html.push_str(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ecgrid-gateway: ",
    );
    esc(&mut html, endpoint.path());
    html.push_str("</title></head><body><h1>ecgrid-gateway</h1><p>ECGridOS SOAP endpoint <code>");
    esc(&mut html, endpoint.path());
    html.push_str("</code> (namespace <code>");
    esc(&mut html, ns);
    html.push_str("</code>), answered by ECGrid REST v2. WSDL: <a href=\"");
    esc(&mut html, base_url);
    esc(&mut html, endpoint.path());
    html.push_str("?WSDL\">");
    esc(&mut html, endpoint.path());
    html.push_str("?WSDL</a></p><table><thead><tr><th>Operation</th><th>SOAPAction</th><th>REST v2</th><th>What it does</th></tr></thead><tbody>");
    for spec in OPERATIONS {
        if endpoint == Endpoint::V32 && spec.availability() == Availability::V41Only {
            continue;
        }
        html.push_str("<tr><td>");
        esc(&mut html, spec.name);
        html.push_str("</td><td><code>");
        esc(&mut html, &spec.soap_action(ns));
        html.push_str("</code></td><td>");
        if spec.rest.is_empty() {
            html.push_str("(none)");
        }
        for (i, rest) in spec.rest.iter().enumerate() {
            if i > 0 {
                html.push_str("<br>");
            }
            html.push_str("<code>");
            esc(&mut html, rest);
            html.push_str("</code>");
        }
        html.push_str("</td><td>");
        esc(&mut html, spec.summary);
        html.push_str("</td></tr>");
    }
    html.push_str("</tbody></table><p>Any other ECGridOS operation is answered with a soap:Client fault naming it.</p></body></html>");
    html
}

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
