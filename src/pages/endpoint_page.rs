//! The endpoint page (`GET <endpoint>`): every operation the gateway
//! translates on this endpoint, each linking to its `?op=NAME` page, with
//! its one-line summary and REST calls; generated from
//! [`crate::ops::OPERATIONS`].

use super::{esc, head, rest_calls};
use crate::ops::{Availability, OPERATIONS};
use crate::routing::Endpoint;

/// The endpoint page of `endpoint`, its WSDL link at `base_url`.
pub fn render(endpoint: Endpoint, base_url: &str) -> String {
    let ns = endpoint.namespace().uri();
    let mut html = String::with_capacity(16 * 1024);
    head(&mut html, &format!("ECGridOS {}", endpoint.path()));
    html.push_str("<h1>ECGridOS</h1><p class=\"lead\">SOAP endpoint <code>");
    esc(&mut html, endpoint.path());
    html.push_str("</code> · namespace <code>");
    esc(&mut html, ns);
    html.push_str("</code> · answered by ECGrid REST v2 through ecgrid-gateway</p><p>Service description: <a href=\"");
    esc(&mut html, base_url.trim_end_matches('/'));
    esc(&mut html, endpoint.path());
    html.push_str("?WSDL\">");
    esc(&mut html, endpoint.path());
    html.push_str("?WSDL</a> (point zeep, SoapUI or your proxy generator at it).");
    let other = match endpoint {
        Endpoint::V41 => Endpoint::V32,
        Endpoint::V32 => Endpoint::V41,
    };
    html.push_str(" Other endpoint: <a href=\"");
    esc(&mut html, other.path());
    html.push_str("\">");
    esc(&mut html, other.path());
    html.push_str("</a>.</p><h2>Operations</h2><p class=\"note\">Each name opens its page: parameters, sample SOAP 1.1 and 1.2 messages, and a form to call it.</p><table><thead><tr><th>Operation</th><th>What it does</th><th>REST v2</th></tr></thead><tbody>");
    for spec in OPERATIONS {
        if endpoint == Endpoint::V32 && spec.availability() == Availability::V41Only {
            continue;
        }
        html.push_str("<tr><td class=\"op\"><a href=\"?op=");
        esc(&mut html, spec.name);
        html.push_str("\">");
        esc(&mut html, spec.name);
        html.push_str("</a></td><td>");
        esc(&mut html, spec.summary);
        html.push_str("</td><td class=\"rest\">");
        rest_calls(&mut html, spec);
        html.push_str("</td></tr>");
    }
    html.push_str("</tbody></table><p class=\"note\">Any other ECGridOS operation is answered with a <code>soap:Client</code> fault naming it (or, with <code>--legacy</code>, passed to the legacy service). <a href=\"/migration\">/migration</a> shows the routes in use.</p></body></html>");
    html
}
