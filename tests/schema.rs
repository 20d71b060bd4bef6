//! `src/schema/generated/` is generated from the original WSDLs: this test
//! regenerates it and fails when the committed files were stale (after
//! writing the new ones, so `cargo test` twice and a commit fix it). If a
//! generator change writes code that does not compile, the test cannot run
//! again: `git checkout src/schema/generated` and fix the generator.

#[path = "support/schema_gen.rs"]
mod schema_gen;
#[path = "support/wsdl_gen.rs"]
mod wsdl_gen;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `text` as `cargo fmt` leaves it (the files are checked by `cargo fmt
/// --check` too).
fn rustfmt(text: &str) -> String {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("rustfmt (part of the Rust toolchain) runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to rustfmt");
    let out = child.wait_with_output().expect("rustfmt finishes");
    assert!(out.status.success(), "rustfmt refused the generated code");
    String::from_utf8(out.stdout).expect("rustfmt writes UTF-8")
}

fn original(file: &str) -> wsdl_gen::Element {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/wsdl")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading the original WSDL {}: {e}", path.display()));
    wsdl_gen::parse(&text).expect("original WSDL parses")
}

/// The shadow comparison (`routing::compare`) compares children in document
/// order, which is the WSDL's order only while no type leaves order free.
#[test]
fn every_complex_type_is_a_sequence_so_document_order_is_the_wsdls() {
    for file in ["ECGridOS-v4.1.wsdl", "ECGridOS-v3.2.wsdl"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/reference/wsdl")
            .join(file);
        let text = std::fs::read_to_string(&path).expect("the reference WSDLs beside the checkout");
        assert!(text.contains("<s:sequence"), "{file}");
        assert!(
            !text.contains("<s:all") && !text.contains("<s:choice"),
            "{file}: a type whose children come in any order"
        );
    }
}

#[test]
fn generated_schema_is_current() {
    let files = schema_gen::generate(
        &original("ECGridOS-v4.1.wsdl"),
        &original("ECGridOS-v3.2.wsdl"),
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/schema/generated");
    let mut stale = Vec::new();
    for (name, text) in files {
        let text = rustfmt(&text);
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).expect("write the generated file");
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "src/schema/generated/{} was stale and has been regenerated; rebuild and commit it",
        stale.join(", src/schema/generated/")
    );
}

#[test]
fn field_names_read_as_their_wire_names() {
    for (wire, rust) in [
        ("ECGridIDFrom", "ecgrid_id_from"),
        ("HTTPAuthentication", "http_authentication"),
        ("NetworkIDFrom", "network_id_from"),
        ("SessionID", "session_id"),
        ("EMail", "e_mail"),
        ("URL", "url"),
        ("Type", "r#type"),
        ("X12Delimiters", "x12_delimiters"),
    ] {
        assert_eq!(schema_gen::field_ident(wire), rust, "{wire}");
    }
}
