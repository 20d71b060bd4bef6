//! The EDI file loop through the gateway, answered by the embedded sandbox:
//! demo uploads an X12 850 addressed (by its ISA header) to partner, the
//! partner's InBox callback fires, partner lists, downloads (byte for byte)
//! and confirms it, both sides see the status history; and the faults a
//! client meets on the way. Snapshots of each new operation's answer, SOAP
//! 1.1 and 1.2, with dates and SessionIDs redacted.

mod support;

use std::time::Duration;

use base64::Engine as _;
use ecgrid_gateway::sandbox::{DEMO_LOGIN, DEMO_PASSWORD, PARTNER_LOGIN, PARTNER_PASSWORD};
use support::receiver::{Receiver, Reply};
use support::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A gateway on the in-process sandbox, allowed to call loopback receivers.
async fn gateway() -> TestGateway {
    spawn_on_sandbox(Duration::from_secs(20)).await
}

/// An X12 850 from demo (`ZZ`/`ECGRIDDEMO`) to `receiver`, with `filler`
/// bytes of line items to make it as large as a test needs.
fn x12_850(receiver: &str, filler: usize) -> Vec<u8> {
    let mut edi = format!(
        "ISA*00*          *00*          *ZZ*ECGRIDDEMO     *ZZ*{receiver:<15}*260507*1030*U*00401*000000001*0*T*>~\
         GS*PO*ECGRIDDEMO*{receiver}*20260507*1030*1*X*004010~ST*850*0001~BEG*00*SA*PO-1**20260507~"
    )
    .into_bytes();
    while edi.len() < filler {
        edi.extend_from_slice(b"PO1*1*10*EA*9.99**VP*WIDGET~");
    }
    edi.extend_from_slice(b"SE*3*0001~GE*1*1~IEA*1*000000001~");
    edi
}

async fn upload(gw: &TestGateway, soap: Soap, sid: &str, name: &str, edi: &[u8]) -> SoapReply {
    let bytes = edi.len().to_string();
    let content = B64.encode(edi);
    gw.call(
        soap,
        "ParcelUpload",
        &[
            ("SessionID", sid),
            ("FileName", name),
            ("Bytes", &bytes),
            ("Content", &content),
        ],
    )
    .await
}

/// The `ParcelID`s of a parcel list answer, in order (each is the last
/// child of its `ParcelIDInfo`; the ones in `Log` entries are not counted).
fn parcel_ids(reply: &SoapReply) -> Vec<String> {
    reply
        .body
        .split("</ParcelID></ParcelIDInfo>")
        .filter_map(|before| before.rsplit("<ParcelID>").next())
        .filter(|id| id.chars().all(|c| c.is_ascii_digit()) && !id.is_empty())
        .map(str::to_string)
        .collect()
}

/// `text` with every `xs:dateTime` replaced (the sandbox stamps real times).
fn redact_dates(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let candidate = &bytes[i..bytes.len().min(i + 20)];
        let is_date = candidate.len() == 20
            && candidate.iter().enumerate().all(|(j, &c)| match j {
                4 | 7 => c == b'-',
                10 => c == b'T',
                13 | 16 => c == b':',
                19 => c == b'Z',
                _ => c.is_ascii_digit(),
            });
        if is_date && &candidate[..4] != b"0001" {
            out.push_str("<date>");
            i += 20;
        } else {
            let c = text[i..].chars().next().expect("char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn snapshot(name: &str, reply: &SoapReply) {
    let shown = format!(
        "HTTP {}\nContent-Type: {}\n\n{}",
        reply.status,
        reply.content_type,
        redact_dates(&redact_guids(&pretty(&reply.body)))
    );
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!(name.to_string(), shown);
    });
}

#[tokio::test]
async fn two_parties_move_a_file_and_both_see_its_history() {
    let receiver = Receiver::start(vec![Reply::status(200)]).await;
    let gw = gateway().await;
    let partner = gw.login(Soap::V11, PARTNER_LOGIN, PARTNER_PASSWORD).await;
    let demo = gw.login(Soap::V12, DEMO_LOGIN, DEMO_PASSWORD).await;

    // Partner registers an InBox callback for its mailbox.
    let reply = gw
        .call(
            Soap::V11,
            "CallBackAddEx",
            &[
                ("SessionID", &partner),
                ("NetworkID", "2"),
                ("MailboxID", "201"),
                ("SystemObject", "Parcel"),
                ("Direction", "InBox"),
                ("MaxRetries", "1"),
                ("URL", &receiver.url("/inbox")),
                ("HTTPAuthentication", "None"),
                ("Status", "Active"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Demo uploads an 850 addressed by its ISA header.
    let edi = x12_850("ECGRIDPARTNER", 2000);
    let reply = upload(&gw, Soap::V12, &demo, "850_order.edi", &edi).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let outbound: i64 = reply
        .text_of("ParcelUploadResult")
        .unwrap()
        .parse()
        .unwrap();
    assert!(outbound > 0);
    snapshot("parcel_upload_soap12", &reply);

    // The partner's callback gets the InBox event.
    let hooks = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert!(!hooks.is_empty(), "no InBox webhook arrived");
    let event = hooks[0].json();
    assert_eq!(event["fileName"], "850_order.edi", "{event}");

    // Partner's inbox lists it with the file's name, size and both sides.
    let inbox = gw
        .call(Soap::V11, "ParcelInBox", &[("SessionID", &partner)])
        .await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    let ids = parcel_ids(&inbox);
    assert_eq!(ids.len(), 1, "{}", inbox.body);
    let inbound = ids[0].clone();
    assert_eq!(inbox.text_of("FileName").as_deref(), Some("850_order.edi"));
    assert_eq!(
        inbox.text_of("ParcelBytes"),
        Some(edi.len().to_string()),
        "{}",
        inbox.body
    );
    assert_eq!(inbox.text_of("MailboxIDFrom").as_deref(), Some("101"));
    assert_eq!(inbox.text_of("MailboxIDTo").as_deref(), Some("201"));
    assert_eq!(inbox.text_of("Direction").as_deref(), Some("InBox"));
    snapshot("parcel_inbox_soap11", &inbox);

    // Download: the exact bytes; the parcel stays in the inbox.
    for (op, field) in [
        ("ParcelDownload", "Content"),
        ("ParcelDownloadA", "ContentBase64String"),
    ] {
        let reply = gw
            .call(
                Soap::V11,
                op,
                &[("SessionID", &partner), ("ParcelID", &inbound)],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let content = reply
            .text_of(field)
            .unwrap_or_else(|| panic!("{op}: {}", reply.body));
        assert_eq!(B64.decode(content).unwrap(), edi, "{op}");
    }
    let still = gw
        .call(Soap::V12, "ParcelInBox", &[("SessionID", &partner)])
        .await;
    assert_eq!(parcel_ids(&still), vec![inbound.clone()]);

    // Confirm: true, and it leaves the inbox.
    let reply = gw
        .call(
            Soap::V12,
            "ParcelDownloadConfirm",
            &[("SessionID", &partner), ("ParcelID", &inbound)],
        )
        .await;
    assert_eq!(
        reply.text_of("ParcelDownloadConfirmResult").as_deref(),
        Some("true")
    );
    snapshot("parcel_download_confirm_soap12", &reply);
    let after = gw
        .call(Soap::V11, "ParcelInBox", &[("SessionID", &partner)])
        .await;
    assert!(parcel_ids(&after).is_empty(), "{}", after.body);

    // ParcelInfo shows InBoxTransferred and the history in Log.
    let info = gw
        .call(
            Soap::V11,
            "ParcelInfo",
            &[("SessionID", &partner), ("ParcelID", &inbound)],
        )
        .await;
    assert_eq!(info.status, 200, "{}", info.body);
    let result = info.body.split("<Log>").next().unwrap();
    assert!(
        result.contains("<StatusCode>InBoxTransferred</StatusCode>"),
        "{}",
        info.body
    );
    assert!(info.body.contains("<ManifestInfo>"), "{}", info.body);
    snapshot("parcel_info_soap11", &info);

    // Demo's outbox archive shows it delivered and acknowledged.
    let outbox = gw
        .call(
            Soap::V12,
            "ParcelOutBoxArchive",
            &[
                ("SessionID", &demo),
                ("PageNo", "1"),
                ("RecordsPerPage", "10"),
            ],
        )
        .await;
    assert_eq!(outbox.status, 200, "{}", outbox.body);
    assert_eq!(parcel_ids(&outbox), vec![outbound.to_string()]);
    assert!(
        outbox
            .body
            .contains("<StatusCode>outboxAcknowledged</StatusCode>"),
        "{}",
        outbox.body
    );
    snapshot("parcel_outbox_archive_soap12", &outbox);

    // Reset puts it back; NoUpdate leaves it there.
    let reply = gw
        .call(
            Soap::V11,
            "ParcelDownloadReset",
            &[("SessionID", &partner), ("ParcelID", &inbound)],
        )
        .await;
    assert_eq!(
        reply.text_of("ParcelDownloadResetResult").as_deref(),
        Some("true")
    );
    let reply = gw
        .call(
            Soap::V11,
            "ParcelDownloadNoUpdate",
            &[("SessionID", &partner), ("ParcelID", &inbound)],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let again = gw
        .call(Soap::V11, "ParcelInBox", &[("SessionID", &partner)])
        .await;
    assert_eq!(parcel_ids(&again), vec![inbound]);

    // Both parties' interchanges carry the one sent.
    let reply = gw
        .call(Soap::V11, "InterchangeOutBox", &[("SessionID", &demo)])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.text_of("DocumentType").as_deref(),
        Some("850"),
        "{}",
        reply.body
    );
    assert_eq!(
        reply.text_of("InterchangeControlID").as_deref(),
        Some("000000001")
    );
}

#[tokio::test]
async fn faults_name_what_is_wrong() {
    let gw = gateway().await;
    let demo = gw.login(Soap::V11, DEMO_LOGIN, DEMO_PASSWORD).await;
    let partner = gw.login(Soap::V11, PARTNER_LOGIN, PARTNER_PASSWORD).await;
    let reply = upload(
        &gw,
        Soap::V11,
        &demo,
        "po.edi",
        &x12_850("ECGRIDPARTNER", 0),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let inbox = gw
        .call(Soap::V11, "ParcelInBox", &[("SessionID", &partner)])
        .await;
    let theirs = parcel_ids(&inbox).pop().expect("a parcel for partner");

    for soap in [Soap::V11, Soap::V12] {
        // Someone else's parcel.
        let reply = gw
            .call(
                soap,
                "ParcelDownload",
                &[("SessionID", &demo), ("ParcelID", &theirs)],
            )
            .await;
        assert_eq!(reply.status, 500);
        assert_eq!(
            reply.text_of("ECGridOSSOAPErrorCode").as_deref(),
            Some("Authorization")
        );
        snapshot(
            &format!("parcel_download_not_yours_{}", soap.label()),
            &reply,
        );
        // An unknown parcel.
        let reply = gw
            .call(
                soap,
                "ParcelInfo",
                &[("SessionID", &demo), ("ParcelID", "99999999")],
            )
            .await;
        assert_eq!(
            reply.text_of("ECGridOSSOAPErrorCode").as_deref(),
            Some("ObjectNotFound")
        );
        // No ParcelID at all.
        let reply = gw.call(soap, "ParcelInfo", &[("SessionID", &demo)]).await;
        assert!(
            reply.body.contains("parameter ParcelID is required"),
            "{}",
            reply.body
        );
        // A misaddressed upload, refused naming the ID; nothing stored.
        let reply = upload(&gw, soap, &demo, "lost.edi", &x12_850("NOBODY", 0)).await;
        assert_eq!(
            reply.text_of("ECGridOSSOAPErrorCode").as_deref(),
            Some("InvalidParameter")
        );
        assert!(reply.body.contains("NOBODY"), "{}", reply.body);
        snapshot(
            &format!("parcel_upload_misaddressed_{}", soap.label()),
            &reply,
        );
        // Bytes that disagree with the content.
        let content = B64.encode(b"ISA");
        let reply = gw
            .call(
                soap,
                "ParcelUpload",
                &[
                    ("SessionID", &demo),
                    ("FileName", "a.edi"),
                    ("Bytes", "4"),
                    ("Content", &content),
                ],
            )
            .await;
        assert!(
            reply
                .body
                .contains("parameter Bytes is 4 but Content decodes to 3 bytes"),
            "{}",
            reply.body
        );
    }
    let outbox = gw
        .call(Soap::V11, "ParcelOutBoxArchive", &[("SessionID", &demo)])
        .await;
    assert_eq!(parcel_ids(&outbox).len(), 1, "{}", outbox.body);
}

#[tokio::test]
async fn a_20_mib_file_round_trips_and_bodies_over_the_upload_limit_are_refused() {
    let gw = gateway().await;
    let demo = gw.login(Soap::V11, DEMO_LOGIN, DEMO_PASSWORD).await;
    let partner = gw.login(Soap::V11, PARTNER_LOGIN, PARTNER_PASSWORD).await;
    let edi = x12_850("ECGRIDPARTNER", 20 * 1024 * 1024);
    let reply = upload(&gw, Soap::V11, &demo, "big.edi", &edi).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        &reply.body[..reply.body.len().min(500)]
    );
    let inbox = gw
        .call(Soap::V11, "ParcelInBox", &[("SessionID", &partner)])
        .await;
    let id = parcel_ids(&inbox).pop().unwrap();
    let reply = gw
        .call(
            Soap::V12,
            "ParcelDownload",
            &[("SessionID", &partner), ("ParcelID", &id)],
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(B64.decode(reply.text_of("Content").unwrap()).unwrap(), edi);

    // A WhoAmI may not be large: 2 MiB is over --max-body; an upload may
    // be, up to --max-upload-body (96 MiB). Both refused before the body,
    // as a .NET client sends it (Expect: 100-continue).
    let (status, body) = announce(&gw, "WhoAmI", 2 * 1024 * 1024).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("(Content-Length 2097152)"), "{body}");
    assert!(body.contains("(--max-body)"), "{body}");
    let (status, body) = announce(&gw, "ParcelUpload", 10 * 1024 * 1024).await;
    assert_eq!(status, 100, "a 10 MiB upload is let in: {body}");
    let (status, body) = announce(&gw, "ParcelUpload", 97 * 1024 * 1024).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("(--max-upload-body)"), "{body}");
}

/// Sends only the head of a SOAP 1.1 request for `op` announcing `length`
/// bytes with `Expect: 100-continue`, and reads the first answer: its
/// status and what came with it.
async fn announce(gw: &TestGateway, op: &str, length: usize) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = gw.url("/v4.1/prod/ECGridOS.asmx");
    let authority = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let head = format!(
        "POST /v4.1/prod/ECGridOS.asmx HTTP/1.1\r\nHost: {authority}\r\n\
         Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"https://os.ecgrid.io/{op}\"\r\n\
         Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            let text = String::from_utf8_lossy(&answer);
            if text.starts_with("HTTP/1.1 100") || text.contains("</soap:Envelope>") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("an answer to the head within 10 s");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    (status, text)
}

#[tokio::test]
async fn every_upload_form_sends_the_file_and_the_ex_archives_list_it() {
    let gw = gateway().await;
    let demo = gw.login(Soap::V11, DEMO_LOGIN, DEMO_PASSWORD).await;
    let partner = gw.login(Soap::V11, PARTNER_LOGIN, PARTNER_PASSWORD).await;
    let edi = x12_850("ECGRIDPARTNER", 0);
    let content = B64.encode(&edi);
    let bytes = edi.len().to_string();
    // Demo's own mailbox named explicitly (network 1, mailbox 101).
    let forms: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "ParcelUploadA",
            vec![("FileName", "a.edi"), ("ContentBase64", &content)],
        ),
        (
            "ParcelUploadEx",
            vec![
                ("NetworkID", "1"),
                ("MailboxID", "101"),
                ("FileName", "ex.edi"),
                ("Bytes", &bytes),
                ("Content", &content),
            ],
        ),
        (
            "ParcelUploadExA",
            vec![
                ("NetworkID", "1"),
                ("MailboxID", "101"),
                ("FileName", "exa.edi"),
                ("ContentBase64", &content),
            ],
        ),
    ];
    let mut sent = Vec::new();
    for (op, params) in &forms {
        let mut params = params.clone();
        params.insert(0, ("SessionID", &demo));
        let reply = gw.call(Soap::V11, op, &params).await;
        assert_eq!(reply.status, 200, "{op}: {}", reply.body);
        let id = reply
            .text_of(&format!("{op}Result"))
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or_else(|| panic!("{op}: no parcel id in {}", reply.body));
        assert!(id > 0, "{op}: {id}");
        sent.push(id.to_string());
    }
    // A Bytes that is not the decoded size is refused, naming both.
    let wrong = gw
        .call(
            Soap::V11,
            "ParcelUploadEx",
            &[
                ("SessionID", &demo),
                ("NetworkID", "1"),
                ("MailboxID", "101"),
                ("FileName", "wrong.edi"),
                ("Bytes", "1"),
                ("Content", &content),
            ],
        )
        .await;
    assert!(
        wrong.body.contains(&format!(
            "parameter Bytes is 1 but Content decodes to {} bytes",
            edi.len()
        )),
        "{}",
        wrong.body
    );

    let outbox = gw
        .call(
            Soap::V11,
            "ParcelOutBoxArchiveEx",
            &[
                ("SessionID", &demo),
                ("NetworkID", "1"),
                ("MailboxID", "101"),
                ("PageNo", "1"),
                ("RecordsPerPage", "50"),
            ],
        )
        .await;
    assert_eq!(outbox.status, 200, "{}", outbox.body);
    let listed = parcel_ids(&outbox);
    for id in &sent {
        assert!(
            listed.contains(id),
            "{id} not in demo's outbox archive: {listed:?}"
        );
    }
    let inbox = gw
        .call(
            Soap::V11,
            "ParcelInBoxArchiveEx",
            &[
                ("SessionID", &partner),
                ("NetworkID", "2"),
                ("MailboxID", "201"),
                ("PageNo", "1"),
                ("RecordsPerPage", "50"),
            ],
        )
        .await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    assert_eq!(parcel_ids(&inbox).len(), sent.len(), "{}", inbox.body);
    for name in ["a.edi", "ex.edi", "exa.edi"] {
        assert!(
            inbox.body.contains(&format!("<FileName>{name}</FileName>")),
            "{name}: {}",
            inbox.body
        );
    }
}
