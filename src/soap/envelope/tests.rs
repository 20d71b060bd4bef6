//! The envelope reader's unit tests: what it accepts, and a fault for
//! every kind of bad input.

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
        msg.ends_with("the attribute value that opens at line 3, column 14 has no closing quote"),
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
    let msg = fault_text(r#"<soap:Envelope xmlns:soap="urn:nope"><soap:Body/></soap:Envelope>"#);
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

fn envelope_with(header: &str, body: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="{V11}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

#[test]
fn refuses_anything_but_comments_after_the_root() {
    let ok = envelope_with("", "<Version/>");
    assert!(read(&format!("{ok}\n<!-- trailing comment -->\n")).is_ok());
    let msg = fault_text(&format!("{ok}garbage"));
    assert!(
        msg.contains("text is not allowed after the Envelope"),
        "{msg}"
    );
    let msg = fault_text(&format!("junk{ok}"));
    assert!(
        msg.contains("text is not allowed before the Envelope"),
        "{msg}"
    );
    let msg = fault_text(&format!("{ok}<x/>"));
    assert!(msg.contains("after the SOAP Body"), "{msg}");
    let msg = fault_text(&envelope_with("", "<Login>stray<Email>a</Email></Login>"));
    assert!(
        msg.contains("text is not allowed between parameters"),
        "{msg}"
    );
}

#[test]
fn attribute_errors_are_faults() {
    let msg = fault_text(&envelope_with("", r#"<Version a="1" a="2"/>"#));
    assert!(
        msg.contains("attribute a appears more than once on <Version>"),
        "{msg}"
    );
    // Two prefixes bound to one namespace name the same attribute.
    let msg = fault_text(&envelope_with(
        "",
        r#"<Version xmlns:p="urn:p" xmlns:q="urn:p" p:a="1" q:a="2"/>"#,
    ));
    assert!(msg.contains("repeats an attribute"), "{msg}");
    let msg = fault_text(&envelope_with("", r#"<Version u:a="1"/>"#));
    assert!(msg.contains("prefix 'u', which is not declared"), "{msg}");
    let msg = fault_text(&envelope_with("", r#"<u:Version/>"#));
    assert!(msg.contains("element <u:Version>"), "{msg}");
    assert!(msg.contains("not declared"), "{msg}");
    let msg = fault_text(&envelope_with("", r#"<Version a=1/>"#));
    assert!(msg.contains("invalid attribute on <Version>"), "{msg}");
    let msg = fault_text(&envelope_with("", r#"<Version xmlns:xmlns="urn:x"/>"#));
    assert!(msg.contains("reserved"), "{msg}");
    let msg = fault_text(&envelope_with("", r#"<Version xmlns:p=""/>"#));
    assert!(msg.contains("which a prefix may not be"), "{msg}");
    // Attribute errors inside skipped header blocks count too.
    let msg = fault_text(&envelope_with(
        r#"<h:T xmlns:h="urn:h"><h:x b="1" b="1"/></h:T>"#,
        "<Version/>",
    ));
    assert!(msg.contains("appears more than once"), "{msg}");
}

#[test]
fn refuses_control_characters_misplaced_declarations_comments_and_pis() {
    let msg = fault_text(&envelope_with("", "<Login><Email>a\u{0}b</Email></Login>"));
    assert!(msg.contains("U+0000"), "{msg}");
    let msg = fault_text(&envelope_with("", "<Login><Email>a\u{1}b</Email></Login>"));
    assert!(msg.contains("U+0001"), "{msg}");
    let msg = fault_text(&envelope_with("", "<Login><Email>a&#1;b</Email></Login>"));
    assert!(msg.contains("U+0001"), "{msg}");
    let msg = fault_text(&format!(
        "\n<?xml version=\"1.0\"?>{}",
        envelope_with("", "<Version/>")
    ));
    assert!(
        msg.contains("XML declaration may only open the document"),
        "{msg}"
    );
    let msg = fault_text(&envelope_with("<!-- a -- b -->", "<Version/>"));
    assert!(msg.contains("malformed XML"), "{msg}");
    let msg = fault_text(&envelope_with("<?php x ?>", "<Version/>"));
    assert!(
        msg.contains("processing instructions are not allowed"),
        "{msg}"
    );
    let fault = read_envelope(
        b"<s:Envelope xmlns:s=\"x\">\xff</s:Envelope>",
        None,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(fault.message.contains("not UTF-8"), "{}", fault.message);
    // Tab, newline and carriage return are characters like any other.
    let req = read(&envelope_with(
        "",
        "<Login><Email>a\tb\r\nc</Email></Login>",
    ))
    .unwrap();
    assert_eq!(req.params.get("Email"), Some("a\tb\r\nc"));
}

#[test]
fn booleans_are_read_as_xsd_says() {
    let fault = read(&envelope_with(
        r#"<h:Sec xmlns:h="urn:h" s:mustUnderstand=" 1 "/>"#,
        "<Version/>",
    ))
    .unwrap_err();
    assert_eq!(fault.code, FaultCode::MustUnderstand);
    let fault = read(&envelope_with(
        r#"<h:Sec xmlns:h="urn:h" s:mustUnderstand="&#x31;"/>"#,
        "<Version/>",
    ))
    .unwrap_err();
    assert_eq!(fault.code, FaultCode::MustUnderstand);
    assert!(read(&envelope_with(
        r#"<h:Sec xmlns:h="urn:h" s:mustUnderstand="0"/>"#,
        "<Version/>"
    ))
    .is_ok());
    let msg = fault_text(&envelope_with(
        r#"<h:Sec xmlns:h="urn:h" s:mustUnderstand="yes"/>"#,
        "<Version/>",
    ));
    assert!(msg.contains("expected true, false, 1 or 0"), "{msg}");
    // mustUnderstand of the other SOAP version's namespace is not this one's.
    assert!(read(&envelope_with(
        r#"<h:Sec xmlns:h="urn:h" xmlns:e="http://www.w3.org/2003/05/soap-envelope" e:mustUnderstand="1"/>"#,
        "<Version/>"
    ))
    .is_ok());
    let req = read(&envelope_with(
        "",
        r#"<Logout><SessionID xsi:nil=" true ">x</SessionID></Logout>"#,
    ))
    .unwrap();
    assert_eq!(req.params.get("SessionID"), None);
    assert!(req.params.has("SessionID"));
}

#[test]
fn bounds_attributes_declarations_header_elements_and_names() {
    let attrs: String = (0..65).map(|i| format!(" a{i}=\"x\"")).collect();
    let msg = fault_text(&envelope_with("", &format!("<Version{attrs}/>")));
    assert!(msg.contains("has more than 64 attributes"), "{msg}");
    let decls: String = (0..70)
        .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
        .collect();
    let msg = fault_text(&format!(
        r#"<s:Envelope xmlns:s="{V11}"{decls}><s:Body><Version/></s:Body></s:Envelope>"#
    ));
    assert!(
        msg.contains("more than 64 attributes") || msg.contains("namespace declarations"),
        "{msg}"
    );
    // Declarations spread over nested elements count together.
    let nested: String = (0..8)
        .map(|d| {
            let decls: String = (0..9)
                .map(|i| format!(" xmlns:p{d}x{i}=\"urn:{i}\""))
                .collect();
            format!("<h:e{d} xmlns:h=\"urn:h\"{decls}>")
        })
        .collect();
    let closing: String = (0..8).rev().map(|d| format!("</h:e{d}>")).collect();
    let msg = fault_text(&envelope_with(&format!("{nested}{closing}"), "<Version/>"));
    assert!(
        msg.contains("more than 64 namespace declarations in scope"),
        "{msg}"
    );
    let many: String = "<h:x xmlns:h=\"urn:h\"/>".repeat(1025);
    let msg = fault_text(&envelope_with(&many, "<Version/>"));
    assert!(
        msg.contains("Header holds more than 1024 elements"),
        "{msg}"
    );
    assert!(read(&envelope_with(
        &"<h:x xmlns:h=\"urn:h\"/>".repeat(1000),
        "<Version/>"
    ))
    .is_ok());
    let long = "N".repeat(300_000);
    let msg = fault_text(&envelope_with("", &format!("<{long}/>")));
    assert!(msg.contains("is longer than 256 bytes"), "{msg}");
    assert!(msg.contains("… (300000 bytes)"), "{msg}");
    assert!(msg.len() < 300, "{}", msg.len());
}

#[test]
fn declarations_leave_scope_with_their_element() {
    // A prefix declared on a header block is not bound in the Body.
    let msg = fault_text(&envelope_with(r#"<h:T xmlns:h="urn:h"/>"#, "<h:Version/>"));
    assert!(msg.contains("not declared"), "{msg}");
    // The default namespace can be undeclared again.
    let req = read(&envelope_with(
        "",
        r#"<Login xmlns="https://os.ecgrid.io/"><Email xmlns="">a</Email></Login>"#,
    ))
    .unwrap();
    assert_eq!(req.namespace, Some(ServiceNs::V41));
    assert_eq!(req.params.get("Email"), Some("a"));
}
