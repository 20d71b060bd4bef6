//! The HTTP layer under hostile clients (issue 16, findings 4 and 11):
//! a body that stalls is cut off by its deadline while a slow but steady
//! one succeeds; a Content-Length over the limit gets 413 before any
//! `100 Continue`; HTTP/1.1 without Host is refused; each of these 4xx
//! answers is a SOAP fault.

mod support;

use std::time::Duration;

use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A gateway with a short body deadline: 300 ms plus 1 KiB/s.
async fn gateway() -> TestGateway {
    let mut config = config_for("http://127.0.0.1:9");
    config.body_read_timeout = Duration::from_millis(300);
    config.body_min_rate = 1024;
    spawn_gateway(&config).await
}

async fn connect(gw: &TestGateway) -> TcpStream {
    TcpStream::connect(gw.gateway.local_addr()).await.unwrap()
}

/// Reads what the gateway answers until it closes the connection or has
/// sent a whole response with a body (at most 10 s).
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            let text = String::from_utf8_lossy(&answer);
            if text.contains("</soap:Envelope>") || text.contains("</env:Envelope>") {
                break;
            }
        }
    })
    .await;
    String::from_utf8_lossy(&answer).into_owned()
}

fn head(content_length: usize, extra: &str) -> String {
    format!(
        "POST {PATH41} HTTP/1.1\r\nHost: gw\r\nContent-Type: text/xml; charset=utf-8\r\n\
         Content-Length: {content_length}\r\n{extra}\r\n"
    )
}

#[tokio::test]
async fn a_stalled_body_is_cut_off_with_a_408_fault() {
    let gw = gateway().await;
    let mut stream = connect(&gw).await;
    stream.write_all(head(5000, "").as_bytes()).await.unwrap();
    stream.write_all(&[b' '; 100]).await.unwrap();
    let answer = read_answer(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("<faultcode>soap:Client</faultcode>"),
        "{answer}"
    );
    assert!(
        answer.contains("did not arrive in time: 100 bytes"),
        "{answer}"
    );
    assert!(answer.contains("--body-min-rate"), "{answer}");
    gw.stop().await;
}

#[tokio::test]
async fn a_slow_but_steady_body_succeeds() {
    let gw = gateway().await;
    // 3 KiB of envelope at ~2 KiB/s (twice the minimum rate): about 1.5 s,
    // five times the 300 ms grace.
    let body = envelope(Soap::V11, NS41, "Version", &[]);
    let padded = format!("{body}{}", " ".repeat(3072 - body.len()));
    let mut stream = connect(&gw).await;
    stream
        .write_all(head(padded.len(), "Connection: close\r\n").as_bytes())
        .await
        .unwrap();
    for chunk in padded.as_bytes().chunks(100) {
        stream.write_all(chunk).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answer = read_answer(&mut stream).await;
    // The upstream is unreachable, so the answer is a 500 fault about it:
    // what matters is that the body was read whole.
    assert!(answer.starts_with("HTTP/1.1 500"), "{answer}");
    assert!(answer.contains("unreachable"), "{answer}");
    gw.stop().await;
}

#[tokio::test]
async fn an_oversized_content_length_gets_413_before_100_continue() {
    let gw = gateway().await;
    let mut stream = connect(&gw).await;
    // The operation is announced (SOAPAction), so its limit is known
    // before the body (request_body.rs).
    let request = head(
        2 * 1024 * 1024,
        "SOAPAction: \"https://os.ecgrid.io/WhoAmI\"\r\nExpect: 100-continue\r\n",
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
    assert!(
        answer.contains("request body (Content-Length 2097152) is larger than the gateway's limit of 1048576 bytes for this operation (--max-body)"),
        "{answer}"
    );
    assert!(
        answer.contains("<faultcode>soap:Client</faultcode>"),
        "{answer}"
    );
    gw.stop().await;
}

#[tokio::test]
async fn http11_without_host_is_refused_with_a_fault() {
    let gw = gateway().await;
    let mut stream = connect(&gw).await;
    let body = envelope(Soap::V11, NS41, "Version", &[]);
    let request = format!(
        "POST {PATH41} HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("must carry a Host header"), "{answer}");
    // HTTP/1.0 may leave it out.
    let mut stream = connect(&gw).await;
    let request = format!("GET {PATH41}?WSDL HTTP/1.0\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut answer)).await;
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
    gw.stop().await;
}

/// What the gateway answers to `head` and whether it then closed the
/// connection (read to its end within 10 s).
async fn refusal_of(gw: &TestGateway, head: &[u8]) -> String {
    let mut stream = connect(gw).await;
    stream.write_all(head).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the connection was not closed after the refusal"
    );
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn heads_hyper_refuses_get_a_fault_body_too() {
    let gw = gateway().await;
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        // A request line that is not HTTP.
        (
            b"\x01\x02 / HTTP/1.1\r\nHost: gw\r\n\r\n".to_vec(),
            "HTTP/1.1 400 ",
            "the request head is not valid HTTP/1.1",
        ),
        // Two different Content-Lengths (request smuggling).
        (
            format!(
                "POST {PATH41} HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
            )
            .into_bytes(),
            "HTTP/1.1 400 ",
            "could not be parsed",
        ),
        // A head over 16 KiB.
        (
            format!(
                "POST {PATH41} HTTP/1.1\r\nHost: gw\r\nX-Pad: {}\r\n\r\n",
                "a".repeat(20_000)
            )
            .into_bytes(),
            "HTTP/1.1 431 ",
            "the request head is too large: over 16384 bytes or over 100 header fields",
        ),
        // More than 100 header fields.
        (
            format!(
                "POST {PATH41} HTTP/1.1\r\nHost: gw\r\n{}\r\n",
                (0..120).map(|i| format!("X-H{i}: v\r\n")).collect::<String>()
            )
            .into_bytes(),
            "HTTP/1.1 431 ",
            "over 100 header fields",
        ),
    ];
    for (head, status, message) in cases {
        let answer = refusal_of(&gw, &head).await;
        let shown = &answer[..answer.len().min(2000)];
        assert!(answer.starts_with(status), "{shown}");
        let (response_head, body) = answer.split_once("\r\n\r\n").expect("a whole head");
        assert!(
            response_head.contains("\r\ncontent-type: text/xml; charset=utf-8"),
            "{shown}"
        );
        assert!(
            response_head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())),
            "{shown}"
        );
        assert!(
            body.contains("<faultcode>soap:Client</faultcode>"),
            "{shown}"
        );
        assert!(body.contains(message), "{shown}");
        assert!(body.ends_with("</soap:Envelope>"), "{shown}");
    }
    // The gateway still answers afterwards.
    let ok = gw.http.get(gw.url("/healthz")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    gw.stop().await;
}
