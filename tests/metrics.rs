//! `GET /metrics` of the real binary (`serve --sandbox`): the exposition
//! read by a strict OpenMetrics text parser (every line a HELP, TYPE,
//! UNIT, sample or the final `# EOF`; every sample of the family its TYPE
//! announced), and its counters checked against the calls this test made.

mod support;

use std::collections::BTreeMap;

use ecgrid_gateway::sandbox::{DEMO_API_KEY, DEMO_LOGIN, DEMO_PASSWORD};
use support::binary::{exchange, first_line, listening_url};
use support::{envelope, Soap, NS41, PATH41};

/// One sample line.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Parses the exposition; panics (naming the line) on anything that is
/// not valid OpenMetrics text.
fn parse(text: &str) -> Vec<Sample> {
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines.last(), Some(&""), "ends with a newline");
    assert_eq!(lines[lines.len() - 2], "# EOF", "ends with # EOF");
    let mut family: Option<(String, String)> = None;
    let mut samples = Vec::new();
    for (n, line) in lines[..lines.len() - 2].iter().enumerate() {
        let at = || format!("line {}: {line:?}", n + 1);
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let kind = parts.next().unwrap();
            let name = parts.next().unwrap_or_else(|| panic!("{}", at()));
            assert!(is_name(name), "{}", at());
            match kind {
                "TYPE" => {
                    let t = parts.next().unwrap_or_else(|| panic!("{}", at()));
                    assert!(
                        [
                            "counter",
                            "gauge",
                            "histogram",
                            "summary",
                            "info",
                            "stateset",
                            "unknown",
                            "gaugehistogram"
                        ]
                        .contains(&t),
                        "{}",
                        at()
                    );
                    family = Some((name.to_string(), t.to_string()));
                }
                "HELP" | "UNIT" => {}
                _ => panic!("unknown comment {}", at()),
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{}", at()));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value of {}", at())),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("{}", at()));
                let mut labels = BTreeMap::new();
                let mut chars = body.chars().peekable();
                while chars.peek().is_some() {
                    let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
                    assert!(is_name(&key), "label name in {}", at());
                    assert_eq!(chars.next(), Some('"'), "{}", at());
                    let mut value = String::new();
                    loop {
                        match chars.next() {
                            Some('\\') => match chars.next() {
                                Some('n') => value.push('\n'),
                                Some(c @ ('\\' | '"')) => value.push(c),
                                _ => panic!("bad escape in {}", at()),
                            },
                            Some('"') => break,
                            Some(c) => value.push(c),
                            None => panic!("unterminated label value in {}", at()),
                        }
                    }
                    assert!(
                        labels.insert(key, value).is_none(),
                        "repeated label in {}",
                        at()
                    );
                    match chars.next() {
                        Some(',') | None => {}
                        _ => panic!("{}", at()),
                    }
                }
                (name, labels)
            }
        };
        assert!(is_name(name), "{}", at());
        let (family_name, family_type) = family
            .as_ref()
            .unwrap_or_else(|| panic!("sample before TYPE: {}", at()));
        let suffixes: &[&str] = match family_type.as_str() {
            "counter" => &["_total", "_created"],
            "histogram" => &["_bucket", "_sum", "_count", "_created"],
            _ => &[""],
        };
        assert!(
            suffixes.iter().any(|s| name == format!("{family_name}{s}")),
            "{name} is not a sample of {family_type} {family_name}: {}",
            at()
        );
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    samples
}

/// The value of the sample `name` with exactly `labels` (0 when absent).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    samples
        .iter()
        .filter(|s| s.name == name && s.labels == want)
        .map(|s| s.value)
        .sum()
}

fn post(url: &str, soap: Soap, op: &str, params: &[(&str, &str)]) -> String {
    let body = envelope(soap, NS41, op, params);
    let content_type = match soap {
        Soap::V11 => "text/xml; charset=utf-8",
        Soap::V12 => "application/soap+xml; charset=utf-8",
    };
    exchange(
        url,
        &format!(
            "POST {PATH41} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

fn scrape(url: &str) -> (String, Vec<Sample>) {
    let answer = exchange(
        url,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text; version=1.0.0"),
        "{head}"
    );
    // The body is not chunked here (axum sends a String with a length).
    (body.to_string(), parse(body))
}

#[test]
fn metrics_count_the_calls_made_by_operation_version_outcome_and_route() {
    let (_gateway, line) = first_line(
        &[
            "serve",
            "--sandbox",
            "--listen",
            "127.0.0.1:0",
            "--workers",
            "2",
        ],
        &[],
    );
    let url = listening_url(&line);
    let (_, before) = scrape(&url);
    assert_eq!(value(&before, "ecgrid_gateway_sessions", &[]), 0.0);

    let ok_11 = 5;
    for _ in 0..ok_11 {
        let answer = post(&url, Soap::V11, "WhoAmI", &[("SessionID", DEMO_API_KEY)]);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let ok_12 = 2;
    for _ in 0..ok_12 {
        let answer = post(&url, Soap::V12, "WhoAmI", &[("SessionID", DEMO_API_KEY)]);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let client_faults = 3;
    for _ in 0..client_faults {
        // No SessionID: an Authentication fault, no upstream call.
        let answer = post(&url, Soap::V11, "WhoAmI", &[("SessionID", "")]);
        assert!(answer.contains("soap:Client"), "{answer}");
    }
    // An operation nobody knows: its name must not become a label.
    let answer = post(&url, Soap::V11, "Exfiltrate_4f9a", &[]);
    assert!(answer.starts_with("HTTP/1.1 500"), "{answer}");
    let answer = post(
        &url,
        Soap::V11,
        "Login",
        &[("LoginName", DEMO_LOGIN), ("Password", DEMO_PASSWORD)],
    );
    assert!(answer.contains("LoginResult"), "{answer}");

    let (text, after) = scrape(&url);
    let requests = "ecgrid_gateway_requests_total";
    let whoami = |version, outcome| {
        value(
            &after,
            requests,
            &[
                ("operation", "WhoAmI"),
                ("soap_version", version),
                ("outcome", outcome),
                ("route", "rest"),
            ],
        )
    };
    assert_eq!(whoami("1.1", "ok"), ok_11 as f64, "{text}");
    assert_eq!(whoami("1.2", "ok"), ok_12 as f64, "{text}");
    assert_eq!(
        whoami("1.1", "client_fault"),
        client_faults as f64,
        "{text}"
    );
    assert_eq!(
        value(
            &after,
            requests,
            &[
                ("operation", "unknown"),
                ("soap_version", "1.1"),
                ("outcome", "client_fault"),
                ("route", "rest")
            ],
        ),
        1.0,
        "{text}"
    );
    assert!(
        !text.contains("Exfiltrate"),
        "an unknown name became a label"
    );
    assert!(!text.contains(DEMO_API_KEY) && !text.contains(DEMO_PASSWORD));
    assert_eq!(
        value(
            &after,
            requests,
            &[
                ("operation", "Login"),
                ("soap_version", "1.1"),
                ("outcome", "ok"),
                ("route", "rest")
            ],
        ),
        1.0
    );
    let total: f64 = after
        .iter()
        .filter(|s| s.name == requests)
        .map(|s| s.value)
        .sum();
    assert_eq!(total, (ok_11 + ok_12 + client_faults + 2) as f64, "{text}");
    // Durations: one observation per call.
    assert_eq!(
        value(
            &after,
            "ecgrid_gateway_request_duration_seconds_count",
            &[("operation", "WhoAmI")]
        ),
        (ok_11 + ok_12 + client_faults) as f64
    );
    assert_eq!(
        value(
            &after,
            "ecgrid_gateway_request_duration_seconds_bucket",
            &[("operation", "WhoAmI"), ("le", "+Inf")]
        ),
        (ok_11 + ok_12 + client_faults) as f64
    );
    // Upstream: every successful WhoAmI made one REST call answered 200,
    // and Login its own; faults before the upstream made none.
    let upstream_200 = value(
        &after,
        "ecgrid_gateway_upstream_requests_total",
        &[("upstream", "rest"), ("status", "200")],
    );
    assert_eq!(upstream_200, (ok_11 + ok_12 + 1) as f64, "{text}");
    let upstream_all: f64 = after
        .iter()
        .filter(|s| s.name == "ecgrid_gateway_upstream_requests_total")
        .map(|s| s.value)
        .sum();
    assert_eq!(
        value(
            &after,
            "ecgrid_gateway_upstream_request_duration_seconds_count",
            &[("upstream", "rest")]
        ),
        upstream_all
    );
    assert_eq!(value(&after, "ecgrid_gateway_sessions", &[]), 1.0, "{text}");
    assert!(
        after.iter().any(
            |s| s.name == "ecgrid_gateway_sandbox_webhook_deliveries_total"
                && s.labels.get("status").map(String::as_str) == Some("delivered")
        ),
        "{text}"
    );
}
