//! The legacy route streams a large request body both ways: a `ParcelUpload`
//! passed through reaches the legacy service as it arrives (its first bytes
//! before the client has sent the rest), with the SessionID swapped and the
//! length adjusted, `chunked` when the client sent it chunked; a client
//! that stalls or goes away, or sends more than its limit, cuts the legacy
//! request short with a fault of its own; a legacy service that answers
//! before the body is complete has its answer passed back; and a 50 MiB
//! upload does not grow the gateway's memory by its size.

mod support;

use std::time::Duration;

use ecgrid_gateway::routing::table::LegacyService;
use ecgrid_gateway::routing::{DefaultRoute, Route, RouteSettings};
use ecgrid_gateway::sandbox::{DEMO_LOGIN, DEMO_PASSWORD};
use support::api::{test_config, Api};
use support::fake_legacy::FakeLegacy;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Every wait of these tests: only a hang reaches it.
const BOUND: Duration = Duration::from_secs(20);

fn legacy_config(rest: &str, legacy: &str) -> ecgrid_gateway::config::Config {
    let mut config = config_for(rest);
    config.routing = RouteSettings {
        legacy: Some(LegacyService::Url(legacy.to_string())),
        default_route: DefaultRoute::Legacy,
        routes: [("ParcelUpload".to_string(), Route::Legacy)]
            .into_iter()
            .collect(),
        ..RouteSettings::default()
    };
    config.upstream_timeout = Duration::from_secs(5);
    config
}

/// A `ParcelUpload` envelope with `content_len` bytes of content.
fn upload(session: &str, content_len: usize) -> Vec<u8> {
    envelope(
        Soap::V11,
        NS41,
        "ParcelUpload",
        &[
            ("SessionID", session),
            ("FileName", "big.edi"),
            ("Bytes", &content_len.to_string()),
            ("Content", &"A".repeat(content_len)),
        ],
    )
    .into_bytes()
}

/// The request head of a raw upload with this framing header line.
fn head(framing: &str) -> String {
    let action = "soapaction: \"https://os.ecgrid.io/ParcelUpload\"\r\n";
    head_announcing(action, framing)
}

/// The request head of a raw POST with this `SOAPAction` line (or none:
/// `""`) and framing header line.
fn head_announcing(action: &str, framing: &str) -> String {
    format!(
        "POST {PATH41} HTTP/1.1\r\nhost: gateway\r\ncontent-type: text/xml; charset=utf-8\r\n\
         {action}{framing}\r\n"
    )
}

/// A `CarbonCopyList` envelope (not an upload) with a `filter_len`-byte
/// `Filter`, announcing nothing: `--max-body` is its limit.
fn carbon_copy_list(filter_len: usize) -> String {
    envelope(
        Soap::V11,
        NS41,
        "CarbonCopyList",
        &[
            ("SessionID", "api-key-123"),
            ("Filter", &"B".repeat(filter_len)),
        ],
    )
}

/// Writes `pieces` until the gateway stops taking them (it refused the
/// body), each write bounded.
async fn send_until_refused(stream: &mut TcpStream, pieces: impl Iterator<Item = Vec<u8>>) {
    for piece in pieces {
        match tokio::time::timeout(BOUND, stream.write_all(&piece)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return,
            Err(_) => panic!("the gateway neither took the body nor refused it"),
        }
    }
}

/// `data` as one chunk of a chunked body.
fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// A connection on which the upload `sent` has been posted whole, chunked
/// in 100 KiB chunks.
async fn post_chunked(gw: &TestGateway, sent: &[u8]) -> TcpStream {
    let mut stream = connect(gw).await;
    stream
        .write_all(head("transfer-encoding: chunked\r\n").as_bytes())
        .await
        .unwrap();
    for piece in sent.chunks(100 * 1024) {
        stream.write_all(&chunk(piece)).await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    stream
}

async fn connect(gw: &TestGateway) -> TcpStream {
    let addr = gw.url("").trim_start_matches("http://").to_string();
    TcpStream::connect(addr.trim_end_matches('/'))
        .await
        .unwrap()
}

/// Reads one HTTP answer (head and body, by Content-Length or chunked)
/// from `stream`: its status and body.
async fn read_answer(stream: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let read = async {
        loop {
            let mut piece = [0u8; 8192];
            let n = stream.read(&mut piece).await.unwrap();
            assert!(n > 0, "closed before a whole answer: {buf:?}");
            buf.extend_from_slice(&piece[..n]);
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(len) = response.parse(&buf).unwrap() {
                let header = |name: &str| {
                    response
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).into_owned())
                };
                let status = response.code.unwrap();
                let body = &buf[len..];
                if let Some(length) = header("content-length") {
                    let length: usize = length.parse().unwrap();
                    if body.len() >= length {
                        return (
                            status,
                            String::from_utf8_lossy(&body[..length]).into_owned(),
                        );
                    }
                } else if header("transfer-encoding").as_deref() == Some("chunked") {
                    if body.ends_with(b"0\r\n\r\n") {
                        return (status, String::from_utf8_lossy(&dechunk(body)).into_owned());
                    }
                } else {
                    panic!("an answer with no framing: {buf:?}");
                }
            }
        }
    };
    tokio::time::timeout(BOUND, read).await.expect("no answer")
}

/// What a scripted legacy service saw of one request.
#[derive(Debug)]
struct Seen {
    head: String,
    /// Body bytes as framed on the wire (chunk lines included).
    body: Vec<u8>,
    /// Whether the whole body (by its framing) arrived.
    complete: bool,
}

/// How the scripted legacy service answers.
#[derive(Clone, Copy)]
enum Answers {
    /// 200 once the whole body has arrived.
    AfterTheBody,
    /// 413 as soon as the head has arrived, then reads until closed.
    Early,
    /// Reads the whole body and never answers.
    Never,
}

const OK_ANSWER: &str = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><ParcelUploadResponse xmlns=\"https://os.ecgrid.io/\"><ParcelUploadResult>77</ParcelUploadResult></ParcelUploadResponse></soap:Body></soap:Envelope>";
const EARLY_ANSWER: &str = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>too large for the legacy service</faultstring></soap:Fault></soap:Body></soap:Envelope>";

/// A legacy service on a loopback port answering one request as
/// `answers`; `on_head` is told once the request's head has arrived.
async fn scripted_legacy(
    answers: Answers,
    on_head: Option<oneshot::Sender<()>>,
) -> (String, tokio::task::JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut stream, _) = tokio::time::timeout(BOUND, listener.accept())
            .await
            .expect("the gateway never connected to the legacy service")
            .unwrap();
        let mut buf = Vec::new();
        let mut piece = vec![0u8; 64 * 1024];
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = tokio::time::timeout(BOUND, stream.read(&mut piece))
                .await
                .unwrap()
                .unwrap();
            assert!(n > 0, "closed before a head");
            buf.extend_from_slice(&piece[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let mut body = buf[head_end..].to_vec();
        if let Some(tell) = on_head {
            let _ = tell.send(());
        }
        let answer = |status: &str, text: &str| {
            format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/xml; charset=utf-8\r\ncontent-length: {}\r\n\r\n{text}",
                text.len()
            )
        };
        if let Answers::Early = answers {
            let early = answer("413 Request Entity Too Large", EARLY_ANSWER);
            stream.write_all(early.as_bytes()).await.unwrap();
        }
        let length: Option<usize> = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .map(|v| v.trim().parse().unwrap());
        let complete = |body: &[u8]| match length {
            Some(n) => body.len() >= n,
            None => body.ends_with(b"\r\n0\r\n\r\n"),
        };
        while !complete(&body) {
            match tokio::time::timeout(BOUND, stream.read(&mut piece)).await {
                Ok(Ok(n)) if n > 0 => body.extend_from_slice(&piece[..n]),
                Ok(_) => break,
                Err(_) => panic!("the gateway neither sent the body nor closed"),
            }
        }
        let complete = complete(&body);
        if complete && matches!(answers, Answers::AfterTheBody) {
            let ok = answer("200 OK", OK_ANSWER);
            stream.write_all(ok.as_bytes()).await.unwrap();
        }
        if let Answers::Never = answers {
            // Until the gateway gives up and closes the connection.
            let _ = tokio::time::timeout(BOUND, stream.read(&mut piece)).await;
        }
        Seen {
            head,
            body,
            complete,
        }
    });
    (base, task)
}

/// De-chunks a chunked body.
fn dechunk(mut wire: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = wire.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&wire[..line_end]).unwrap(), 16).unwrap();
        wire = &wire[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&wire[..size]);
        wire = &wire[size + 2..];
    }
}

#[tokio::test]
async fn a_large_upload_is_passed_on_as_it_arrives_with_the_session_swapped() {
    let api = Api::start(test_config()).await;
    let fake = FakeLegacy::start(DEMO_PASSWORD).await;
    // Shorter than a gateway SessionID: the length sent must follow.
    fake.hand_out_session("LEGACY-SHORT-7");
    let gw = spawn_gateway(&legacy_config(&api.base, &fake.base)).await;
    let session = gw.login(Soap::V11, DEMO_LOGIN, DEMO_PASSWORD).await;
    let sent = upload(&session, 3 * 1024 * 1024);
    let expected = String::from_utf8(sent.clone())
        .unwrap()
        .replace(&session, "LEGACY-SHORT-7");

    // With a Content-Length.
    let reply = gw
        .post(PATH41, Soap::V11, std::str::from_utf8(&sent).unwrap())
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.text_of("ParcelUploadResult").as_deref(), Some("ok"));
    let got = fake
        .received_of("ParcelUpload")
        .pop()
        .expect("passed through");
    assert_eq!(
        got.header("content-length"),
        Some(&*expected.len().to_string())
    );
    assert_eq!(got.header("transfer-encoding"), None);
    assert!(got.body == expected.as_bytes(), "the body arrived changed");

    // Chunked, in 100 KiB chunks: chunked on to the legacy service.
    let mut stream = post_chunked(&gw, &sent).await;
    let (status, body) = read_answer(&mut stream).await;
    assert_eq!(status, 200, "{body}");
    let got = fake.received_of("ParcelUpload").pop().unwrap();
    assert_eq!(got.header("transfer-encoding"), Some("chunked"));
    assert_eq!(got.header("content-length"), None);
    assert!(
        got.body == expected.as_bytes(),
        "the chunked body arrived changed"
    );
    assert_eq!(fake.received_of("ParcelUpload").len(), 2);
    gw.stop().await;
}

#[tokio::test]
async fn the_legacy_service_gets_the_first_bytes_before_the_client_sends_the_rest() {
    let (head_seen, seen_head) = oneshot::channel();
    let (legacy, upstream) = scripted_legacy(Answers::AfterTheBody, Some(head_seen)).await;
    let gw = spawn_gateway(&legacy_config("http://127.0.0.1:9", &legacy)).await;
    // An API key as SessionID passes unchanged: the length too.
    let sent = upload("api-key-123", 2 * 1024 * 1024);
    let mut stream = connect(&gw).await;
    let framing = format!("content-length: {}\r\n", sent.len());
    stream.write_all(head(&framing).as_bytes()).await.unwrap();
    stream.write_all(&sent[..128 * 1024]).await.unwrap();
    // A gateway that read bodies whole would wait here for the rest.
    tokio::time::timeout(BOUND, seen_head)
        .await
        .expect("the legacy service got nothing before the whole body was sent")
        .unwrap();
    tokio::time::timeout(BOUND, stream.write_all(&sent[128 * 1024..]))
        .await
        .expect("the gateway stopped taking the body")
        .unwrap();
    let (status, body) = read_answer(&mut stream).await;
    assert_eq!((status, body.as_str()), (200, OK_ANSWER));
    let seen = upstream.await.unwrap();
    assert!(seen.complete);
    assert!(
        seen.head.contains(&framing),
        "the client's length, unchanged: {}",
        seen.head
    );
    assert!(seen.body == sent, "the body arrived changed");
    gw.stop().await;
}

/// A gateway in front of a legacy service that answers 413 as soon as
/// an upload's head arrives, and a client connection sending a 4 MiB
/// upload's head and first 256 KiB: the gateway, the legacy service's
/// task, the upload and the connection.
async fn early_answer_setup() -> (
    TestGateway,
    tokio::task::JoinHandle<Seen>,
    Vec<u8>,
    TcpStream,
) {
    let (legacy, upstream) = scripted_legacy(Answers::Early, None).await;
    let gw = spawn_gateway(&legacy_config("http://127.0.0.1:9", &legacy)).await;
    let sent = upload("api-key-123", 4 * 1024 * 1024);
    let mut stream = connect(&gw).await;
    let framing = format!("content-length: {}\r\n", sent.len());
    stream.write_all(head(&framing).as_bytes()).await.unwrap();
    stream.write_all(&sent[..256 * 1024]).await.unwrap();
    (gw, upstream, sent, stream)
}

#[tokio::test]
async fn a_legacy_answer_before_the_body_is_complete_reaches_a_client_that_sends_it_all() {
    let (gw, upstream, sent, mut stream) = early_answer_setup().await;
    // As .NET and Java clients do: the whole body, then the answer. The
    // gateway takes the rest (no broken pipe), then ends the answer.
    tokio::time::timeout(BOUND, stream.write_all(&sent[256 * 1024..]))
        .await
        .expect("the gateway stopped taking the body")
        .unwrap();
    let (status, body) = read_answer(&mut stream).await;
    assert_eq!((status, body.as_str()), (413, EARLY_ANSWER));
    // The gateway stopped sending and closed its unfinished request.
    let seen = upstream.await.unwrap();
    assert!(!seen.complete, "{} bytes", seen.body.len());
    assert!(seen.body.len() < sent.len());
    // The client's body was read to its end: the connection goes on.
    let health = "GET /healthz HTTP/1.1\r\nhost: gateway\r\n\r\n";
    stream.write_all(health.as_bytes()).await.unwrap();
    let (status, _) = read_answer(&mut stream).await;
    assert_eq!(status, 200);
    gw.stop().await;
}

#[tokio::test]
async fn a_legacy_answer_before_the_body_is_complete_reaches_a_client_that_stops_sending() {
    let (gw, upstream, _sent, mut stream) = early_answer_setup().await;
    // As curl does: the answer came, so it sends no more and reads it.
    let started = std::time::Instant::now();
    let (status, body) = read_answer(&mut stream).await;
    assert_eq!((status, body.as_str()), (413, EARLY_ANSWER));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the answer's end waited {:?}",
        started.elapsed()
    );
    assert!(!upstream.await.unwrap().complete);
    gw.stop().await;
}

#[tokio::test]
async fn a_client_that_stalls_mid_upload_gets_408_and_the_legacy_request_is_cut() {
    let (legacy, upstream) = scripted_legacy(Answers::AfterTheBody, None).await;
    let mut config = legacy_config("http://127.0.0.1:9", &legacy);
    config.body_read_timeout = Duration::from_secs(1);
    config.body_min_rate = 1024 * 1024;
    let gw = spawn_gateway(&config).await;
    let sent = upload("api-key-123", 4 * 1024 * 1024);
    let mut stream = connect(&gw).await;
    let framing = format!("content-length: {}\r\n", sent.len());
    stream.write_all(head(&framing).as_bytes()).await.unwrap();
    stream.write_all(&sent[..200 * 1024]).await.unwrap();
    let started = std::time::Instant::now();
    let (status, body) = read_answer(&mut stream).await;
    assert_eq!(status, 408, "{body}");
    assert!(body.contains("did not arrive in time"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let seen = upstream.await.unwrap();
    assert!(!seen.complete);
    assert!(seen.body.len() < sent.len());
    gw.stop().await;
}

#[tokio::test]
async fn a_client_that_goes_away_mid_upload_ends_the_legacy_request() {
    let (legacy, upstream) = scripted_legacy(Answers::AfterTheBody, None).await;
    let gw = spawn_gateway(&legacy_config("http://127.0.0.1:9", &legacy)).await;
    let sent = upload("api-key-123", 4 * 1024 * 1024);
    let mut stream = connect(&gw).await;
    let framing = "transfer-encoding: chunked\r\n";
    stream.write_all(head(framing).as_bytes()).await.unwrap();
    stream.write_all(&chunk(&sent[..200 * 1024])).await.unwrap();
    drop(stream);
    let seen = tokio::time::timeout(BOUND, upstream)
        .await
        .expect("the legacy request was left open")
        .unwrap();
    assert!(
        !seen.complete,
        "the legacy service must not get a whole body"
    );
    assert!(dechunk_prefix_ok(&seen.body));
    assert_eq!(
        gw.http
            .get(gw.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    gw.stop().await;
}

/// Whether `wire` is the start of a chunked body (its first chunk line
/// parses).
fn dechunk_prefix_ok(wire: &[u8]) -> bool {
    let Some(end) = wire.windows(2).position(|w| w == b"\r\n") else {
        return false;
    };
    std::str::from_utf8(&wire[..end])
        .ok()
        .and_then(|s| usize::from_str_radix(s, 16).ok())
        .is_some_and(|n| n > 0)
}

#[tokio::test]
async fn a_streamed_body_over_its_operations_limit_is_refused_midway() {
    let (legacy, upstream) = scripted_legacy(Answers::AfterTheBody, None).await;
    let mut config = legacy_config("http://127.0.0.1:9", &legacy);
    config.max_body = 128 * 1024;
    let gw = spawn_gateway(&config).await;
    // Not an upload: --max-body applies, however it is announced.
    let sent = carbon_copy_list(1024 * 1024);
    let mut stream = connect(&gw).await;
    let request = head_announcing("", "transfer-encoding: chunked\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    send_until_refused(&mut stream, sent.as_bytes().chunks(32 * 1024).map(chunk)).await;
    let (status, body) = read_answer(&mut stream).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("131072 bytes"), "{body}");
    assert!(body.contains("--max-body"), "{body}");
    let seen = upstream.await.unwrap();
    assert!(!seen.complete);
    assert!(
        seen.head.contains("transfer-encoding: chunked"),
        "{}",
        seen.head
    );
    assert!(
        seen.body.len() < sent.len(),
        "{} bytes passed on",
        seen.body.len()
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_50_mib_upload_is_passed_on_not_held() {
    let fake = FakeLegacy::start("pw").await;
    let legacy = fake.base.clone();
    let (child, url) = tokio::task::spawn_blocking(move || {
        support::binary::legacy_gateway(&legacy, &["--route", "ParcelUpload=legacy"])
    })
    .await
    .unwrap();
    let pid = child.0.id();
    let sent = upload("api-key-123", 50 * 1024 * 1024);
    let before = support::binary::peak_rss_kib(pid);
    let response = reqwest::Client::new()
        .post(format!("{url}{PATH41}"))
        .header("content-type", "text/xml; charset=utf-8")
        .header("soapaction", "\"https://os.ecgrid.io/ParcelUpload\"")
        .body(sent.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer = response.text().await.unwrap();
    assert!(
        answer.contains("<ParcelUploadResult>ok</ParcelUploadResult>"),
        "{answer}"
    );
    let got = fake
        .received_of("ParcelUpload")
        .pop()
        .expect("passed through");
    assert!(got.body == sent, "the upload arrived changed");
    let peak = support::binary::peak_rss_kib(pid);
    eprintln!(
        "peak RSS of the gateway passing on a {}-byte upload: {peak} KiB (before: {before} KiB)",
        sent.len()
    );
    // Held whole, the upload alone would be 50 MiB more than before.
    assert!(
        peak < before + 16 * 1024,
        "peak RSS {peak} KiB, before {before} KiB: the upload was held"
    );
    drop(child);
}

#[tokio::test]
async fn an_announced_length_over_the_operations_limit_is_refused_before_anything_is_sent() {
    let fake = FakeLegacy::start("pw").await;
    let mut config = legacy_config("http://127.0.0.1:9", &fake.base);
    config.max_body = 128 * 1024;
    let gw = spawn_gateway(&config).await;
    let sent = carbon_copy_list(512 * 1024);
    // No SOAPAction: the length may be an upload's until the body names
    // its operation, which is not one.
    let mut stream = connect(&gw).await;
    let request = head_announcing("", &format!("content-length: {}\r\n", sent.len()));
    stream.write_all(request.as_bytes()).await.unwrap();
    send_until_refused(
        &mut stream,
        sent.as_bytes().chunks(32 * 1024).map(<[u8]>::to_vec),
    )
    .await;
    let (status, body) = read_answer(&mut stream).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body.contains(&format!("(Content-Length {})", sent.len())),
        "{body}"
    );
    assert!(body.contains("131072 bytes"), "{body}");
    assert!(
        fake.received().is_empty(),
        "nothing goes to the legacy service"
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_legacy_service_that_never_answers_a_streamed_upload_is_a_server_fault_in_time() {
    let (legacy, upstream) = scripted_legacy(Answers::Never, None).await;
    let mut config = legacy_config("http://127.0.0.1:9", &legacy);
    config.upstream_timeout = Duration::from_secs(1);
    let gw = spawn_gateway(&config).await;
    let sent = upload("api-key-123", 1024 * 1024);
    let mut stream = post_chunked(&gw, &sent).await;
    let started = std::time::Instant::now();
    let (status, body) = read_answer(&mut stream).await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("did not answer within 1s"), "{body}");
    assert!(
        body.contains(&legacy),
        "the fault names the legacy service: {body}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(upstream.await.unwrap().complete, "the whole body went");
    gw.stop().await;
}
