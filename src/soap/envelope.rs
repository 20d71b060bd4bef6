//! Reads a SOAP 1.1 or 1.2 request envelope into a [`SoapRequest`].
//!
//! The reader is a single streaming pass with quick-xml. It is written for
//! hostile input: a DOCTYPE (and with it any entity declaration) is refused
//! before anything is expanded or fetched, nesting depth and parameter count
//! are bounded, and every rejection is a `soap:Client` fault whose message
//! says what is wrong and where (line and column).

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::fault::Fault;
use super::namespace::{ServiceNs, SoapVersion, XSI};
use super::params::Params;

/// Bounds applied while reading an envelope.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest element nesting accepted, counting the Envelope as 1.
    pub max_depth: usize,
    /// Most parameters accepted under the operation element.
    pub max_params: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 32,
            max_params: 256,
        }
    }
}

/// A request envelope, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapRequest {
    /// SOAP version, from the envelope namespace.
    pub version: SoapVersion,
    /// Local name of the operation element (the first child of Body).
    pub operation: String,
    /// Namespace of the operation element: one of the accepted service
    /// namespaces, or `None` when the element is unqualified.
    pub namespace: Option<ServiceNs>,
    /// The operation's child elements, by local name.
    pub params: Params,
}

/// Where the reader is in the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    BeforeEnvelope,
    InEnvelope,
    InHeader,
    InBody,
    InOperation,
    InParam,
    AfterOperation,
    AfterBody,
    AfterEnvelope,
}

/// Reads `body` as a SOAP envelope.
///
/// The SOAP version comes from the envelope namespace. `content_type_version`
/// is the version implied by the HTTP `Content-Type`; a mismatch is refused,
/// as SOAP 1.1 and 1.2 servers do.
pub fn read_envelope(
    body: &[u8],
    content_type_version: Option<SoapVersion>,
    limits: &Limits,
) -> Result<SoapRequest, Fault> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Fault::invalid(
            "request body is empty; expected a SOAP envelope",
        ));
    }
    let mut reader = NsReader::from_reader(body);
    reader.config_mut().trim_text(true);
    let at = |pos: u64| At {
        body,
        offset: pos as usize,
    };

    let mut stage = Stage::BeforeEnvelope;
    let mut depth = 0usize;
    // Depth at which we skip content (Header blocks), when skipping.
    let mut skip_until: Option<usize> = None;
    let mut version: Option<SoapVersion> = None;
    let mut operation: Option<(String, Option<ServiceNs>)> = None;
    let mut params = Params::default();
    let mut param_name = String::new();
    let mut param_text = String::new();
    let mut param_nil = false;

    loop {
        let event_start = reader.buffer_position();
        let (resolved, event) = match reader.read_resolved_event() {
            Ok(pair) => pair,
            Err(err) => {
                let offset = reader.error_position();
                let hint = unclosed_attribute_quote(body, offset as usize)
                    .map(|quote| {
                        format!(
                            "; the attribute value that opens at {} has no closing quote",
                            at(quote as u64)
                        )
                    })
                    .unwrap_or_default();
                return Err(Fault::invalid(format!(
                    "malformed XML at {}: {}{hint}",
                    at(offset),
                    describe_xml_error(&err)
                )));
            }
        };
        let here = at(event_start);
        match event {
            Event::DocType(_) => {
                return Err(Fault::invalid(format!(
                    "DOCTYPE declarations are not allowed in SOAP messages (found at {here})"
                )));
            }
            Event::Decl(decl) => {
                if let Some(Ok(enc)) = decl.encoding() {
                    let accepted = [&b"utf-8"[..], b"utf8", b"us-ascii"];
                    if !accepted.iter().any(|name| enc.eq_ignore_ascii_case(name)) {
                        let enc = String::from_utf8_lossy(&enc).to_ascii_lowercase();
                        return Err(Fault::invalid(format!(
                            "XML encoding '{enc}' is not supported; send UTF-8 (declaration at {here})"
                        )));
                    }
                }
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                depth += 1;
                if depth > limits.max_depth {
                    return Err(Fault::invalid(format!(
                        "XML nesting deeper than {} levels at {here}",
                        limits.max_depth
                    )));
                }
                let ns = namespace_of(&resolved);
                let local = local_name(e);
                if let Some(skip_depth) = skip_until {
                    if is_empty && depth == skip_depth {
                        skip_until = None;
                    }
                    if is_empty {
                        depth -= 1;
                    }
                    continue;
                }
                match stage {
                    Stage::BeforeEnvelope => {
                        if local != "Envelope" {
                            return Err(Fault::invalid(format!(
                                "expected a SOAP Envelope element, found <{local}> at {here}"
                            )));
                        }
                        let v = SoapVersion::from_envelope_ns(ns).ok_or_else(|| {
                            Fault::invalid(format!(
                                "Envelope at {here} is in namespace '{}'; expected '{}' (SOAP 1.1) or '{}' (SOAP 1.2)",
                                String::from_utf8_lossy(ns),
                                SoapVersion::V11.envelope_ns(),
                                SoapVersion::V12.envelope_ns()
                            ))
                        })?;
                        if let Some(ct) = content_type_version {
                            if ct != v {
                                return Err(Fault::invalid(format!(
                                    "SOAP {} envelope sent with the Content-Type of SOAP {}; use {} for SOAP {}",
                                    v.label(),
                                    ct.label(),
                                    v.content_type().split(';').next().unwrap_or_default(),
                                    v.label()
                                )));
                            }
                        }
                        version = Some(v);
                        stage = if is_empty {
                            Stage::AfterEnvelope
                        } else {
                            Stage::InEnvelope
                        };
                    }
                    Stage::InEnvelope => {
                        let v = version.expect("version set with the envelope");
                        if ns != v.envelope_ns().as_bytes() {
                            return Err(Fault::invalid(format!(
                                "unexpected element <{local}> at {here}; an Envelope holds only Header and Body"
                            )));
                        }
                        match &*local {
                            "Header" if !is_empty => stage = Stage::InHeader,
                            "Header" => {}
                            "Body" if is_empty => stage = Stage::AfterBody,
                            "Body" => stage = Stage::InBody,
                            _ => {
                                return Err(Fault::invalid(format!(
                                    "unexpected element <{local}> at {here}; an Envelope holds only Header and Body"
                                )));
                            }
                        }
                    }
                    Stage::InHeader => {
                        let v = version.expect("version set with the envelope");
                        if must_understand(&reader, e, v) {
                            return Err(Fault::client(
                                super::fault::ErrorCode::InvalidParameter,
                                format!(
                                    "header <{local}> at {here} is marked mustUnderstand, and this gateway does not process SOAP headers"
                                ),
                            )
                            .with_code(super::fault::FaultCode::MustUnderstand));
                        }
                        if !is_empty {
                            skip_until = Some(depth);
                        }
                    }
                    Stage::InBody => {
                        let service_ns = if ns.is_empty() {
                            None
                        } else {
                            Some(ServiceNs::from_uri(ns).ok_or_else(|| {
                                Fault::invalid(format!(
                                    "operation element <{local}> at {here} is in namespace '{}'; expected one of {}",
                                    String::from_utf8_lossy(ns),
                                    ServiceNs::ALL.map(|n| format!("'{}'", n.uri())).join(", ")
                                ))
                            })?)
                        };
                        operation = Some((local.into_owned(), service_ns));
                        stage = if is_empty {
                            Stage::AfterOperation
                        } else {
                            Stage::InOperation
                        };
                    }
                    Stage::InOperation => {
                        if params.len() >= limits.max_params {
                            return Err(Fault::invalid(format!(
                                "more than {} parameters in the operation element (at {here})",
                                limits.max_params
                            )));
                        }
                        param_nil = is_nil(&reader, e);
                        param_text.clear();
                        if is_empty {
                            params.push(&local, String::new(), param_nil, here)?;
                        } else {
                            param_name = local.into_owned();
                            stage = Stage::InParam;
                        }
                    }
                    Stage::InParam => {
                        return Err(Fault::invalid(format!(
                            "parameter {param_name} must hold a simple value, found element <{local}> at {here}"
                        )));
                    }
                    Stage::AfterOperation => {
                        return Err(Fault::invalid(format!(
                            "SOAP Body holds more than one element: unexpected <{local}> at {here}"
                        )));
                    }
                    Stage::AfterBody | Stage::AfterEnvelope => {
                        return Err(Fault::invalid(format!(
                            "unexpected element <{local}> after the SOAP Body at {here}"
                        )));
                    }
                }
                if is_empty {
                    depth -= 1;
                }
            }
            Event::End(_) => {
                if let Some(skip_depth) = skip_until {
                    if depth == skip_depth {
                        skip_until = None;
                    }
                    depth -= 1;
                    continue;
                }
                depth -= 1;
                stage = match stage {
                    Stage::InParam => {
                        params.push(
                            &param_name,
                            std::mem::take(&mut param_text),
                            param_nil,
                            here,
                        )?;
                        Stage::InOperation
                    }
                    Stage::InOperation => Stage::AfterOperation,
                    Stage::InBody | Stage::AfterOperation => Stage::AfterBody,
                    Stage::InHeader => Stage::InEnvelope,
                    Stage::InEnvelope | Stage::AfterBody => Stage::AfterEnvelope,
                    other => other,
                };
            }
            Event::Text(t) => {
                if stage == Stage::InParam && skip_until.is_none() {
                    let text = t.unescape().map_err(|err| {
                        Fault::invalid(format!(
                            "bad character data in parameter {param_name} at {here}: {}",
                            describe_xml_error(&err)
                        ))
                    })?;
                    param_text.push_str(&text);
                }
            }
            Event::CData(c) => {
                if stage == Stage::InParam && skip_until.is_none() {
                    let text = std::str::from_utf8(&c).map_err(|_| {
                        Fault::invalid(format!("CDATA at {here} is not valid UTF-8"))
                    })?;
                    param_text.push_str(text);
                }
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }

    let version = version.ok_or_else(|| {
        Fault::invalid("request body holds no XML element; expected a SOAP envelope")
    })?;
    if stage != Stage::AfterEnvelope {
        return Err(Fault::invalid(
            "SOAP envelope is incomplete: the document ends before </Envelope>",
        ));
    }
    let (operation, namespace) = operation.ok_or_else(|| {
        Fault::invalid("SOAP Body is empty; expected an operation element such as <Login>")
    })?;
    Ok(SoapRequest {
        version,
        operation,
        namespace,
        params,
    })
}

/// Where an event starts, written as its [`Position`]. The line and column
/// are worked out only when a message is written: working them out for
/// every event scanned the body from the start each time, which was most of
/// the cost of reading an envelope.
#[derive(Clone, Copy)]
struct At<'a> {
    body: &'a [u8],
    offset: usize,
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Position::of(self.body, self.offset).fmt(f)
    }
}

/// A line and column (both 1-based, column in characters) in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Position {
    line: usize,
    column: usize,
}

impl Position {
    fn of(body: &[u8], offset: usize) -> Position {
        let offset = offset.min(body.len());
        let before = &body[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Position { line, column }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

fn namespace_of<'a>(resolved: &'a ResolveResult<'_>) -> &'a [u8] {
    match resolved {
        ResolveResult::Bound(ns) => ns.as_ref(),
        _ => b"",
    }
}

/// The element's local name, borrowed from the request (copied only when
/// it is not UTF-8, to replace what is not).
fn local_name<'a>(e: &'a BytesStart<'_>) -> Cow<'a, str> {
    String::from_utf8_lossy(e.local_name().into_inner())
}

/// True when the element carries `xsi:nil="true"` (or `"1"`).
fn is_nil(reader: &NsReader<&[u8]>, e: &BytesStart<'_>) -> bool {
    attribute_is_true(reader, e, XSI.as_bytes(), b"nil")
}

/// True when a header block carries `mustUnderstand` = true in its envelope
/// namespace.
fn must_understand(reader: &NsReader<&[u8]>, e: &BytesStart<'_>, version: SoapVersion) -> bool {
    attribute_is_true(
        reader,
        e,
        version.envelope_ns().as_bytes(),
        b"mustUnderstand",
    )
}

fn attribute_is_true(
    reader: &NsReader<&[u8]>,
    e: &BytesStart<'_>,
    ns: &[u8],
    local: &[u8],
) -> bool {
    e.attributes().flatten().any(|attr| {
        let (resolved, name) = reader.resolve_attribute(attr.key);
        matches!(resolved, ResolveResult::Bound(n) if n.as_ref() == ns)
            && name.as_ref() == local
            && matches!(attr.value.as_ref(), b"true" | b"1")
    })
}

/// A short, client-facing description of a quick-xml error.
/// Where the attribute value of the tag starting at `tag_start` opens, when
/// its quote is never closed (the tag then runs to the end of the input, as
/// in the quick-start samples' `xmlns:soap="…envelope/>`). `None` when
/// `tag_start` is not a `<` or every quote of the tag is closed.
fn unclosed_attribute_quote(body: &[u8], tag_start: usize) -> Option<usize> {
    if body.get(tag_start) != Some(&b'<') {
        return None;
    }
    let mut open: Option<(u8, usize)> = None;
    for (i, &b) in body.iter().enumerate().skip(tag_start + 1) {
        match open {
            Some((quote, _)) if b == quote => open = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => open = Some((b, i)),
            None if b == b'>' => return None,
            None => {}
        }
    }
    open.map(|(_, at)| at)
}

fn describe_xml_error(err: &quick_xml::Error) -> String {
    use quick_xml::Error as E;
    match err {
        E::IllFormed(e) => e.to_string(),
        E::Syntax(e) => e.to_string(),
        E::Escape(e) => format!("{e} (entity declarations are not supported)"),
        E::InvalidAttr(e) => format!("invalid attribute: {e}"),
        E::Encoding(e) => format!("invalid text encoding: {e}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::fault::{ErrorCode, FaultCode};

    const V11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
    const V12: &str = "http://www.w3.org/2003/05/soap-envelope";

    fn read(xml: &str) -> Result<SoapRequest, Fault> {
        read_envelope(xml.as_bytes(), None, &Limits::default())
    }

    fn fault_text(xml: &str) -> String {
        let fault = read(xml).expect_err("expected a fault");
        assert_eq!(fault.code, FaultCode::Client, "{fault}");
        assert_eq!(fault.error_code, ErrorCode::InvalidParameter, "{fault}");
        fault.message
    }

    #[test]
    fn reads_soap11_with_prefixed_service_namespace() {
        let xml = format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="{V11}" xmlns:ecg="http://www.ecgridos.net/">
  <soap:Body><ecg:Login><ecg:Email>a@b.c</ecg:Email><ecg:Password>p&amp;w</ecg:Password></ecg:Login></soap:Body>
</soap:Envelope>"#
        );
        let req = read(&xml).unwrap();
        assert_eq!(req.version, SoapVersion::V11);
        assert_eq!(req.operation, "Login");
        assert_eq!(req.namespace, Some(ServiceNs::WwwSamples));
        assert_eq!(req.params.get("Email"), Some("a@b.c"));
        assert_eq!(req.params.get("Password"), Some("p&w"));
    }

    #[test]
    fn reads_soap12_with_default_namespace_header_and_cdata() {
        let xml = format!(
            r#"<env:Envelope xmlns:env="{V12}"><env:Header><x:Trace xmlns:x="urn:x"><x:Id>1</x:Id></x:Trace></env:Header>
<env:Body><WhoAmI xmlns="https://os.ecgrid.io/"><SessionID><![CDATA[ABC]]></SessionID></WhoAmI></env:Body></env:Envelope>"#
        );
        let req = read(&xml).unwrap();
        assert_eq!(req.version, SoapVersion::V12);
        assert_eq!(req.namespace, Some(ServiceNs::V41));
        assert_eq!(req.params.get("SessionID"), Some("ABC"));
    }

    #[test]
    fn accepts_v32_namespace_unqualified_operation_empty_and_nil_params() {
        let xml = format!(
            r#"<s:Envelope xmlns:s="{V11}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s:Body><Version/></s:Body></s:Envelope>"#
        );
        let req = read(&xml).unwrap();
        assert_eq!((req.operation.as_str(), req.namespace), ("Version", None));

        let xml = format!(
            r#"<s:Envelope xmlns:s="{V11}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s:Body><Logout xmlns="http://ecgridos.net/"><SessionID xsi:nil="true"/><Other/></Logout></s:Body></s:Envelope>"#
        );
        let req = read(&xml).unwrap();
        assert_eq!(req.namespace, Some(ServiceNs::V32));
        assert_eq!(req.params.get("SessionID"), None);
        assert_eq!(req.params.get("Other"), Some(""));
    }

    #[test]
    fn refuses_doctype_and_entities_without_expanding() {
        let msg = fault_text(&format!(
            r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "http://example.com/x">]><soap:Envelope xmlns:soap="{V11}"><soap:Body/></soap:Envelope>"#
        ));
        assert!(
            msg.contains("DOCTYPE declarations are not allowed"),
            "{msg}"
        );
        assert!(msg.contains("line 1, column 22"), "{msg}");

        let msg = fault_text(&format!(
            r#"<soap:Envelope xmlns:soap="{V11}"><soap:Body><Login><LoginName>&xxe;</LoginName></Login></soap:Body></soap:Envelope>"#
        ));
        assert!(msg.contains("xxe"), "{msg}");
    }

    #[test]
    fn reports_line_and_column_of_malformed_xml() {
        // The quick-start sample's missing closing quote.
        let xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<soap:Envelope xmlns:xsi=\"x\"\n  xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/>\n  <soap:Body>\n    <Login/>\n  </soap:Body>\n</soap:Envelope>";
        let msg = fault_text(xml);
        assert!(
            msg.starts_with("malformed XML at line 2, column 1"),
            "{msg}"
        );
        assert!(
            msg.ends_with(
                "the attribute value that opens at line 3, column 14 has no closing quote"
            ),
            "{msg}"
        );

        let msg = fault_text(&format!(
            "<soap:Envelope xmlns:soap=\"{V11}\">\n<soap:Body><Login></Logout></soap:Body></soap:Envelope>"
        ));
        assert!(msg.contains("line 2"), "{msg}");
        assert!(!msg.contains("closing quote"), "{msg}");
    }

    #[test]
    fn rejects_wrong_envelope_namespace_empty_body_and_structure() {
        let msg =
            fault_text(r#"<soap:Envelope xmlns:soap="urn:nope"><soap:Body/></soap:Envelope>"#);
        assert!(msg.contains("is in namespace 'urn:nope'"), "{msg}");
        let msg = fault_text(&format!(
            r#"<soap:Envelope xmlns:soap="{V11}"><soap:Body></soap:Body></soap:Envelope>"#
        ));
        assert!(msg.contains("SOAP Body is empty"), "{msg}");
        assert!(fault_text("   ").contains("request body is empty"));
        assert!(fault_text("<Login/>").contains("expected a SOAP Envelope"));
        let msg = fault_text(&format!(
            r#"<soap:Envelope xmlns:soap="{V11}"><soap:Body><A xmlns="https://os.ecgrid.io/"/><B/></soap:Body></soap:Envelope>"#
        ));
        assert!(msg.contains("more than one element"), "{msg}");
        let msg = fault_text(&format!(
            r#"<soap:Envelope xmlns:soap="{V11}"><soap:Body><A xmlns="urn:other"/></soap:Body></soap:Envelope>"#
        ));
        assert!(
            msg.contains("expected one of 'https://os.ecgrid.io/'"),
            "{msg}"
        );
        let msg = fault_text(&format!(
            r#"<soap:Envelope xmlns:soap="{V11}"><soap:Body><Login><LoginName><x/></LoginName></Login></soap:Body></soap:Envelope>"#
        ));
        assert!(
            msg.contains("parameter LoginName must hold a simple value"),
            "{msg}"
        );
        let msg = fault_text(&format!(
            r#"<soap:Envelope xmlns:soap="{V11}"><soap:Body><Login>"#
        ));
        assert!(
            msg.contains("incomplete") || msg.contains("malformed"),
            "{msg}"
        );
    }

    #[test]
    fn bounds_depth_and_parameter_count() {
        let deep = format!(
            r#"<soap:Envelope xmlns:soap="{V11}"><soap:Header>{}{}</soap:Header><soap:Body/></soap:Envelope>"#,
            "<a>".repeat(100),
            "</a>".repeat(100)
        );
        assert!(fault_text(&deep).contains("nesting deeper than 32"));
        let many = format!(
            r#"<soap:Envelope xmlns:soap="{V11}"><soap:Body><Login>{}</Login></soap:Body></soap:Envelope>"#,
            (0..300).map(|i| format!("<P{i}/>")).collect::<String>()
        );
        assert!(fault_text(&many).contains("more than 256 parameters"));
    }

    #[test]
    fn refuses_version_mismatch_with_content_type_and_must_understand() {
        let xml = format!(
            r#"<s:Envelope xmlns:s="{V12}"><s:Body><Version xmlns="https://os.ecgrid.io/"/></s:Body></s:Envelope>"#
        );
        let fault =
            read_envelope(xml.as_bytes(), Some(SoapVersion::V11), &Limits::default()).unwrap_err();
        assert!(fault
            .message
            .contains("SOAP 1.2 envelope sent with the Content-Type of SOAP 1.1"));

        let xml = format!(
            r#"<s:Envelope xmlns:s="{V11}"><s:Header><h:Sec xmlns:h="urn:h" s:mustUnderstand="1"/></s:Header><s:Body><Version/></s:Body></s:Envelope>"#
        );
        let fault = read(&xml).unwrap_err();
        assert_eq!(fault.code, FaultCode::MustUnderstand);
    }

    #[test]
    fn refuses_non_utf8_declaration_and_duplicate_params() {
        let msg = fault_text(&format!(
            r#"<?xml version="1.0" encoding="utf-16"?><s:Envelope xmlns:s="{V11}"><s:Body><Version/></s:Body></s:Envelope>"#
        ));
        assert!(msg.contains("encoding 'utf-16' is not supported"), "{msg}");
        let msg = fault_text(&format!(
            r#"<s:Envelope xmlns:s="{V11}"><s:Body><Logout><SessionID>a</SessionID><SessionID>b</SessionID></Logout></s:Body></s:Envelope>"#
        ));
        assert!(msg.contains("SessionID is given more than once"), "{msg}");
    }
}
