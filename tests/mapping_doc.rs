//! `docs/MAPPING.md`'s per-operation table is generated from the operation
//! table, so it cannot drift: this test fails when it differs, and
//! `UPDATE_MAPPING=1 cargo test --test mapping_doc` rewrites it.

use ecgrid_gateway::coverage::markdown_table;

const BEGIN: &str = "<!-- BEGIN GENERATED: operations -->\n";
const END: &str = "<!-- END GENERATED -->";

#[test]
fn mapping_doc_table_matches_the_operation_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/MAPPING.md");
    let doc = std::fs::read_to_string(path).expect("docs/MAPPING.md exists");
    let start = doc.find(BEGIN).expect("BEGIN marker") + BEGIN.len();
    let end = start + doc[start..].find(END).expect("END marker");
    let expected = markdown_table();
    if doc[start..end] != expected {
        if std::env::var_os("UPDATE_MAPPING").is_some() {
            let updated = format!("{}{}{}", &doc[..start], expected, &doc[end..]);
            std::fs::write(path, updated).expect("rewrite docs/MAPPING.md");
        } else {
            panic!(
                "docs/MAPPING.md's operation table is out of date; run UPDATE_MAPPING=1 cargo test --test mapping_doc\n--- expected ---\n{expected}"
            );
        }
    }
    // Every operation is in the table, the auth ones included.
    for name in [
        "Login",
        "Logout",
        "WhoAmI",
        "CallBackAdd",
        "CallBackTest",
        "CallBackEventSetStatus",
    ] {
        assert!(expected.contains(&format!("| `{name}` |")), "{name}");
    }
    assert!(expected.contains("`https://os.ecgrid.io/CallBackAddEx`"));
}
