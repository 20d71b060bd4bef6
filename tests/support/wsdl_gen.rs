//! Generates the WSDLs the gateway serves from the original ECGridOS WSDLs.
//!
//! Test-support code, not product code: `tests/wsdl.rs` runs it against
//! `../shared/reference/wsdl/` and compares the result with `wsdl/*.wsdl`.
//!
//! The original is read into a small [`Element`] tree (namespace prefixes
//! kept as written). For the given operations the generator keeps the
//! request/response elements and every type they reference (copied
//! verbatim, except that an empty `<s:complexType />` gets an empty
//! `<s:sequence />`, which means the same and which Perl SOAP::WSDL
//! needs), the `XSoapIn`/`XSoapOut` messages, the Soap port type and the
//! Soap and Soap12 bindings, and writes a service with those two ports.
//! Operations the original lacks (`CallBackAdd`) get a hand-written
//! declaration in the same style.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};

use quick_xml::events::Event;
use quick_xml::Reader;

/// The base URL the generated WSDLs carry in their addresses.
pub const FILE_BASE_URL: &str = "http://127.0.0.1:8080";

/// An XML element: qualified name as written, attributes in document
/// order, child elements and (trimmed) text. The WSDLs have no mixed
/// content, so text and children never need interleaving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Qualified name, e.g. `s:complexType`.
    pub name: String,
    /// `(qualified name, unescaped value)` pairs.
    pub attrs: Vec<(String, String)>,
    /// Child elements.
    pub children: Vec<Element>,
    /// Unescaped text content (empty when none).
    pub text: String,
}

impl Element {
    /// A new element without attributes, children or text.
    pub fn new(name: &str) -> Self {
        Element {
            name: name.to_string(),
            attrs: Vec::new(),
            children: Vec::new(),
            text: String::new(),
        }
    }

    /// Builder: adds an attribute.
    pub fn attr(mut self, name: &str, value: &str) -> Self {
        self.attrs.push((name.to_string(), value.to_string()));
        self
    }

    /// Builder: adds a child.
    pub fn child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    /// Builder: sets the text.
    pub fn text(mut self, text: &str) -> Self {
        self.text = text.to_string();
        self
    }

    /// The value of attribute `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Child elements called `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first child called `name` whose `name` attribute is `value`.
    pub fn find_named(&self, name: &str, value: &str) -> Option<&Element> {
        self.children
            .iter()
            .find(|c| c.name == name && c.get("name") == Some(value))
    }

    /// Calls `f` on this element and every descendant, in document order.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Element)) {
        f(self);
        for child in &self.children {
            child.walk(f);
        }
    }
}

/// Parses an XML document into its root element.
pub fn parse(xml: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(start) | Event::Empty(start) => {
                let mut element = Element::new(&String::from_utf8_lossy(start.name().as_ref()));
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| e.to_string())?;
                    let value = attr.unescape_value().map_err(|e| e.to_string())?;
                    element.attrs.push((
                        String::from_utf8_lossy(attr.key.as_ref()).into(),
                        value.into(),
                    ));
                }
                if empty {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(element),
                        None => return Ok(element),
                    }
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or("unbalanced end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    current
                        .text
                        .push_str(&text.unescape().map_err(|e| e.to_string())?);
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&String::from_utf8_lossy(&data));
                }
            }
            Event::Eof => return Err("no root element".into()),
            _ => {}
        }
    }
}

/// Writes `root` as a UTF-8 document: XML declaration, 2-space
/// indentation, `<x />` for empty elements, trailing newline.
pub fn write_document(root: &Element) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    write_element(&mut out, root, 0);
    out
}

fn write_element(out: &mut String, element: &Element, depth: usize) {
    let indent = "  ".repeat(depth);
    out.push_str(&indent);
    out.push('<');
    out.push_str(&element.name);
    for (name, value) in &element.attrs {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape_into(out, value, true);
        out.push('"');
    }
    if element.children.is_empty() && element.text.is_empty() {
        out.push_str(" />\n");
        return;
    }
    out.push('>');
    escape_into(out, &element.text, false);
    if !element.children.is_empty() {
        out.push('\n');
        for child in &element.children {
            write_element(out, child, depth + 1);
        }
        out.push_str(&indent);
    }
    out.push_str("</");
    out.push_str(&element.name);
    out.push_str(">\n");
}

fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

/// One operation to declare: its name and whether the original WSDL has it
/// (otherwise it needs a hand-written declaration, see [`hand_written`]).
#[derive(Debug, Clone, Copy)]
pub struct Op<'a> {
    /// Operation name, e.g. `Login`.
    pub name: &'a str,
    /// Whether the original WSDL declares it.
    pub in_original_wsdl: bool,
}

/// The parts of the original WSDL the generator reads.
pub struct Original<'a> {
    /// `wsdl:definitions`.
    pub root: &'a Element,
    /// The target (service) namespace, e.g. `https://os.ecgrid.io/`.
    pub namespace: &'a str,
    /// The service-namespace `s:schema`.
    pub schema: &'a Element,
    /// The Soap port type.
    pub port_type: &'a Element,
    /// The Soap (1.1) binding.
    pub soap_binding: &'a Element,
    /// The Soap12 binding.
    pub soap12_binding: &'a Element,
    /// `wsdl:service`.
    pub service: &'a Element,
}

impl<'a> Original<'a> {
    /// Locates the parts in a parsed original WSDL.
    pub fn new(root: &'a Element) -> Self {
        let namespace = root.get("targetNamespace").expect("targetNamespace");
        let schema = root
            .children_named("wsdl:types")
            .flat_map(|t| t.children_named("s:schema"))
            .find(|s| s.get("targetNamespace") == Some(namespace))
            .expect("service-namespace schema");
        let soap_binding = root
            .children_named("wsdl:binding")
            .find(|b| b.children_named("soap:binding").next().is_some())
            .expect("Soap binding");
        let soap12_binding = root
            .children_named("wsdl:binding")
            .find(|b| b.children_named("soap12:binding").next().is_some())
            .expect("Soap12 binding");
        let port_type_name = local(soap_binding.get("type").expect("binding type"));
        Original {
            root,
            namespace,
            schema,
            port_type: root
                .find_named("wsdl:portType", port_type_name)
                .expect("Soap port type"),
            soap_binding,
            soap12_binding,
            service: root.children_named("wsdl:service").next().expect("service"),
        }
    }

    /// The top-level schema element called `name`.
    pub fn element(&self, name: &str) -> Option<&'a Element> {
        self.schema.find_named("s:element", name)
    }

    /// The top-level complex or simple type called `name`.
    pub fn type_def(&self, name: &str) -> Option<&'a Element> {
        self.schema
            .children
            .iter()
            .find(|c| is_type_def(c) && c.get("name") == Some(name))
    }
}

/// Whether `element` is an `s:complexType` or `s:simpleType`.
pub fn is_type_def(element: &Element) -> bool {
    element.name == "s:complexType" || element.name == "s:simpleType"
}

/// The part of a qualified name after the prefix.
pub fn local(qname: &str) -> &str {
    qname.split_once(':').map_or(qname, |(_, l)| l)
}

/// Generates the served WSDL for `ops` from the parsed `original`, with
/// addresses at [`FILE_BASE_URL`]`{endpoint_path}`.
pub fn generate(original: &Element, ops: &[Op], endpoint_path: &str) -> String {
    let orig = Original::new(original);
    let mut body = vec![
        Element::new("wsdl:documentation")
            .attr("xmlns:wsdl", "http://schemas.xmlsoap.org/wsdl/")
            .text(
                "Served by ecgrid-gateway, a SOAP-to-REST compatibility gateway for ECGridOS. \
                 It lists only the operations the gateway translates to ECGrid REST v2.",
            ),
        Element::new("wsdl:types").child(schema(&orig, ops)),
    ];
    body.extend(ops.iter().flat_map(|op| messages(&orig, op)));
    body.push(port_type(&orig, ops));
    body.push(binding(&orig, orig.soap_binding, "soap", ops));
    body.push(binding(&orig, orig.soap12_binding, "soap12", ops));
    body.push(service(&orig, endpoint_path));

    // The prefixes attribute values use (`tns:X`, `s:string`, `s1:X`).
    let mut used: HashSet<&str> = HashSet::new();
    for element in &body {
        element.walk(&mut |e| {
            used.extend(
                e.attrs
                    .iter()
                    .filter_map(|(_, v)| v.split_once(':'))
                    .map(|(p, _)| p),
            );
        });
    }
    let mut root = Element::new("wsdl:definitions");
    root.attrs = original
        .attrs
        .iter()
        .filter(|(name, value)| {
            // The AbstractTypes prefix is dropped when nothing uses it.
            !value.ends_with("/AbstractTypes") || used.contains(local(name))
        })
        .cloned()
        .collect();
    root.children = body;
    write_document(&root)
}

/// The one schema: each operation's request and response elements, then
/// the types they reference not yet written, transitively (first-reference
/// order).
fn schema(orig: &Original, ops: &[Op]) -> Element {
    let mut schema = Element::new("s:schema");
    schema.attrs = orig.schema.attrs.clone();
    let mut written: HashSet<String> = HashSet::new();
    for op in ops {
        let elements = if op.in_original_wsdl {
            [op.name.to_string(), format!("{}Response", op.name)].map(|name| {
                orig.element(&name)
                    .unwrap_or_else(|| panic!("original WSDL lacks element {name}"))
                    .clone()
            })
        } else {
            hand_written(op.name).elements
        };
        let mut queue: VecDeque<String> = VecDeque::new();
        for element in &elements {
            type_refs(element, &mut queue);
        }
        schema
            .children
            .extend(elements.into_iter().map(with_empty_sequences));
        while let Some(name) = queue.pop_front() {
            if !written.insert(name.clone()) {
                continue;
            }
            let def = orig
                .type_def(&name)
                .unwrap_or_else(|| panic!("original WSDL lacks type {name}"));
            type_refs(def, &mut queue);
            schema.children.push(with_empty_sequences(def.clone()));
        }
    }
    schema
}

/// `element` with every empty `<s:complexType />` written as
/// `<s:complexType><s:sequence /></s:complexType>`: the same type (no
/// children), in the form Perl's SOAP::WSDL can serialise (issue 17).
pub fn with_empty_sequences(mut element: Element) -> Element {
    if element.name == "s:complexType" && element.children.is_empty() {
        element.children.push(Element::new("s:sequence"));
    }
    element.children = element
        .children
        .into_iter()
        .map(with_empty_sequences)
        .collect();
    element
}

/// Appends the `tns:` types `element` references, in document order.
fn type_refs(element: &Element, out: &mut VecDeque<String>) {
    element.walk(&mut |e| {
        for (name, value) in &e.attrs {
            if matches!(name.as_str(), "type" | "base" | "itemType") {
                if let Some(local) = value.strip_prefix("tns:") {
                    out.push_back(local.to_string());
                }
            }
        }
    });
}

fn messages(orig: &Original, op: &Op) -> [Element; 2] {
    ["SoapIn", "SoapOut"].map(|suffix| {
        let name = format!("{}{suffix}", op.name);
        if op.in_original_wsdl {
            if let Some(message) = orig.root.find_named("wsdl:message", &name) {
                return message.clone();
            }
            panic!("original WSDL lacks message {name}");
        }
        let element = if suffix == "SoapIn" {
            op.name.to_string()
        } else {
            format!("{}Response", op.name)
        };
        Element::new("wsdl:message").attr("name", &name).child(
            Element::new("wsdl:part")
                .attr("name", "parameters")
                .attr("element", &format!("tns:{element}")),
        )
    })
}

fn port_type(orig: &Original, ops: &[Op]) -> Element {
    let mut port_type = Element::new("wsdl:portType");
    port_type.attrs = orig.port_type.attrs.clone();
    for op in ops {
        let operation = if op.in_original_wsdl {
            orig.port_type
                .find_named("wsdl:operation", op.name)
                .unwrap_or_else(|| panic!("original port type lacks {}", op.name))
                .clone()
        } else {
            let mut operation = Element::new("wsdl:operation").attr("name", op.name);
            let doc = hand_written(op.name).documentation;
            if !doc.is_empty() {
                operation.children.push(
                    Element::new("wsdl:documentation")
                        .attr("xmlns:wsdl", "http://schemas.xmlsoap.org/wsdl/")
                        .text(doc),
                );
            }
            operation
                .child(
                    Element::new("wsdl:input").attr("message", &format!("tns:{}SoapIn", op.name)),
                )
                .child(
                    Element::new("wsdl:output").attr("message", &format!("tns:{}SoapOut", op.name)),
                )
        };
        port_type.children.push(operation);
    }
    port_type
}

/// A binding: the original's binding-level children (`soap:binding`), then
/// each operation's binding; `prefix` is `soap` or `soap12`.
fn binding(orig: &Original, original: &Element, prefix: &str, ops: &[Op]) -> Element {
    let mut binding = Element::new("wsdl:binding");
    binding.attrs = original.attrs.clone();
    binding.children = original
        .children
        .iter()
        .filter(|c| c.name != "wsdl:operation")
        .cloned()
        .collect();
    for op in ops {
        let operation = if op.in_original_wsdl {
            original
                .find_named("wsdl:operation", op.name)
                .unwrap_or_else(|| panic!("original binding lacks {}", op.name))
                .clone()
        } else {
            let body = || Element::new(&format!("{prefix}:body")).attr("use", "literal");
            Element::new("wsdl:operation")
                .attr("name", op.name)
                .child(
                    Element::new(&format!("{prefix}:operation"))
                        .attr("soapAction", &format!("{}{}", orig.namespace, op.name))
                        .attr("style", "document"),
                )
                .child(Element::new("wsdl:input").child(body()))
                .child(Element::new("wsdl:output").child(body()))
        };
        binding.children.push(operation);
    }
    binding
}

/// The service with the Soap and Soap12 ports, addressed at the default
/// listen address.
fn service(orig: &Original, endpoint_path: &str) -> Element {
    let mut service = Element::new("wsdl:service");
    service.attrs = orig.service.attrs.clone();
    let location = format!("{FILE_BASE_URL}{endpoint_path}");
    for binding in [orig.soap_binding, orig.soap12_binding] {
        let binding_ref = format!("tns:{}", binding.get("name").expect("binding name"));
        let mut port = orig
            .service
            .children_named("wsdl:port")
            .find(|p| p.get("binding") == Some(&binding_ref))
            .unwrap_or_else(|| panic!("service lacks a port for {binding_ref}"))
            .clone();
        for address in &mut port.children {
            for (name, value) in &mut address.attrs {
                if name == "location" {
                    *value = location.clone();
                }
            }
        }
        service.children.push(port);
    }
    service
}

/// A declaration for an operation the original WSDL lacks.
pub struct HandWritten {
    /// The request and response schema elements.
    pub elements: [Element; 2],
    /// The port type's documentation for the operation (may be empty).
    pub documentation: &'static str,
}

/// The hand-written declaration of an operation the original WSDL lacks,
/// in the published reference form. Panics for unknown operations.
pub fn hand_written(name: &str) -> HandWritten {
    match name {
        "CallBackAdd" => HandWritten {
            elements: [
                sequence_element(
                    "CallBackAdd",
                    &[
                        ("0", "SessionID", "s:string"),
                        ("1", "NetworkID", "s:int"),
                        ("1", "MailboxID", "s:int"),
                        ("0", "URL", "s:string"),
                        ("1", "Event", "tns:Objects"),
                        ("1", "AuthType", "tns:HTTPAuthType"),
                        ("0", "Username", "s:string"),
                        ("0", "Password", "s:string"),
                    ],
                ),
                sequence_element(
                    "CallBackAddResponse",
                    &[("0", "CallBackAddResult", "tns:CallBackQueueIDInfo")],
                ),
            ],
            documentation: "Add a CallBack for an event on a Network/Mailbox.",
        },
        other => panic!(
            "no hand-written WSDL declaration for {other}; add one in tests/support/wsdl_gen.rs"
        ),
    }
}

/// `<s:element name><s:complexType><s:sequence>` with `(minOccurs, name,
/// type)` children, each `maxOccurs="1"`, as ASMX writes them.
fn sequence_element(name: &str, fields: &[(&str, &str, &str)]) -> Element {
    let mut sequence = Element::new("s:sequence");
    for (min, field, ty) in fields {
        sequence.children.push(
            Element::new("s:element")
                .attr("minOccurs", min)
                .attr("maxOccurs", "1")
                .attr("name", field)
                .attr("type", ty),
        );
    }
    Element::new("s:element")
        .attr("name", name)
        .child(Element::new("s:complexType").child(sequence))
}

/// Element and type names of a schema: `("element" | "type", name)` to the
/// definition.
pub fn schema_index(schema: &Element) -> HashMap<(&'static str, String), &Element> {
    let mut index = HashMap::new();
    for child in &schema.children {
        let kind = if child.name == "s:element" {
            "element"
        } else if is_type_def(child) {
            "type"
        } else {
            continue;
        };
        if let Some(name) = child.get("name") {
            index.insert((kind, name.to_string()), child);
        }
    }
    index
}
