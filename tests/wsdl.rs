//! The served WSDLs: generated from the original ECGridOS WSDLs for exactly
//! the operations in `OPERATIONS`, self-contained, and addressed at the
//! gateway.
//!
//! Regenerate `wsdl/*.wsdl` after changing the operation table with
//! `UPDATE_WSDL=1 cargo test --test wsdl`.

#[path = "support/wsdl_gen.rs"]
mod wsdl_gen;

use std::path::PathBuf;

use ecgrid_gateway::ops::{Availability, OPERATIONS};
use ecgrid_gateway::routing::Endpoint;
use wsdl_gen::{Element, Op, Original};

/// One served WSDL and where it comes from.
struct Served {
    endpoint: Endpoint,
    /// File under `wsdl/`.
    file: &'static str,
    /// The checked-in text, as the binary embeds it.
    text: &'static str,
    /// The original under `../shared/reference/wsdl/`.
    original: &'static str,
}

const SERVED: [Served; 2] = [
    Served {
        endpoint: Endpoint::V41,
        file: "ECGridOS.wsdl",
        text: ecgrid_gateway::wsdl::V41_WSDL,
        original: "ECGridOS-v4.1.wsdl",
    },
    Served {
        endpoint: Endpoint::V32,
        file: "ECGridOS-v3.2.wsdl",
        text: ecgrid_gateway::wsdl::V32_WSDL,
        original: "ECGridOS-v3.2.wsdl",
    },
];

impl Served {
    /// The operations of `OPERATIONS` this WSDL declares, in table order.
    fn ops(&self) -> Vec<Op<'static>> {
        OPERATIONS
            .iter()
            .filter(|spec| {
                self.endpoint == Endpoint::V41 || spec.availability() == Availability::Both
            })
            .map(|spec| Op {
                name: spec.name,
                in_original_wsdl: spec.in_original_wsdl(),
            })
            .collect()
    }

    fn names(&self) -> Vec<&'static str> {
        self.ops().iter().map(|op| op.name).collect()
    }

    fn original(&self) -> Element {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/reference/wsdl")
            .join(self.original);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading the original WSDL {}: {e}", path.display()));
        wsdl_gen::parse(&text).expect("original WSDL parses")
    }

    fn parsed(&self) -> Element {
        wsdl_gen::parse(self.text).unwrap_or_else(|e| panic!("wsdl/{} parses: {e}", self.file))
    }

    fn location(&self) -> String {
        format!("{}{}", wsdl_gen::FILE_BASE_URL, self.endpoint.path())
    }
}

#[test]
fn served_wsdls_are_generated_from_the_operation_table() {
    let update = std::env::var_os("UPDATE_WSDL").is_some_and(|v| v != "0");
    let mut stale = Vec::new();
    for served in &SERVED {
        let generated =
            wsdl_gen::generate(&served.original(), &served.ops(), served.endpoint.path());
        if generated == served.text {
            continue;
        }
        if update {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("wsdl")
                .join(served.file);
            std::fs::write(&path, &generated).expect("write the regenerated WSDL");
            eprintln!("wrote {}", path.display());
        } else {
            stale.push(served.file);
        }
    }
    assert!(
        stale.is_empty(),
        "wsdl/{} out of date with the operation table; run `UPDATE_WSDL=1 cargo test --test wsdl` and commit the result",
        stale.join(", wsdl/")
    );
}

/// The `name`s of `wsdl:operation` children.
fn operation_names(parent: &Element) -> Vec<&str> {
    parent
        .children_named("wsdl:operation")
        .map(|op| op.get("name").expect("operation name"))
        .collect()
}

#[test]
fn served_wsdl_operations_are_the_table_operations_of_that_version() {
    for served in &SERVED {
        let root = served.parsed();
        let wsdl = Original::new(&root);
        let expected = served.names();
        assert_eq!(
            operation_names(wsdl.port_type),
            expected,
            "{} portType",
            served.file
        );
        assert_eq!(
            operation_names(wsdl.soap_binding),
            expected,
            "{} Soap binding",
            served.file
        );
        assert_eq!(
            operation_names(wsdl.soap12_binding),
            expected,
            "{} Soap12 binding",
            served.file
        );
        assert_eq!(
            root.children_named("wsdl:portType").count(),
            1,
            "{}",
            served.file
        );
        assert_eq!(
            root.children_named("wsdl:binding").count(),
            2,
            "{}",
            served.file
        );
        for binding in [wsdl.soap_binding, wsdl.soap12_binding] {
            for op in binding.children_named("wsdl:operation") {
                let action = op.children[0].get("soapAction").expect("soapAction");
                let name = op.get("name").unwrap();
                assert_eq!(
                    action,
                    format!("{}{name}", wsdl.namespace),
                    "{}",
                    served.file
                );
            }
        }
    }
    // v3.2 leaves out exactly the V41Only operations.
    let v41 = SERVED[0].names();
    let v32 = SERVED[1].names();
    for spec in OPERATIONS {
        assert!(v41.contains(&spec.name));
        assert_eq!(
            v32.contains(&spec.name),
            spec.availability() == Availability::Both,
            "{}",
            spec.name
        );
    }
}

#[test]
fn served_wsdls_fetch_nothing() {
    for served in &SERVED {
        for needle in [
            "import",
            "schemaLocation",
            "AbstractTypes",
            "soapenc:",
            "s1:",
        ] {
            assert!(
                !served.text.contains(needle),
                "{} contains {needle:?}",
                served.file
            );
        }
        let root = served.parsed();
        let schemas: Vec<_> = root
            .children_named("wsdl:types")
            .flat_map(|t| t.children_named("s:schema"))
            .collect();
        assert_eq!(schemas.len(), 1, "{}: one schema", served.file);
        assert_eq!(schemas[0].get("elementFormDefault"), Some("qualified"));
        assert_eq!(
            schemas[0].get("targetNamespace"),
            root.get("targetNamespace")
        );
    }
}

#[test]
fn served_wsdl_declarations_are_copied_verbatim_from_the_original() {
    for served in &SERVED {
        let original_root = served.original();
        let original = Original::new(&original_root);
        let root = served.parsed();
        let wsdl = Original::new(&root);
        assert_eq!(wsdl.namespace, original.namespace, "{}", served.file);
        let original_index = wsdl_gen::schema_index(original.schema);

        // Every element and type is the original's (an empty complexType
        // given its empty sequence), except the hand-written declarations
        // of operations the original lacks.
        let mut hand_written = Vec::new();
        for op in served.ops().iter().filter(|op| !op.in_original_wsdl) {
            hand_written.push(op.name.to_string());
            hand_written.push(format!("{}Response", op.name));
        }
        let mut schema_names = Vec::new();
        for ((kind, name), def) in wsdl_gen::schema_index(wsdl.schema) {
            schema_names.push(name.clone());
            match original_index.get(&(kind, name.clone())) {
                Some(original) => assert_eq!(
                    *def,
                    wsdl_gen::with_empty_sequences((*original).clone()),
                    "{}: {kind} {name}",
                    served.file
                ),
                None => assert!(
                    kind == "element" && hand_written.contains(&name),
                    "{}: {kind} {name} is not in the original",
                    served.file
                ),
            }
        }
        assert_eq!(
            schema_names.len(),
            wsdl.schema.children.len(),
            "{}: schema names are unique",
            served.file
        );

        // Every `tns:` type referenced is declared.
        wsdl.schema.walk(&mut |e| {
            if let Some(ty) = e.get("type").and_then(|t| t.strip_prefix("tns:")) {
                assert!(
                    wsdl.type_def(ty).is_some(),
                    "{}: tns:{ty} undeclared",
                    served.file
                );
            }
        });

        // Messages, port type operations and binding operations too.
        for op in served.ops().iter().filter(|op| op.in_original_wsdl) {
            for suffix in ["SoapIn", "SoapOut"] {
                let name = format!("{}{suffix}", op.name);
                assert_eq!(
                    root.find_named("wsdl:message", &name),
                    original_root.find_named("wsdl:message", &name),
                    "{}: message {name}",
                    served.file
                );
            }
            for (ours, theirs) in [
                (wsdl.port_type, original.port_type),
                (wsdl.soap_binding, original.soap_binding),
                (wsdl.soap12_binding, original.soap12_binding),
            ] {
                assert_eq!(ours.attrs, theirs.attrs, "{}", served.file);
                assert_eq!(
                    ours.find_named("wsdl:operation", op.name),
                    theirs.find_named("wsdl:operation", op.name),
                    "{}: {} in {}",
                    served.file,
                    op.name,
                    ours.name
                );
            }
        }
    }
}

#[test]
fn served_wsdl_addresses_point_at_the_default_listen_address() {
    for served in &SERVED {
        let root = served.parsed();
        let services: Vec<_> = root.children_named("wsdl:service").collect();
        assert_eq!(services.len(), 1, "{}", served.file);
        let mut addresses = Vec::new();
        for port in services[0].children_named("wsdl:port") {
            for address in &port.children {
                addresses.push((address.name.as_str(), address.get("location").unwrap()));
            }
        }
        let location = served.location();
        assert_eq!(
            addresses,
            [
                ("soap:address", location.as_str()),
                ("soap12:address", location.as_str())
            ],
            "{}",
            served.file
        );
        assert_eq!(
            served.text.matches("location=\"").count(),
            2,
            "{}",
            served.file
        );
    }
}

#[test]
fn render_rewrites_both_addresses_and_nothing_else() {
    for served in &SERVED {
        for base in ["https://gw.example.com", "https://gw.example.com/"] {
            let rendered = ecgrid_gateway::wsdl::render(served.endpoint, base);
            let ours = format!(
                "location=\"https://gw.example.com{}\"",
                served.endpoint.path()
            );
            let file = format!("location=\"{}\"", served.location());
            assert_eq!(
                rendered.matches(&ours).count(),
                2,
                "{} for {base}",
                served.file
            );
            assert!(
                !rendered.contains(wsdl_gen::FILE_BASE_URL),
                "{}",
                served.file
            );
            assert_eq!(
                rendered.replace(&ours, &file),
                served.text,
                "{}",
                served.file
            );
        }
        // A base URL with characters that need escaping stays well-formed.
        let rendered = ecgrid_gateway::wsdl::render(served.endpoint, "https://gw.example.com/a&b");
        let root = wsdl_gen::parse(&rendered).expect("rendered WSDL parses");
        let service = root.children_named("wsdl:service").next().unwrap();
        for port in service.children_named("wsdl:port") {
            assert_eq!(
                port.children[0].get("location"),
                Some(format!("https://gw.example.com/a&b{}", served.endpoint.path()).as_str())
            );
        }
    }
}

#[test]
fn empty_request_types_are_written_as_an_empty_sequence() {
    for served in &SERVED {
        assert!(
            !served.text.contains("<s:complexType />"),
            "{}: an empty complexType without its sequence",
            served.file
        );
        let root = served.parsed();
        let wsdl = Original::new(&root);
        let version = wsdl
            .schema
            .find_named("s:element", "Version")
            .expect("Version is served");
        let complex = &version.children[0];
        assert_eq!(complex.name, "s:complexType");
        assert_eq!(complex.children.len(), 1);
        assert_eq!(complex.children[0].name, "s:sequence");
        assert!(complex.children[0].children.is_empty());
    }
}
