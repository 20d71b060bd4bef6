#!/usr/bin/env python3
"""Validate a SOAP response body against an ECGridOS WSDL's schema.

Usage:
    validate_schema.py [--wsdl PATH] [RESPONSE_FILE | -]
    validate_schema.py --wsdl PATH --load-only

The response is a whole SOAP 1.1 or 1.2 envelope (file, or stdin when the
argument is ``-`` or missing). The first child element of ``Body`` is
validated against the service-namespace schema embedded in the WSDL
(default: the ORIGINAL v4.1 WSDL, ``../shared/reference/wsdl/`` beside the
repository). The ``AbstractTypes`` schema and any ``import`` /
``schemaLocation`` are dropped, so nothing is ever fetched. A
``soap:Fault`` is checked for shape instead: SOAP 1.1 ``faultcode``,
``faultstring``, ``detail/ECGridOSSOAPErrorCode``; SOAP 1.2 ``Code/Value``,
``Reason/Text``, ``Detail/ECGridOSSOAPErrorCode``.

Exit status: 0 valid, 1 violations (listed on stderr), 2 unusable input.

Importable: ``validate(body_bytes, wsdl_path) -> list[str]`` (empty when
valid) and ``load_schema(wsdl_path) -> xmlschema.XMLSchema``.

Needs ``xmlschema`` (tests/clients/requirements.txt), in a venv:
    python3 -m venv tests/clients/.venv
    tests/clients/.venv/bin/pip install -r tests/clients/requirements.txt
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_WSDL = REPO_ROOT.parent / "shared" / "reference" / "wsdl" / "ECGridOS-v4.1.wsdl"

SOAP11_FAULT_CODES = {"Client", "Server", "MustUnderstand", "VersionMismatch"}
SOAP12_FAULT_CODES = {"Sender", "Receiver", "MustUnderstand", "VersionMismatch", "DataEncodingUnknown"}


def _namespace_declarations(data: bytes) -> list[tuple[str, str]]:
    """Every ``xmlns:prefix`` declaration in the document, first one per prefix."""
    seen: dict[str, str] = {}
    for _event, (prefix, uri) in ET.iterparse(_BytesSource(data), events=("start-ns",)):
        if prefix and prefix not in seen:
            seen[prefix] = uri
    return list(seen.items())


class _BytesSource:
    """A minimal file object over bytes (iterparse wants one)."""

    def __init__(self, data: bytes):
        self._data = data
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


def extract_schema(wsdl_bytes: bytes) -> str:
    """The WSDL's service-namespace schema as a standalone XSD document.

    The schema whose targetNamespace is the WSDL's targetNamespace is kept;
    other schemas (``AbstractTypes``) are dropped, and so are ``import``,
    ``include`` and ``redefine`` children. The prefixes the WSDL declares
    are declared on the schema element, so ``type="tns:X"`` and
    ``type="s:string"`` keep resolving.
    """
    root = ET.fromstring(wsdl_bytes)
    target = root.get("targetNamespace")
    schema = None
    for types in root.findall(f"{{{WSDL_NS}}}types"):
        for candidate in types.findall(f"{{{XSD_NS}}}schema"):
            if candidate.get("targetNamespace") == target:
                schema = candidate
                break
    if schema is None:
        raise ValueError(f"no schema for targetNamespace {target!r} in the WSDL")
    for child in list(schema):
        if child.tag in (f"{{{XSD_NS}}}import", f"{{{XSD_NS}}}include", f"{{{XSD_NS}}}redefine"):
            schema.remove(child)

    declarations = _namespace_declarations(wsdl_bytes)
    for prefix, uri in declarations:
        ET.register_namespace(prefix, uri)
    text = ET.tostring(schema, encoding="unicode")
    start_tag_end = text.index(">")
    start_tag = text[:start_tag_end]
    missing = "".join(
        f' xmlns:{prefix}="{uri}"'
        for prefix, uri in declarations
        if not re.search(rf"\sxmlns:{re.escape(prefix)}=", start_tag)
    )
    if start_tag.endswith("/"):
        return start_tag[:-1] + missing + text[start_tag_end - 1 :]
    return start_tag + missing + text[start_tag_end:]


@functools.lru_cache(maxsize=8)
def _load_schema_cached(wsdl_path: str) -> xmlschema.XMLSchema:
    schema_text = extract_schema(Path(wsdl_path).read_bytes())
    # allow="none": the schema is self-contained; never fetch anything.
    return xmlschema.XMLSchema(schema_text, allow="none", defuse="always")


def load_schema(wsdl_path: str | Path = DEFAULT_WSDL) -> xmlschema.XMLSchema:
    """The WSDL's service-namespace schema, loaded without network access."""
    return _load_schema_cached(str(Path(wsdl_path).resolve()))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _check_fault(fault: ET.Element, env_ns: str) -> list[str]:
    errors: list[str] = []
    if env_ns == SOAP11_ENV:
        # SOAP 1.1: unqualified faultcode, faultstring, faultactor?, detail?
        names = [child.tag for child in fault]
        expected = ["faultcode", "faultstring", "detail"]
        if names != expected:
            errors.append(f"Fault children are {names}, expected {expected}")
        code = _text(fault.find("faultcode"))
        if not re.fullmatch(r"[A-Za-z_][\w.-]*:([A-Za-z]+)(\.[\w.]+)?", code) or code.split(":", 1)[1].split(
            "."
        )[0] not in SOAP11_FAULT_CODES:
            errors.append(f"faultcode {code!r} is not soap:Client/Server/MustUnderstand/VersionMismatch")
        if not _text(fault.find("faultstring")):
            errors.append("faultstring is empty")
        detail = fault.find("detail")
    else:
        names = [child.tag for child in fault]
        expected = [f"{{{env_ns}}}{n}" for n in ("Code", "Reason", "Detail")]
        if names != expected:
            errors.append(f"Fault children are {[_local(n) for n in names]}, expected Code, Reason, Detail")
        value = _text(fault.find(f"{{{env_ns}}}Code/{{{env_ns}}}Value"))
        if ":" not in value or value.split(":", 1)[1] not in SOAP12_FAULT_CODES:
            errors.append(f"Code/Value {value!r} is not a SOAP 1.2 fault code")
        reason = fault.find(f"{{{env_ns}}}Reason/{{{env_ns}}}Text")
        if reason is None or not _text(reason):
            errors.append("Reason/Text is missing or empty")
        elif reason.get("{http://www.w3.org/XML/1998/namespace}lang") is None:
            errors.append("Reason/Text has no xml:lang")
        detail = fault.find(f"{{{env_ns}}}Detail")
    if detail is None:
        errors.append("Fault has no detail")
    else:
        codes = detail.findall("ECGridOSSOAPErrorCode")
        if len(codes) != 1 or not _text(codes[0]):
            errors.append("detail must hold one non-empty ECGridOSSOAPErrorCode")
    return errors


def validate(body_bytes: bytes, wsdl_path: str | Path = DEFAULT_WSDL) -> list[str]:
    """Violations of a SOAP response envelope against the WSDL (empty: valid)."""
    try:
        envelope = ET.fromstring(body_bytes)
    except ET.ParseError as err:
        return [f"not well-formed XML: {err}"]
    env_ns = envelope.tag[1:].split("}", 1)[0] if envelope.tag.startswith("{") else ""
    if env_ns not in (SOAP11_ENV, SOAP12_ENV) or _local(envelope.tag) != "Envelope":
        return [f"root is {envelope.tag}, not a SOAP 1.1 or 1.2 Envelope"]
    body = envelope.find(f"{{{env_ns}}}Body")
    if body is None:
        return ["Envelope has no Body"]
    children = list(body)
    if not children:
        return ["Body is empty"]
    errors: list[str] = []
    if len(children) > 1:
        errors.append(f"Body has {len(children)} child elements, expected 1")
    first = children[0]
    if first.tag == f"{{{env_ns}}}Fault":
        return errors + _check_fault(first, env_ns)

    schema = load_schema(wsdl_path)
    if first.tag not in schema.maps.elements:
        return errors + [f"{first.tag} is not a global element of the WSDL schema ({schema.target_namespace})"]
    for err in schema.iter_errors(first):
        where = err.path or ""
        errors.append(f"{where}: {err.reason}" if where else str(err.reason))
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("response", nargs="?", default="-", help="SOAP response envelope file, or - for stdin")
    parser.add_argument("--wsdl", default=str(DEFAULT_WSDL), help=f"WSDL to validate against (default {DEFAULT_WSDL})")
    parser.add_argument("--load-only", action="store_true", help="only check that the WSDL's schema loads offline")
    args = parser.parse_args(argv)

    try:
        if args.load_only:
            schema = load_schema(args.wsdl)
            print(f"{args.wsdl}: schema {schema.target_namespace} loads offline, {len(schema.elements)} global elements")
            return 0
        data = sys.stdin.buffer.read() if args.response == "-" else Path(args.response).read_bytes()
        errors = validate(data, args.wsdl)
    except (OSError, ValueError, xmlschema.XMLSchemaException) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
