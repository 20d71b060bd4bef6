//! One operation's page (`GET <endpoint>?op=NAME`, name in any case), as
//! ASMX shows it: what it does, its SOAPAction and REST calls, its
//! parameters with their XSD types, a form that calls it on this gateway,
//! and sample SOAP 1.1 and 1.2 requests and responses
//! ([`super::samples`]).
//!
//! The form is sent by a small inline script as a SOAP 1.1 envelope
//! (`text/xml`, `SOAPAction`) to the endpoint, exactly as a client sends
//! it, and the answer (status and XML) is shown under it; nothing on the
//! server is special for it. It is offered for operations whose parameters
//! are all simple (strings, numbers, dates, enumerations); an empty field
//! is left out of the envelope.

use super::samples::{self, Parameter};
use super::{esc, head, rest_calls};
use crate::ops::OperationSpec;
use crate::routing::table::closest_operation;
use crate::routing::Endpoint;
use crate::schema::{catalog, shapes};
use crate::soap::SoapVersion;

/// Builds the envelope from the form's fields and posts it; shows the
/// answer as text (never as HTML).
const INVOKE_SCRIPT: &str = r#"
document.querySelectorAll('form.invoke').forEach(function (form) {
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var op = form.dataset.op, ns = form.dataset.ns;
    var xml = function (t) { return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'); };
    var params = '';
    form.querySelectorAll('[data-param]').forEach(function (input) {
      if (input.value !== '') { params += '<' + input.name + '>' + xml(input.value) + '</' + input.name + '>'; }
    });
    var envelope = '<?xml version="1.0" encoding="utf-8"?>' +
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>' +
      '<' + op + ' xmlns="' + ns + '">' + params + '</' + op + '></soap:Body></soap:Envelope>';
    var out = document.getElementById('answer');
    out.hidden = false;
    out.textContent = 'calling ' + op + '...';
    fetch(form.getAttribute('action'), {
      method: 'POST',
      headers: { 'Content-Type': 'text/xml; charset=utf-8', 'SOAPAction': '"' + ns + op + '"' },
      body: envelope
    }).then(function (response) {
      return response.text().then(function (text) {
        out.dataset.status = String(response.status);
        out.textContent = 'HTTP ' + response.status + '\n\n' + text.replace(/></g, '>\n<');
      });
    }).catch(function (error) { out.textContent = 'the call failed: ' + error; });
  });
});
"#;

/// The page of `spec` on `endpoint`; samples name the host of `base_url`.
pub fn render(endpoint: Endpoint, base_url: &str, spec: &OperationSpec) -> String {
    let ns = endpoint.namespace().uri();
    let shape = shapes::operation(spec.name);
    let params = shape.and_then(samples::parameters);
    let mut html = String::with_capacity(16 * 1024);
    head(&mut html, spec.name);
    html.push_str("<nav><a href=\"");
    esc(&mut html, endpoint.path());
    html.push_str("\">← all operations of ");
    esc(&mut html, endpoint.path());
    html.push_str("</a></nav><h1>");
    esc(&mut html, spec.name);
    html.push_str("</h1><p class=\"lead\">");
    esc(&mut html, spec.summary);
    html.push_str("</p><table class=\"fit\"><tbody><tr><th>SOAPAction</th><td><code>");
    esc(&mut html, &spec.soap_action(ns));
    html.push_str("</code></td></tr><tr><th>REST v2</th><td class=\"rest\">");
    rest_calls(&mut html, spec);
    html.push_str("</td></tr></tbody></table>");

    html.push_str("<h2>Parameters</h2>");
    match &params {
        None => html.push_str("<p class=\"note\">Not in the original ECGridOS WSDL; the served <a href=\"?WSDL\">WSDL</a> declares it.</p>"),
        Some(params) if params.is_empty() => html.push_str("<p>None.</p>"),
        Some(params) => parameter_table(&mut html, params),
    }

    if let Some(params) = params.as_ref().filter(|p| p.iter().all(|p| p.simple)) {
        form(&mut html, endpoint, spec.name, ns, params);
    }

    let host = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest)
        .trim_end_matches('/');
    for (version, title) in [
        (SoapVersion::V11, "SOAP 1.1"),
        (SoapVersion::V12, "SOAP 1.2"),
    ] {
        let Some(shape) = shape else { break };
        html.push_str("<h2>");
        html.push_str(title);
        html.push_str("</h2><p class=\"note\">A sample request and response; the placeholders show each element's type.</p>");
        for sample in [
            samples::request(version, endpoint.path(), host, ns, shape),
            samples::response(version, ns, shape),
        ]
        .into_iter()
        .flatten()
        {
            html.push_str("<pre>");
            esc(&mut html, &sample);
            html.push_str("</pre>");
        }
    }
    html.push_str("</body></html>");
    html
}

fn parameter_table(html: &mut String, params: &[Parameter]) {
    html.push_str("<table class=\"fit\"><thead><tr><th>Name</th><th>Type</th></tr></thead><tbody>");
    for p in params {
        html.push_str("<tr><td><code>");
        esc(html, p.name);
        html.push_str("</code></td><td>");
        esc(html, &p.type_label);
        html.push_str("</td></tr>");
    }
    html.push_str("</tbody></table>");
}

fn form(html: &mut String, endpoint: Endpoint, op: &str, ns: &str, params: &[Parameter]) {
    html.push_str("<h2>Test</h2><p class=\"note\">Calls the operation on this gateway with SOAP 1.1 (empty fields are left out).</p><form class=\"invoke\" method=\"post\" action=\"");
    esc(html, endpoint.path());
    html.push_str("\" data-op=\"");
    esc(html, op);
    html.push_str("\" data-ns=\"");
    esc(html, ns);
    html.push_str("\">");
    for p in params {
        html.push_str("<label for=\"p-");
        esc(html, p.name);
        html.push_str("\">");
        esc(html, p.name);
        html.push_str(" <small>");
        esc(html, &p.type_label);
        html.push_str("</small></label>");
        if p.values.is_empty() {
            html.push_str("<input data-param id=\"p-");
            esc(html, p.name);
            html.push_str("\" name=\"");
            esc(html, p.name);
            html.push_str(if p.name.contains("Password") {
                "\" type=\"password\" autocomplete=\"off\">"
            } else {
                "\" type=\"text\" autocomplete=\"off\">"
            });
        } else {
            // An enumeration: its values, or nothing (left out).
            html.push_str("<select data-param id=\"p-");
            esc(html, p.name);
            html.push_str("\" name=\"");
            esc(html, p.name);
            html.push_str("\"><option value=\"\">(not sent)</option>");
            for value in p.values {
                html.push_str("<option>");
                esc(html, value);
                html.push_str("</option>");
            }
            html.push_str("</select>");
        }
    }
    html.push_str("<button type=\"submit\" id=\"invoke\">Invoke</button><noscript><p class=\"note\">The form needs JavaScript; without it, send the sample below with curl.</p></noscript></form><pre id=\"answer\" hidden></pre><script>");
    html.push_str(INVOKE_SCRIPT);
    html.push_str("</script>");
}

/// The 404 page for `?op=NAME` when `endpoint` serves no operation of that
/// name: says whether it is an untranslated ECGridOS operation, or the
/// name it may misspell.
pub fn not_found(endpoint: Endpoint, name: &str) -> String {
    let shown: String = name.chars().take(64).collect();
    let mut html = String::with_capacity(2048);
    head(&mut html, "No such operation");
    html.push_str("<nav><a href=\"");
    esc(&mut html, endpoint.path());
    html.push_str("\">← all operations</a></nav><h1>No such operation</h1><p>This endpoint serves no operation <code>");
    esc(&mut html, &shown);
    html.push_str("</code>");
    if let Some(spec) = super::served(Endpoint::V41, name) {
        // Served on v4.1 only (the page of v4.1 would have been found).
        html.push_str(": it is not part of ECGridOS v3.2; see <a href=\"");
        esc(&mut html, Endpoint::V41.path());
        html.push_str("?op=");
        esc(&mut html, spec.name);
        html.push_str("\">");
        esc(&mut html, spec.name);
        html.push_str(" on v4.1</a>.");
    } else if let Some(real) = catalog::WSDL_OPERATIONS
        .iter()
        .find(|op| op.name.eq_ignore_ascii_case(name))
    {
        html.push_str(": <code>");
        esc(&mut html, real.name);
        html.push_str("</code> is an ECGridOS operation this gateway does not translate.");
    } else if let Some(close) = closest_operation(name).and_then(|c| super::served(endpoint, c)) {
        html.push_str(". Did you mean <a href=\"?op=");
        esc(&mut html, close.name);
        html.push_str("\">");
        esc(&mut html, close.name);
        html.push_str("</a>?");
    } else {
        html.push('.');
    }
    html.push_str("</p></body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops;

    fn page_of(name: &str) -> String {
        render(
            Endpoint::V41,
            "http://127.0.0.1:8080",
            ops::find(name).unwrap(),
        )
    }

    #[test]
    fn login_page_has_parameters_samples_and_a_form() {
        let html = page_of("Login");
        assert!(
            html.contains("<code>LoginName</code></td><td>string</td>"),
            "{html}"
        );
        assert!(html.contains("<form class=\"invoke\" method=\"post\" action=\"/v4.1/prod/ECGridOS.asmx\" data-op=\"Login\" data-ns=\"https://os.ecgrid.io/\">"));
        assert!(html.contains("name=\"Password\" type=\"password\""));
        assert!(html.contains("SOAPAction: &quot;https://os.ecgrid.io/Login&quot;"));
        assert!(html.contains("Host: 127.0.0.1:8080"));
        assert!(html.contains("&lt;LoginResult&gt;string&lt;/LoginResult&gt;"));
        assert!(html.contains("<h2>SOAP 1.2</h2>"));
        assert!(html.contains("POST /v2/auth/login"));
    }

    #[test]
    fn enumeration_parameters_are_a_choice_of_their_values() {
        let html = page_of("CallBackAddEx");
        assert!(
            html.contains("<option value=\"\">(not sent)</option><option>NoDir</option><option>OutBox</option><option>InBox</option></select>"),
            "{html}"
        );
    }

    #[test]
    fn operations_without_parameters_say_none_and_keep_the_form() {
        let html = page_of("Version");
        assert!(html.contains("<h2>Parameters</h2><p>None.</p>"), "{html}");
        assert!(html.contains("id=\"invoke\""));
    }

    #[test]
    fn an_operation_outside_the_original_wsdl_points_at_the_served_one() {
        let html = page_of("CallBackAdd");
        assert!(
            html.contains("the served <a href=\"?WSDL\">WSDL</a> declares it"),
            "{html}"
        );
        assert!(!html.contains("id=\"invoke\""));
    }

    #[test]
    fn not_found_names_untranslated_and_misspelt_operations() {
        let html = not_found(Endpoint::V41, "carboncopylist");
        assert!(html.contains("<code>CarbonCopyList</code> is an ECGridOS operation this gateway does not translate"), "{html}");
        let html = not_found(Endpoint::V41, "WhoAmX");
        assert!(
            html.contains("Did you mean <a href=\"?op=WhoAmI\">WhoAmI</a>?"),
            "{html}"
        );
        let long = "x".repeat(10_000);
        assert!(not_found(Endpoint::V41, &long).len() < 4096);
    }
}
