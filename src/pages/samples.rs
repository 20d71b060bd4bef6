//! Sample requests and responses of an operation, as ASMX's operation
//! pages show them, built from the generated schema
//! ([`crate::schema::shapes`]): each element in sequence order with a
//! placeholder naming its XSD type (`string`, `int`, `dateTime`, an
//! enumeration's values joined by ` or `), complex types expanded, the
//! outermost list's item written twice (a list inside a list's item once,
//! so a page stays readable). Nothing here is typed by hand per operation.

use std::fmt::Write as _;

use crate::schema::shapes::{self, ElementShape, OperationShape};
use crate::soap::SoapVersion;

/// How deep complex types are expanded; deeper ones are elided (`…`).
const MAX_DEPTH: usize = 8;

/// A parameter of an operation as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// Element name.
    pub name: &'static str,
    /// XSD type as the WSDL writes it (`s:int`, `tns:Objects`).
    pub xsd: &'static str,
    /// What the page shows as its type: `string`, `int`, `Objects (one of
    /// A, B)`.
    pub type_label: String,
    /// A simple type (an XSD primitive or an enumeration): the form can
    /// take it as text.
    pub simple: bool,
    /// An enumeration's values (empty for other types): the form offers
    /// them as a choice.
    pub values: &'static [&'static str],
}

/// The parameters of `op`, in sequence order (`None` when its request is
/// not a plain sequence).
pub fn parameters(op: &OperationShape) -> Option<Vec<Parameter>> {
    Some(
        op.request?
            .iter()
            .map(|e| Parameter {
                name: e.name,
                xsd: e.xsd,
                type_label: type_label(e),
                simple: !e.unbounded && is_simple(e.xsd),
                values: shapes::enumeration(local(e.xsd)).map_or(&[], |en| en.values),
            })
            .collect(),
    )
}

/// Whether an XSD type is a primitive or an enumeration.
fn is_simple(xsd: &str) -> bool {
    match xsd.split_once(':') {
        Some(("s", _)) => true,
        Some((_, name)) => shapes::enumeration(name).is_some(),
        None => false,
    }
}

/// The type as the page shows it.
fn type_label(e: &ElementShape) -> String {
    let local = local(e.xsd);
    let mut label = match shapes::enumeration(local) {
        Some(values) => format!("{local} (one of {})", values.values.join(", ")),
        None => local.to_string(),
    };
    if e.unbounded {
        label.push_str(", repeated");
    }
    label
}

fn local(xsd: &str) -> &str {
    xsd.split_once(':').map_or(xsd, |(_, name)| name)
}

/// The HTTP request sample of `op` on `path` at `host` in `version`
/// (headers, then the envelope), `None` without a request shape.
pub fn request(
    version: SoapVersion,
    path: &str,
    host: &str,
    namespace: &str,
    op: &OperationShape,
) -> Option<String> {
    let elements = op.request?;
    let mut out = format!("POST {path} HTTP/1.1\nHost: {host}\nContent-Type: ");
    out.push_str(version.content_type());
    out.push_str("\nContent-Length: length\n");
    if version == SoapVersion::V11 {
        let _ = writeln!(out, "SOAPAction: \"{namespace}{}\"", op.name);
    }
    out.push('\n');
    envelope(&mut out, version, namespace, op.name, elements);
    Some(out)
}

/// The HTTP response sample of `op` in `version`, `None` without a
/// response shape (a `DataSet` result).
pub fn response(version: SoapVersion, namespace: &str, op: &OperationShape) -> Option<String> {
    let elements = op.response?;
    let mut out = String::from("HTTP/1.1 200 OK\nContent-Type: ");
    out.push_str(version.content_type());
    out.push_str("\nContent-Length: length\n\n");
    envelope(
        &mut out,
        version,
        namespace,
        &format!("{}Response", op.name),
        elements,
    );
    Some(out)
}

/// An envelope whose body is `<name xmlns="namespace">` with `elements`.
fn envelope(
    out: &mut String,
    version: SoapVersion,
    namespace: &str,
    name: &str,
    elements: &[ElementShape],
) {
    let prefix = match version {
        SoapVersion::V11 => "soap",
        SoapVersion::V12 => "soap12",
    };
    let _ = writeln!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<{prefix}:Envelope xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:{prefix}=\"{}\">\n  <{prefix}:Body>",
        version.envelope_ns()
    );
    if elements.is_empty() {
        let _ = writeln!(out, "    <{name} xmlns=\"{namespace}\" />");
    } else {
        let _ = writeln!(out, "    <{name} xmlns=\"{namespace}\">");
        let mut stack = Vec::new();
        write_elements(out, elements, 3, &mut stack, false);
        let _ = writeln!(out, "    </{name}>");
    }
    let _ = write!(out, "  </{prefix}:Body>\n</{prefix}:Envelope>");
}

/// Writes `elements` at `indent` (two spaces each); `stack` holds the
/// complex types being expanded (a type inside itself is elided);
/// `in_list` is true inside a repeated element's item.
fn write_elements(
    out: &mut String,
    elements: &[ElementShape],
    indent: usize,
    stack: &mut Vec<&'static str>,
    in_list: bool,
) {
    for e in elements {
        let times = if e.unbounded && !in_list { 2 } else { 1 };
        for _ in 0..times {
            write_element(out, e, indent, stack, in_list || e.unbounded);
        }
    }
}

fn write_element(
    out: &mut String,
    e: &ElementShape,
    indent: usize,
    stack: &mut Vec<&'static str>,
    in_list: bool,
) {
    let pad = "  ".repeat(indent);
    let name = local(e.xsd);
    if e.xsd.starts_with("s:") {
        let _ = writeln!(out, "{pad}<{}>{}</{}>", e.name, name, e.name);
        return;
    }
    if let Some(values) = shapes::enumeration(name) {
        let _ = writeln!(
            out,
            "{pad}<{}>{}</{}>",
            e.name,
            values.values.join(" or "),
            e.name
        );
        return;
    }
    let inner = shapes::complex_type(name).map(|t| t.elements);
    match inner {
        Some(Some(children)) if stack.len() < MAX_DEPTH && !stack.contains(&name) => {
            if children.is_empty() {
                let _ = writeln!(out, "{pad}<{} />", e.name);
                return;
            }
            let _ = writeln!(out, "{pad}<{}>", e.name);
            stack.push(shapes::complex_type(name).map_or("", |t| t.name));
            write_elements(out, children, indent + 1, stack, in_list);
            stack.pop();
            let _ = writeln!(out, "{pad}</{}>", e.name);
        }
        // A DataSet (`s:schema` + `s:any`), as ASMX shows it.
        Some(None) => {
            let _ = writeln!(out, "{pad}<{}>xml</{}>", e.name, e.name);
        }
        _ => {
            let _ = writeln!(out, "{pad}<{}>…</{}>", e.name, e.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_samples_name_each_parameter_with_its_type() {
        let op = shapes::operation("Login").expect("Login in the schema");
        let req = request(
            SoapVersion::V11,
            "/v4.1/prod/ECGridOS.asmx",
            "127.0.0.1:8080",
            "https://os.ecgrid.io/",
            op,
        )
        .unwrap();
        assert!(req.starts_with("POST /v4.1/prod/ECGridOS.asmx HTTP/1.1\nHost: 127.0.0.1:8080\nContent-Type: text/xml; charset=utf-8\n"), "{req}");
        assert!(req.contains("SOAPAction: \"https://os.ecgrid.io/Login\""));
        assert!(req.contains("    <Login xmlns=\"https://os.ecgrid.io/\">\n      <LoginName>string</LoginName>\n      <Password>string</Password>\n    </Login>"), "{req}");
        let req12 = request(SoapVersion::V12, "/p", "h", "https://os.ecgrid.io/", op).unwrap();
        assert!(req12.contains("application/soap+xml; charset=utf-8"));
        assert!(!req12.contains("SOAPAction"));
        assert!(req12.contains("<soap12:Envelope"));
        let resp = response(SoapVersion::V11, "https://os.ecgrid.io/", op).unwrap();
        assert!(resp.contains("<LoginResult>string</LoginResult>"), "{resp}");
    }

    #[test]
    fn complex_results_are_expanded_with_types_and_enum_values() {
        let op = shapes::operation("WhoAmI").unwrap();
        let resp = response(SoapVersion::V12, "https://os.ecgrid.io/", op).unwrap();
        assert!(resp.contains("<WhoAmIResult>"), "{resp}");
        assert!(resp.contains("<LastLogin>dateTime</LastLogin>"), "{resp}");
        assert!(resp.contains(" or "), "an enum's values: {resp}");
        let params = parameters(op).unwrap();
        assert_eq!(params[0].name, "SessionID");
        assert_eq!(params[0].type_label, "string");
        assert!(params[0].simple);
    }

    #[test]
    fn every_operation_samples_in_bounded_size() {
        for op in shapes::OPERATIONS {
            for v in [SoapVersion::V11, SoapVersion::V12] {
                let size = response(v, "ns", op).map_or(0, |s| s.len())
                    + request(v, "/p", "h", "ns", op).map_or(0, |s| s.len());
                assert!(size < 200_000, "{}: {size} bytes", op.name);
            }
        }
    }

    #[test]
    fn only_the_outermost_list_item_is_written_twice() {
        let op = shapes::operation("ParcelInBox").unwrap();
        let resp = response(SoapVersion::V11, "ns", op).unwrap();
        assert_eq!(resp.matches("<ParcelIDInfo>").count(), 2, "{resp}");
        // Each item's Interchanges list holds one InterchangeIDInfo.
        assert_eq!(resp.matches("<InterchangeIDInfo>").count(), 2, "{resp}");
    }
}
