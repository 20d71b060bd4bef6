//! The namespace scope of the element being read, and that element's
//! attributes, both read with bounds so their cost stays linear in the
//! request whatever its shape.
//!
//! quick-xml's `NsReader` resolved every name by a scan over every
//! declaration in scope (20k `xmlns` on the Envelope made each later name
//! cost 20k comparisons), and its checked attribute iterator compares each
//! attribute with every earlier one (one element with 90k attributes took
//! 11 s). Here declarations in scope are at most
//! [`Limits::max_namespace_declarations`] and attributes per element at
//! most [`Limits::max_attributes`], so both scans are bounded by a constant,
//! and every attribute error (a duplicate, a missing quote, an unbound
//! prefix) is a fault instead of being dropped.

use std::fmt::Display;
use std::ops::Range;

use quick_xml::events::attributes::Attribute;
use quick_xml::events::BytesStart;
use quick_xml::name::{PrefixDeclaration, QName};

use super::position::forbidden_char;
use super::Limits;
use crate::soap::fault::{Fault, Shown};
use crate::soap::namespace::XSI;

/// The namespace the `xml` prefix is bound to, always.
const XML_NS: &[u8] = b"http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` itself, which no prefix may be bound to.
const XMLNS_NS: &[u8] = b"http://www.w3.org/2000/xmlns/";

/// One `xmlns` / `xmlns:p` declaration in scope: the prefix and the URI are
/// ranges of [`Scope::buffer`].
struct Binding {
    prefix: Range<usize>,
    uri: Range<usize>,
    depth: usize,
}

/// The namespace declarations in scope, innermost last.
#[derive(Default)]
pub(super) struct Scope {
    buffer: Vec<u8>,
    bindings: Vec<Binding>,
}

/// Which attributes of an element the reader asks about.
#[derive(Clone, Copy, Default)]
pub(super) struct Wanted {
    /// Read `xsi:nil` (parameters).
    pub(super) nil: bool,
    /// Read `mustUnderstand` in this envelope namespace (header blocks).
    pub(super) must_understand_ns: Option<&'static str>,
}

/// What an element's attributes said of the ones asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Flags {
    /// `xsi:nil` is true.
    pub(super) nil: bool,
    /// `mustUnderstand` is true.
    pub(super) must_understand: bool,
}

impl Scope {
    /// Reads the attributes of element `e` (at nesting `depth`, named
    /// `local` in messages, found at `here`): pushes its namespace
    /// declarations, checks every attribute (syntax, duplicates by name and
    /// by expanded name, prefixes bound, the bounds of `limits`) and answers
    /// the `wanted` ones.
    pub(super) fn enter(
        &mut self,
        e: &BytesStart<'_>,
        depth: usize,
        limits: &Limits,
        wanted: Wanted,
        local: &str,
        here: &dyn Display,
    ) -> Result<Flags, Fault> {
        let element = || format!("<{}> at {here}", Shown(local));
        let mut keys: Vec<&[u8]> = Vec::new();
        let mut plain: Vec<Attribute<'_>> = Vec::new();
        for attr in e.attributes().with_checks(false) {
            let attr = attr.map_err(|err| {
                Fault::invalid(format!("invalid attribute on {}: {err}", element()))
            })?;
            let key = attr.key.into_inner();
            if keys.len() == limits.max_attributes {
                return Err(Fault::invalid(format!(
                    "{} has more than {} attributes",
                    element(),
                    limits.max_attributes
                )));
            }
            if key.len() > limits.max_name_bytes {
                return Err(Fault::invalid(format!(
                    "attribute name {} on {} is longer than {} bytes",
                    Shown(&String::from_utf8_lossy(key)),
                    element(),
                    limits.max_name_bytes
                )));
            }
            if keys.contains(&key) {
                return Err(Fault::invalid(format!(
                    "attribute {} appears more than once on {}",
                    Shown(&String::from_utf8_lossy(key)),
                    element()
                )));
            }
            keys.push(key);
            match attr.key.as_namespace_binding() {
                Some(declaration) => self.declare(declaration, &attr, depth, limits, &element)?,
                None => plain.push(attr),
            }
        }
        if plain.is_empty() {
            return Ok(Flags::default());
        }

        // Expanded names: (namespace, local name) of every attribute; two
        // prefixes bound to one namespace make a duplicate too.
        let mut expanded: Vec<(&[u8], &[u8])> = Vec::with_capacity(plain.len());
        for attr in &plain {
            let ns = match attr.key.prefix() {
                None => &b""[..],
                Some(prefix) => self.lookup(prefix.into_inner()).ok_or_else(|| {
                    Fault::invalid(format!(
                        "attribute {} on {} uses the prefix '{}', which is not declared",
                        Shown(&String::from_utf8_lossy(attr.key.into_inner())),
                        element(),
                        Shown(&String::from_utf8_lossy(prefix.into_inner()))
                    ))
                })?,
            };
            let name = (ns, attr.key.local_name().into_inner());
            if !ns.is_empty() && expanded.contains(&name) {
                return Err(Fault::invalid(format!(
                    "attribute {} on {} repeats an attribute of the same namespace and name",
                    Shown(&String::from_utf8_lossy(attr.key.into_inner())),
                    element()
                )));
            }
            expanded.push(name);
        }

        let mut flags = Flags::default();
        for (attr, &(ns, name)) in plain.iter().zip(&expanded) {
            let asked = (wanted.nil && ns == XSI.as_bytes() && name == b"nil")
                || (wanted
                    .must_understand_ns
                    .is_some_and(|m| m.as_bytes() == ns)
                    && name == b"mustUnderstand");
            if !asked {
                continue;
            }
            let shown_name = String::from_utf8_lossy(attr.key.into_inner());
            let value = attr.unescape_value().map_err(|err| {
                Fault::invalid(format!(
                    "attribute {} on {}: {err}",
                    Shown(&shown_name),
                    element()
                ))
            })?;
            let truth = xsd_boolean(&value).ok_or_else(|| {
                Fault::invalid(format!(
                    "attribute {} on {} is '{}'; expected true, false, 1 or 0",
                    Shown(&shown_name),
                    element(),
                    Shown(&value)
                ))
            })?;
            if name == b"nil" {
                flags.nil = truth;
            } else {
                flags.must_understand = truth;
            }
        }
        Ok(flags)
    }

    /// Adds one declaration made by `attr` at `depth`.
    fn declare(
        &mut self,
        declaration: PrefixDeclaration<'_>,
        attr: &Attribute<'_>,
        depth: usize,
        limits: &Limits,
        element: &dyn Fn() -> String,
    ) -> Result<(), Fault> {
        let uri = attr.unescape_value().map_err(|err| {
            Fault::invalid(format!("namespace declaration on {}: {err}", element()))
        })?;
        if let Some((_, code)) = forbidden_char(&uri) {
            return Err(Fault::invalid(format!(
                "namespace declaration on {} holds the character U+{code:04X}, which XML does not allow",
                element()
            )));
        }
        let uri = uri.as_bytes();
        let prefix: &[u8] = match declaration {
            PrefixDeclaration::Default => b"",
            PrefixDeclaration::Named(b"xml") if uri == XML_NS => return Ok(()),
            PrefixDeclaration::Named(prefix @ (b"xml" | b"xmlns")) => {
                return Err(Fault::invalid(format!(
                    "the prefix '{}' is reserved and cannot be declared (on {})",
                    String::from_utf8_lossy(prefix),
                    element()
                )))
            }
            PrefixDeclaration::Named(prefix) => {
                if uri.is_empty() || uri == XML_NS || uri == XMLNS_NS {
                    return Err(Fault::invalid(format!(
                        "the prefix '{}' on {} is bound to '{}', which a prefix may not be",
                        Shown(&String::from_utf8_lossy(prefix)),
                        element(),
                        Shown(&String::from_utf8_lossy(uri))
                    )));
                }
                prefix
            }
        };
        if self.bindings.len() == limits.max_namespace_declarations {
            return Err(Fault::invalid(format!(
                "more than {} namespace declarations in scope at {}",
                limits.max_namespace_declarations,
                element()
            )));
        }
        let start = self.buffer.len();
        self.buffer.extend_from_slice(prefix);
        let middle = self.buffer.len();
        self.buffer.extend_from_slice(uri);
        self.bindings.push(Binding {
            prefix: start..middle,
            uri: middle..self.buffer.len(),
            depth,
        });
        Ok(())
    }

    /// The namespace of an element named `name` (empty when unqualified),
    /// or a fault naming the undeclared prefix.
    pub(super) fn element_namespace(
        &self,
        name: QName<'_>,
        here: &dyn Display,
    ) -> Result<&[u8], Fault> {
        match name.prefix() {
            None => Ok(self.lookup(b"").unwrap_or_default()),
            Some(prefix) => self.lookup(prefix.into_inner()).ok_or_else(|| {
                Fault::invalid(format!(
                    "element <{}> at {here} uses the prefix '{}', which is not declared",
                    Shown(&String::from_utf8_lossy(name.into_inner())),
                    Shown(&String::from_utf8_lossy(prefix.into_inner()))
                ))
            }),
        }
    }

    /// The namespace `prefix` is bound to (`b""` for the default namespace
    /// is the innermost `xmlns`, possibly `xmlns=""`).
    fn lookup(&self, prefix: &[u8]) -> Option<&[u8]> {
        if prefix == b"xml" {
            return Some(XML_NS);
        }
        if prefix == b"xmlns" {
            return None;
        }
        self.bindings
            .iter()
            .rev()
            .find(|b| &self.buffer[b.prefix.clone()] == prefix)
            .map(|b| &self.buffer[b.uri.clone()])
    }

    /// Drops the declarations made at `depth` or deeper (the element at
    /// `depth` ended).
    pub(super) fn leave(&mut self, depth: usize) {
        while let Some(last) = self.bindings.last() {
            if last.depth < depth {
                break;
            }
            self.buffer.truncate(last.prefix.start);
            self.bindings.pop();
        }
    }
}

/// An `xs:boolean` value (whitespace collapsed, as XSD says of booleans).
fn xsd_boolean(value: &str) -> Option<bool> {
    match value.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_follow_xsd_whitespace_rules() {
        assert_eq!(xsd_boolean(" 1 "), Some(true));
        assert_eq!(xsd_boolean("\ttrue\n"), Some(true));
        assert_eq!(xsd_boolean("0"), Some(false));
        assert_eq!(xsd_boolean("false"), Some(false));
        assert_eq!(xsd_boolean("TRUE"), None);
        assert_eq!(xsd_boolean("yes"), None);
        assert_eq!(xsd_boolean(""), None);
    }
}
