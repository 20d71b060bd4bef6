//! Two SOAP answers compared as XML, not as text: element and attribute
//! names by namespace and local name (prefixes ignored), text with the
//! surrounding whitespace ignored, numbers and `xs:dateTime`s by value,
//! children in document order (the WSDL's sequences fix it). What differs
//! is reported as element paths of local names (`/WhoAmIResponse/
//! WhoAmIResult/LastLogin`), without positions, so a path learned as noise
//! on one call matches the same field on the next.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Deepest nesting read.
const MAX_DEPTH: usize = 64;
/// Most elements read from one answer.
const MAX_NODES: usize = 200_000;
/// Most differences reported for one pair of answers.
pub const MAX_DIFFERENCES: usize = 50;

/// An element of an answer, as compared.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    /// Namespace URI (empty when unqualified).
    pub ns: String,
    /// Local name.
    pub local: String,
    /// Attributes other than namespace declarations: (ns, local, value).
    pub attributes: Vec<(String, String, String)>,
    /// Text content, whitespace-trimmed.
    pub text: String,
    /// Child elements, in order.
    pub children: Vec<Node>,
}

/// One differing path, with the two values (as text) for display.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PathDiff {
    /// The element path.
    pub path: String,
    /// The legacy side's value there (text, or a description).
    pub legacy: String,
    /// The REST side's value there.
    pub rest: String,
}

/// Reads `xml` and returns the content of its SOAP `Body` (an element named
/// `Body` in any namespace) as a nameless node whose children are the
/// Body's.
pub fn read_body(xml: &[u8]) -> Result<Node, String> {
    let mut reader = NsReader::from_reader(xml);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut nodes = 0usize;
    loop {
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("not XML: {e}"))?;
        match event {
            Event::DocType(_) => return Err("a DOCTYPE in an answer".into()),
            Event::Start(ref e) | Event::Empty(ref e) => {
                nodes += 1;
                if nodes > MAX_NODES || stack.len() > MAX_DEPTH {
                    return Err("answer too large or too deep to compare".into());
                }
                let mut node = Node {
                    ns: namespace(&resolved),
                    local: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Node::default()
                };
                for attr in e.attributes().flatten() {
                    let key = attr.key;
                    if key.as_ref() == b"xmlns" || key.as_ref().starts_with(b"xmlns:") {
                        continue;
                    }
                    let (ns, local) = reader.resolve_attribute(key);
                    node.attributes.push((
                        namespace(&ns),
                        String::from_utf8_lossy(local.as_ref()).into_owned(),
                        attr.unescape_value()
                            .map(|v| v.into_owned())
                            .unwrap_or_default(),
                    ));
                }
                node.attributes.sort();
                if matches!(event, Event::Empty(_)) {
                    stack.last_mut().expect("root").children.push(node);
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let mut node = stack.pop().ok_or("unbalanced answer")?;
                node.text = node.text.trim().to_string();
                stack
                    .last_mut()
                    .ok_or("unbalanced answer")?
                    .children
                    .push(node);
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| format!("bad text: {e}"))?;
                stack.last_mut().expect("root").text.push_str(&text);
            }
            Event::CData(c) => {
                stack
                    .last_mut()
                    .expect("root")
                    .text
                    .push_str(&String::from_utf8_lossy(&c));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let root = stack.pop().ok_or("empty answer")?;
    let body = find_body(root).ok_or_else(|| "no SOAP Body in the answer".to_string())?;
    Ok(Node {
        children: body.children,
        ..Node::default()
    })
}

fn find_body(node: Node) -> Option<Node> {
    for child in node.children {
        if child.local == "Body" {
            return Some(child);
        }
        if let Some(body) = find_body(child) {
            return Some(body);
        }
    }
    None
}

fn namespace(resolved: &ResolveResult<'_>) -> String {
    match resolved {
        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
        _ => String::new(),
    }
}

/// Whether two texts mean the same value: equal, or both numbers of the
/// same value, or both dateTimes of the same instant.
pub fn same_value(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        return x == y;
    }
    match (datetime(a), datetime(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// An `xs:dateTime` (with an offset, or without one read as UTC).
fn datetime(text: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t);
    }
    let format = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(text, &format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// The paths where `legacy` and `rest` differ, skipping any path `ignored`
/// says to (and everything under it); at most [`MAX_DIFFERENCES`].
pub fn differences(legacy: &Node, rest: &Node, ignored: &dyn Fn(&str) -> bool) -> Vec<PathDiff> {
    let mut out = Vec::new();
    compare(legacy, rest, "", ignored, &mut out);
    out
}

fn compare(
    a: &Node,
    b: &Node,
    parent: &str,
    ignored: &dyn Fn(&str) -> bool,
    out: &mut Vec<PathDiff>,
) {
    let path = if a.local.is_empty() {
        parent.to_string()
    } else {
        format!("{parent}/{}", a.local)
    };
    if out.len() >= MAX_DIFFERENCES || ignored(&path) {
        return;
    }
    let mut push = |path: String, legacy: String, rest: String| {
        if out.len() < MAX_DIFFERENCES && !ignored(&path) {
            out.push(PathDiff { path, legacy, rest });
        }
    };
    if (a.ns.as_str(), a.local.as_str()) != (b.ns.as_str(), b.local.as_str()) {
        push(
            if path.is_empty() { "/".into() } else { path },
            format!("<{}> ({})", a.local, a.ns),
            format!("<{}> ({})", b.local, b.ns),
        );
        return;
    }
    if a.attributes != b.attributes {
        let shown = |n: &Node| {
            n.attributes
                .iter()
                .map(|(_, k, v)| format!("{k}=\"{v}\""))
                .collect::<Vec<_>>()
                .join(" ")
        };
        push(format!("{path}/@"), shown(a), shown(b));
    }
    if a.children.is_empty() && b.children.is_empty() {
        if !same_value(&a.text, &b.text) {
            push(path.clone(), a.text.clone(), b.text.clone());
        }
        return;
    }
    for (x, y) in a.children.iter().zip(&b.children) {
        compare(x, y, &path, ignored, out);
    }
    let (la, lb) = (a.children.len(), b.children.len());
    if la != lb {
        let extra = if la > lb {
            &a.children[lb]
        } else {
            &b.children[la]
        };
        let count = |n: usize| format!("{n} child element(s)");
        let p = format!("{path}/{}", extra.local);
        if out.len() < MAX_DIFFERENCES && !ignored(&p) {
            out.push(PathDiff {
                path: p,
                legacy: count(la),
                rest: count(lb),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(a: &str, b: &str) -> Vec<String> {
        let (a, b) = (
            read_body(a.as_bytes()).unwrap(),
            read_body(b.as_bytes()).unwrap(),
        );
        differences(&a, &b, &|_| false)
            .into_iter()
            .map(|d| d.path)
            .collect()
    }

    const A: &str = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><R xmlns="urn:x"><N>1.50</N><T>2026-05-07T12:00:00Z</T><S> a </S></R></soap:Body></soap:Envelope>"#;

    #[test]
    fn prefixes_whitespace_numbers_and_datetimes_do_not_differ() {
        let b = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
          <s:Body>
            <x:R xmlns:x="urn:x"><x:N>1.5</x:N><x:T>2026-05-07T14:00:00+02:00</x:T><x:S>a</x:S></x:R>
          </s:Body></s:Envelope>"#;
        assert_eq!(diff(A, b), Vec::<String>::new());
        let naive = A.replace("12:00:00Z", "12:00:00.000");
        assert_eq!(diff(A, &naive), Vec::<String>::new());
    }

    #[test]
    fn values_namespaces_and_counts_differ_by_path() {
        let b = A.replace("<N>1.50</N>", "<N>2</N>");
        assert_eq!(diff(A, &b), ["/R/N"]);
        let b = A.replace("urn:x", "urn:y");
        assert_eq!(diff(A, &b), ["/R"]);
        let b = A.replace("<S> a </S>", "<S>a</S><S>b</S>");
        assert_eq!(diff(A, &b), ["/R/S"]);
        let a = read_body(A.as_bytes()).unwrap();
        let b = read_body(A.replace("<N>1.50</N>", "<N>2</N>").as_bytes()).unwrap();
        assert!(differences(&a, &b, &|p| p == "/R/N").is_empty());
    }

    #[test]
    fn children_out_of_the_sequences_order_differ() {
        // Every complex type of both WSDLs is an xs:sequence (tests/schema.rs
        // checks it), so fields in another order are not what the WSDL
        // allows: a difference, not noise.
        let swapped = A.replace(
            "<N>1.50</N><T>2026-05-07T12:00:00Z</T>",
            "<T>2026-05-07T12:00:00Z</T><N>1.50</N>",
        );
        assert!(!diff(A, &swapped).is_empty());
    }
}
