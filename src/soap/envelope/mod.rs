//! Reads a SOAP 1.1 or 1.2 request envelope into a [`SoapRequest`].
//!
//! The reader is a single streaming pass with quick-xml's plain reader and
//! its own namespace scope (`scope.rs`). It is written for hostile input:
//! a DOCTYPE (and with it any entity declaration) is refused before anything
//! is expanded or fetched; nesting depth, parameters, attributes per
//! element, namespace declarations in scope, elements inside the Header and
//! name lengths are bounded ([`Limits`]), so the work per byte of request is
//! bounded whatever the request's shape; the document must be well-formed
//! (UTF-8, no characters XML forbids, no duplicate attributes or undeclared
//! prefixes, no XML declaration but at the start, no `--` in comments, no
//! processing instruction, nothing but comments after the root), and every
//! rejection is a `soap:Client` fault whose message says what is wrong and
//! where (line and column), showing names and values from the request cut
//! to a short prefix with their length.

mod position;
mod scope;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::fault::{ErrorCode, Fault, FaultCode, Shown};
use super::namespace::{ServiceNs, SoapVersion};
use super::params::Params;
use position::{describe_xml_error, forbidden_char, unclosed_attribute_quote, At};
use scope::{Scope, Wanted};

/// Bounds applied while reading an envelope. Each one bounds the work per
/// byte of request; docs/SECURITY.md lists them with the attacks they stop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest element nesting accepted, counting the Envelope as 1.
    pub max_depth: usize,
    /// Most parameters accepted under the operation element.
    pub max_params: usize,
    /// Most attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
    /// Most namespace declarations in scope at once.
    pub max_namespace_declarations: usize,
    /// Most elements inside the SOAP Header (which the gateway skips).
    pub max_header_elements: usize,
    /// Longest element or attribute name, in bytes.
    pub max_name_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 32,
            max_params: 256,
            max_attributes: 64,
            max_namespace_declarations: 64,
            max_header_elements: 1024,
            max_name_bytes: 256,
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
    let at = |pos: u64| At {
        body,
        offset: pos as usize,
    };
    let text = std::str::from_utf8(body).map_err(|err| {
        Fault::invalid(format!(
            "request body is not UTF-8 (at {}); send UTF-8",
            at(err.valid_up_to() as u64)
        ))
    })?;
    if text.bytes().all(|b| b.is_ascii_whitespace()) {
        return Err(Fault::invalid(
            "request body is empty; expected a SOAP envelope",
        ));
    }
    if let Some((offset, code)) = forbidden_char(text) {
        return Err(Fault::invalid(format!(
            "the character U+{code:04X} at {} is not allowed in XML",
            at(offset as u64)
        )));
    }
    let mut reader = Reader::from_reader(body);
    let config = reader.config_mut();
    config.trim_text(true);
    config.check_comments = true;
    config.check_end_names = true;

    let mut stage = Stage::BeforeEnvelope;
    let mut depth = 0usize;
    let mut scope = Scope::default();
    // Depth at which we skip content (Header blocks), when skipping.
    let mut skip_until: Option<usize> = None;
    let mut header_elements = 0usize;
    let mut version: Option<SoapVersion> = None;
    let mut operation: Option<(String, Option<ServiceNs>)> = None;
    let mut params = Params::default();
    let mut param_name = String::new();
    let mut param_text = String::new();
    let mut param_nil = false;

    loop {
        let event_start = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(event) => event,
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
                // Leading whitespace is skipped with the text events, so the
                // event's start alone does not say it opens the document.
                if event_start != 0 || !body.starts_with(b"<?xml") {
                    return Err(Fault::invalid(format!(
                        "an XML declaration may only open the document (found at {here})"
                    )));
                }
                if let Some(Ok(enc)) = decl.encoding() {
                    let accepted = [&b"utf-8"[..], b"utf8", b"us-ascii"];
                    if !accepted.iter().any(|name| enc.eq_ignore_ascii_case(name)) {
                        let enc = String::from_utf8_lossy(&enc).to_ascii_lowercase();
                        return Err(Fault::invalid(format!(
                            "XML encoding '{}' is not supported; send UTF-8 (declaration at {here})",
                            Shown(&enc)
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
                let local = local_name(e, limits, &here)?;
                if skip_until.is_some() || stage == Stage::InHeader {
                    header_elements += 1;
                    if header_elements > limits.max_header_elements {
                        return Err(Fault::invalid(format!(
                            "the SOAP Header holds more than {} elements (at {here})",
                            limits.max_header_elements
                        )));
                    }
                }
                let wanted = match (stage, skip_until) {
                    (Stage::InHeader, None) => Wanted {
                        must_understand_ns: version.map(SoapVersion::envelope_ns),
                        ..Wanted::default()
                    },
                    (Stage::InOperation, None) => Wanted {
                        nil: true,
                        ..Wanted::default()
                    },
                    _ => Wanted::default(),
                };
                let flags = scope.enter(e, depth, limits, wanted, &local, &here)?;
                let ns = scope.element_namespace(e.name(), &here)?;
                if let Some(skip_depth) = skip_until {
                    if is_empty && depth == skip_depth {
                        skip_until = None;
                    }
                } else {
                    match stage {
                        Stage::BeforeEnvelope => {
                            if local != "Envelope" {
                                return Err(Fault::invalid(format!(
                                    "expected a SOAP Envelope element, found <{}> at {here}",
                                    Shown(&local)
                                )));
                            }
                            let v = SoapVersion::from_envelope_ns(ns).ok_or_else(|| {
                                Fault::invalid(format!(
                                    "Envelope at {here} is in namespace '{}'; expected '{}' (SOAP 1.1) or '{}' (SOAP 1.2)",
                                    Shown(&String::from_utf8_lossy(ns)),
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
                            let unexpected = || {
                                Fault::invalid(format!(
                                    "unexpected element <{}> at {here}; an Envelope holds only Header and Body",
                                    Shown(&local)
                                ))
                            };
                            if ns != v.envelope_ns().as_bytes() {
                                return Err(unexpected());
                            }
                            match &*local {
                                "Header" if !is_empty => stage = Stage::InHeader,
                                "Header" => {}
                                "Body" if is_empty => stage = Stage::AfterBody,
                                "Body" => stage = Stage::InBody,
                                _ => return Err(unexpected()),
                            }
                        }
                        Stage::InHeader => {
                            if flags.must_understand {
                                return Err(Fault::client(
                                    ErrorCode::InvalidParameter,
                                    format!(
                                        "header <{}> at {here} is marked mustUnderstand, and this gateway does not process SOAP headers",
                                        Shown(&local)
                                    ),
                                )
                                .with_code(FaultCode::MustUnderstand));
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
                                        "operation element <{}> at {here} is in namespace '{}'; expected one of {}",
                                        Shown(&local),
                                        Shown(&String::from_utf8_lossy(ns)),
                                        ServiceNs::ALL.map(|n| format!("'{}'", n.uri())).join(", ")
                                    ))
                                })?)
                            };
                            operation = Some((local.clone().into_owned(), service_ns));
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
                            param_nil = flags.nil;
                            param_text.clear();
                            if is_empty {
                                params.push(&local, String::new(), param_nil, here)?;
                            } else {
                                param_name = local.clone().into_owned();
                                stage = Stage::InParam;
                            }
                        }
                        Stage::InParam => {
                            return Err(Fault::invalid(format!(
                                "parameter {} must hold a simple value, found element <{}> at {here}",
                                Shown(&param_name),
                                Shown(&local)
                            )));
                        }
                        Stage::AfterOperation => {
                            return Err(Fault::invalid(format!(
                                "SOAP Body holds more than one element: unexpected <{}> at {here}",
                                Shown(&local)
                            )));
                        }
                        Stage::AfterBody | Stage::AfterEnvelope => {
                            return Err(Fault::invalid(format!(
                                "unexpected element <{}> after the SOAP Body at {here}",
                                Shown(&local)
                            )));
                        }
                    }
                }
                if is_empty {
                    scope.leave(depth);
                    depth -= 1;
                }
            }
            Event::End(_) => {
                scope.leave(depth);
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
                if skip_until.is_some() {
                    continue;
                }
                if stage != Stage::InParam {
                    if t.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Err(Fault::invalid(format!(
                        "text is not allowed {} (at {here}); only elements are",
                        where_text(stage)
                    )));
                }
                let text = t.unescape().map_err(|err| {
                    Fault::invalid(format!(
                        "bad character data in parameter {} at {here}: {}",
                        Shown(&param_name),
                        describe_xml_error(&err)
                    ))
                })?;
                if let Cow::Owned(decoded) = &text {
                    // A character reference may name what raw text may not.
                    if let Some((_, code)) = forbidden_char(decoded) {
                        return Err(Fault::invalid(format!(
                            "parameter {} at {here} holds a reference to U+{code:04X}, which XML does not allow",
                            Shown(&param_name)
                        )));
                    }
                }
                param_text.push_str(&text);
            }
            Event::CData(c) => {
                if skip_until.is_some() {
                    continue;
                }
                if stage != Stage::InParam {
                    return Err(Fault::invalid(format!(
                        "CDATA is not allowed {} (at {here}); only elements are",
                        where_text(stage)
                    )));
                }
                // The whole body is UTF-8 already.
                param_text.push_str(&String::from_utf8_lossy(&c));
            }
            Event::PI(_) => {
                return Err(Fault::invalid(format!(
                    "processing instructions are not allowed in SOAP messages (found at {here})"
                )));
            }
            Event::Comment(_) => {}
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

/// Where text was found, for the fault refusing it.
fn where_text(stage: Stage) -> &'static str {
    match stage {
        Stage::BeforeEnvelope => "before the Envelope",
        Stage::AfterEnvelope => "after the Envelope",
        Stage::InEnvelope | Stage::AfterBody => "in the Envelope",
        Stage::InHeader => "in the Header",
        Stage::InBody | Stage::AfterOperation => "in the Body",
        Stage::InOperation | Stage::InParam => "between parameters",
    }
}

/// The element's local name, borrowed from the request, or a fault when
/// its name is longer than [`Limits::max_name_bytes`].
fn local_name<'a>(
    e: &'a BytesStart<'_>,
    limits: &Limits,
    here: &At<'_>,
) -> Result<Cow<'a, str>, Fault> {
    let name = e.name().into_inner();
    let local = String::from_utf8_lossy(e.local_name().into_inner());
    if name.len() > limits.max_name_bytes {
        return Err(Fault::invalid(format!(
            "element name <{}> at {here} is longer than {} bytes",
            Shown(&local),
            limits.max_name_bytes
        )));
    }
    Ok(local)
}
