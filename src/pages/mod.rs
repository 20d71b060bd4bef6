//! The HTML pages at `GET <endpoint>` in the ASMX convention: the endpoint
//! page (every translated operation with its one-line summary and REST
//! calls, each linking to `?op=NAME`) and one page per operation
//! (parameters with their types, sample SOAP 1.1 and 1.2 requests and
//! responses built from the WSDL's schema, the REST calls, and a form that
//! calls it on this gateway). One embedded stylesheet, no script or font
//! fetched from anywhere; every value written is HTML-escaped.
//!
//! * [`endpoint_page`]: the list;
//! * [`operation_page`]: one operation, and the page for a name that is
//!   not one (404, with "did you mean");
//! * [`samples`]: the sample envelopes, from [`crate::schema::shapes`];
//! * [`style`]: the stylesheet.

pub mod endpoint_page;
pub mod operation_page;
pub mod samples;
pub mod style;

use http::StatusCode;

use crate::ops::{Availability, OperationSpec, OPERATIONS};
use crate::routing::Endpoint;
use crate::soap::writer::escape_into;

/// The page a `GET <endpoint>?<query>` (not `?WSDL`) answers: the endpoint
/// page, or with `op=NAME` (any case) that operation's page; an unknown
/// name is a 404 page. `base_url` is where the client reached the gateway.
pub fn page(endpoint: Endpoint, base_url: &str, query: Option<&str>) -> (StatusCode, String) {
    let op = query.and_then(|q| {
        q.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            key.eq_ignore_ascii_case("op").then_some(value)
        })
    });
    match op {
        None => (StatusCode::OK, endpoint_page::render(endpoint, base_url)),
        Some(name) => match served(endpoint, name) {
            Some(spec) => (
                StatusCode::OK,
                operation_page::render(endpoint, base_url, spec),
            ),
            None => (
                StatusCode::NOT_FOUND,
                operation_page::not_found(endpoint, name),
            ),
        },
    }
}

/// The translated operation called `name` (ASCII case ignored) that
/// `endpoint` serves.
pub fn served(endpoint: Endpoint, name: &str) -> Option<&'static OperationSpec> {
    OPERATIONS.iter().find(|spec| {
        spec.name.eq_ignore_ascii_case(name)
            && !(endpoint == Endpoint::V32 && spec.availability() == Availability::V41Only)
    })
}

/// Appends `text` HTML-escaped (`<`, `>`, `&`, `"`; attributes are always
/// double-quoted).
fn esc(html: &mut String, text: &str) {
    escape_into(html, text);
}

/// The start of a page: doctype, title, the stylesheet, `<body>`.
fn head(html: &mut String, title: &str) {
    html.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    esc(html, title);
    html.push_str(" · ecgrid-gateway</title><style>");
    html.push_str(style::STYLE);
    html.push_str("</style></head><body>");
}

/// The REST calls of `spec` as `<code>` lines, `(none)` without one.
fn rest_calls(html: &mut String, spec: &OperationSpec) {
    if spec.rest.is_empty() {
        html.push_str("(none: answered by the gateway)");
    }
    for (i, rest) in spec.rest.iter().enumerate() {
        if i > 0 {
            html.push_str("<br>");
        }
        html.push_str("<code>");
        esc(html, rest);
        html.push_str("</code>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_query_picks_the_operation_in_any_case() {
        let base = "http://127.0.0.1:8080";
        let (status, html) = page(Endpoint::V41, base, Some("op=login"));
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<h1>Login</h1>"), "{html}");
        let (status, _) = page(Endpoint::V41, base, Some("x=1&OP=WHOAMI"));
        assert_eq!(status, StatusCode::OK);
        let (status, html) = page(Endpoint::V41, base, Some("op=WhoAmi2"));
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("WhoAmi2"));
        let (status, html) = page(Endpoint::V41, base, None);
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("href=\"?op=Login\""), "{html}");
    }

    #[test]
    fn everything_written_is_escaped() {
        let (status, html) = page(
            Endpoint::V41,
            "http://x\"><script>alert(1)</script>",
            Some("op=<script>alert(1)</script>"),
        );
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!html.contains("<script>alert"), "{html}");
        let (_, html) = page(
            Endpoint::V41,
            "http://x\"><script>alert(1)</script>",
            Some("op=Login"),
        );
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("\"><script"), "{html}");
    }
}
