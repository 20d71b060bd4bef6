//! The request-body memory budget (`--max-body-memory`, issue 16's stalled
//! bodies): a body that stalls while another waits for room is ended with
//! a 408 and its bytes go to the one still sending; when every byte is held
//! by bodies still arriving, a waiting one gets a 503 with `Retry-After`
//! after `body_memory::ROOM_WAIT`, never a hang.

mod support;

use std::time::{Duration, Instant};

use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bodies under `--max-body` (64 KiB) share 64 KiB of memory between them.
async fn gateway() -> TestGateway {
    let mut config = config_for("http://127.0.0.1:9");
    config.max_body = 64 * 1024;
    config.max_upload_body = 64 * 1024;
    config.max_body_memory = 128 * 1024;
    spawn_gateway(&config).await
}

async fn connect(gw: &TestGateway) -> TcpStream {
    let stream = TcpStream::connect(gw.gateway.local_addr()).await.unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

fn head(content_length: usize) -> String {
    format!(
        "POST {PATH41} HTTP/1.1\r\nHost: gw\r\nContent-Type: text/xml; charset=utf-8\r\n\
         SOAPAction: \"https://os.ecgrid.io/Version\"\r\nContent-Length: {content_length}\r\n\r\n"
    )
}

/// Everything the gateway answers on `stream` until it closes it or a
/// whole SOAP envelope arrived (at most 15 s).
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    let _ = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if String::from_utf8_lossy(&answer).contains("Envelope>") {
                break;
            }
        }
    })
    .await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// A well-formed envelope of about 30 KB (whitespace inside the Body) for
/// an operation the gateway answers itself, without its upstream (a "not
/// supported" fault says the whole body was read), sent in two parts so
/// that it is charged to the budget.
async fn send_large_envelope(stream: &mut TcpStream) {
    let envelope = envelope(Soap::V11, NS41, "NotAnOperation", &[]);
    let at = envelope.find("<soap:Body>").expect("a SOAP 1.1 Body") + "<soap:Body>".len();
    let body = format!(
        "{}{}{}",
        &envelope[..at],
        " ".repeat(30_000),
        &envelope[at..]
    );
    stream.write_all(head(body.len()).as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..20_000]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stream.write_all(&body.as_bytes()[20_000..]).await.unwrap();
}

/// A body announcing 60,000 bytes that sends 50,000 of them.
async fn start_partial_body(gw: &TestGateway) -> TcpStream {
    let mut stream = connect(gw).await;
    stream.write_all(head(60_000).as_bytes()).await.unwrap();
    stream.write_all(&[b' '; 50_000]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream
}

#[tokio::test]
async fn a_stalled_body_gives_its_memory_to_one_still_sending() {
    let gw = gateway().await;
    let mut stalled = start_partial_body(&gw).await;
    let started = Instant::now();
    let mut sending = connect(&gw).await;
    send_large_envelope(&mut sending).await;
    let answer = read_answer(&mut sending).await;
    assert!(
        answer.contains("operation NotAnOperation is not supported"),
        "{answer}"
    );
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "room came when the stalled body was ended, not at a deadline: {waited:?}"
    );
    let shed = read_answer(&mut stalled).await;
    assert!(shed.starts_with("HTTP/1.1 408"), "{shed}");
    assert!(
        shed.contains("the request body stalled: nothing arrived for 2 s after 50000 bytes"),
        "{shed}"
    );
    assert!(shed.contains("--max-body-memory"), "{shed}");
    gw.stop().await;
}

#[tokio::test]
async fn a_body_with_no_room_gets_a_503_with_retry_after_not_a_hang() {
    let gw = gateway().await;
    let mut trickling = start_partial_body(&gw).await;
    let trickle = tokio::spawn(async move {
        // One byte every 300 ms: never stalled for 2 s, so never shed.
        for _ in 0..25 {
            if trickling.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        trickling
    });
    let started = Instant::now();
    let mut waiting = connect(&gw).await;
    send_large_envelope(&mut waiting).await;
    let answer = read_answer(&mut waiting).await;
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 2"),
        "{answer}"
    );
    assert!(
        answer.contains("<faultcode>soap:Server</faultcode>"),
        "{answer}"
    );
    assert!(
        answer.contains("receiving as many request bodies as it holds"),
        "{answer}"
    );
    assert!(
        (Duration::from_secs(4)..Duration::from_secs(9)).contains(&waited),
        "the wait for room is bounded by ROOM_WAIT (5 s): {waited:?}"
    );
    trickle.abort();
    gw.stop().await;
}
