"""The published raw-HTTP SOAP samples of the EDI file loop, run as published.

The Python and Node.js samples of ``common-operations/`` that call the SOAP
service (``poll-inbound-files.md``, ``download-a-file.md``,
``confirm-download.md``, ``upload-a-file.md``,
``send-edi-to-trading-partner.md``) are taken from ../shared at test time
and run with ``raw_samples.run_python`` / ``run_node`` (every HTTP exchange
captured as sent), with the substitutions their user makes and nothing else:

* the host (``raw_samples.substitute``);
* ``YOUR_SESSION_ID``: a live SessionID of the party the sample acts for
  (partner reads its inbox, downloads and confirms; demo uploads and
  searches);
* the sample parcel id ``98765``: a parcel demo has just uploaded to
  partner;
* the sample file path: a file holding an X12 850 from ECGRIDDEMO to
  ECGRIDPARTNER;
* TPSearch's example partner (qualifier ``01``, id ``PARTNERCO``): the
  sandbox's partner (``ZZ`` / ``ECGRIDPARTNER``).

Every answer validates against the original v4.1 schema. The zeep and node
soap samples of ``soap-api/parcels/`` follow (their section below says what
is filled in). What each must be
is in ``expect``; ``upload-a-file.md``'s samples put the base64 in
``Bytes`` and a MIME type in ``Content`` (as published), so their answer is
an InvalidParameter fault naming ``Bytes``. The outcomes go to the README's
sample table.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import re
import subprocess
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import raw_samples
from results import ORIGINAL_V41, SampleOutcome
from test_parcels_zeep import _x12_850
from test_raw_samples import post, soap_action

HERE = Path(__file__).resolve().parent

DOCS = raw_samples.REFERENCE / "ecgrid-docs" / "common-operations"
PAGES = [
    "poll-inbound-files.md",
    "download-a-file.md",
    "confirm-download.md",
    "upload-a-file.md",
    "send-edi-to-trading-partner.md",
]
SAMPLE_PARCEL_ID = "98765"
SAMPLE_FILES = ("/data/edi/outbound/850_order.edi", "/data/edi/outbound/856_asn.edi")
SOAP11 = "{http://schemas.xmlsoap.org/soap/envelope/}"
# The party each operation's sample acts for.
ACTS_FOR = {"ParcelInBox": "partner", "ParcelDownload": "partner", "ParcelDownloadConfirm": "partner"}


def soap_samples() -> list[raw_samples.Sample]:
    """Every Python and Node.js sample of PAGES that calls the SOAP service."""
    found = []
    for page in PAGES:
        for language in ("python", "javascript"):
            found += [s for s in raw_samples._fenced_blocks(DOCS / page, language) if ".asmx" in s.code]
    return found


SAMPLES = soap_samples()


def test_the_published_soap_samples_are_found():
    # Two per page (Python and Node.js): a page that loses its samples fails here.
    assert len(SAMPLES) == 2 * len(PAGES), [s.name for s in SAMPLES]


def soap_call(gateway, operation: str, params: list[tuple[str, str]]) -> bytes:
    """One SOAP 1.1 call in the gateway's namespace; the answer (200 asserted)."""
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in params)
    body = (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Body><{operation} xmlns="https://os.ecgrid.io/">{inner}</{operation}></soap:Body></soap:Envelope>'
    ).encode()
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"https://os.ecgrid.io/{operation}"'}
    status, answer = post(gateway.v41, body, headers)
    assert status == 200, answer
    return answer


def result_of(answer: bytes, element: str, namespace: str = "https://os.ecgrid.io/") -> str | None:
    found = ET.fromstring(answer).find(f".//{{{namespace}}}{element}")
    return found.text if found is not None else None


def login(gateway, name: str, password: str) -> str:
    return result_of(soap_call(gateway, "Login", [("LoginName", name), ("Password", password)]), "LoginResult")


def uploaded_to_partner(gateway, demo: str, file_name: str, edi: bytes) -> str:
    """Demo uploads ``edi``; the partner's inbound parcel id."""
    soap_call(gateway, "ParcelUpload", [("SessionID", demo), ("FileName", file_name), ("Bytes", str(len(edi))),
                                        ("Content", base64.b64encode(edi).decode())])
    partner = login(gateway, "partner", "Partner#2026")
    inbox = ET.fromstring(soap_call(gateway, "ParcelInBox", [("SessionID", partner)]))
    ns = "{https://os.ecgrid.io/}"
    ids = [p.findtext(f"{ns}ParcelID") for p in inbox.iter(f"{ns}ParcelIDInfo") if p.findtext(f"{ns}FileName") == file_name]
    assert len(ids) == 1, ids
    return ids[0]


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_published_parcel_sample_runs_as_published(sample, gateway, hook, record, tmp_path):
    demo = login(gateway, "demo", "Demo#2026")
    partner = login(gateway, "partner", "Partner#2026")
    name = f"850-{uuid.uuid4().hex[:8]}.edi"
    edi = _x12_850(name)
    parcel_id = uploaded_to_partner(gateway, demo, name, edi)
    operation = re.search(r"SOAPAction['\"]?\s*:\s*'\"http://www\.ecgridos\.net/(\w+)\"'", sample.code).group(1)
    session = partner if ACTS_FOR.get(operation) == "partner" else demo
    file_path = tmp_path / Path(SAMPLE_FILES[0]).name
    file_path.write_bytes(edi)

    code = raw_samples.substitute(sample.code, gateway.v41, session, hook["url"], "demo", "Demo#2026")
    code = code.replace(f"'{SAMPLE_PARCEL_ID}'", f"'{parcel_id}'").replace(f'"{SAMPLE_PARCEL_ID}"', f'"{parcel_id}"')
    for published in SAMPLE_FILES:
        code = code.replace(published, str(file_path))
    code = code.replace("<ecg:Qualifier>01</ecg:Qualifier>", "<ecg:Qualifier>ZZ</ecg:Qualifier>")
    code = code.replace("<ecg:ID>PARTNERCO</ecg:ID>", "<ecg:ID>ECGRIDPARTNER</ecg:ID>")
    if sample.language == "python":
        run = raw_samples.run_python(code, {})
    else:
        run = raw_samples.run_node(code, {}, ["xml", "response", "searchResp"], tmp_path / "report.json")
    assert len(run.exchanges) == 1, f"{len(run.exchanges)} requests (error: {run.error})"
    exchange = run.exchanges[0]
    namespace, sent = soap_action(exchange.headers)
    assert sent == operation
    problems = record.body(f"{sample.name} {operation}", exchange.response, ORIGINAL_V41)
    assert problems == [], problems

    if operation == "ParcelUpload":
        # As published: Bytes holds the base64, Content "application/edi-x12".
        assert exchange.status == 500, exchange.response
        fault = ET.fromstring(exchange.response).find(f"{SOAP11}Body/{SOAP11}Fault")
        message = fault.findtext("faultstring")
        assert fault.findtext("faultcode") == "soap:Client" and "parameter Bytes must be an integer" in message, message
        if sample.language == "python":
            assert run.error and "500" in run.error, f"raise_for_status did not raise: {run.error}"
        else:
            # fetch does not throw on a 500: the sample prints the fault.
            assert exchange.response.decode() in run.stdout, "the sample prints the fault"
        note = "as published (base64 in Bytes, a MIME type in Content): InvalidParameter fault naming Bytes"
    else:
        assert exchange.status == 200, exchange.response
        assert run.error is None, run.error
        assert exchange.response.decode() in run.stdout, "the sample prints the answer"
        if operation == "ParcelInBox":
            ns = f"{{{namespace}}}"
            listed = [p for p in ET.fromstring(exchange.response).iter(f"{ns}ParcelIDInfo")
                      if p.findtext(f"{ns}ParcelID") == parcel_id]
            assert len(listed) == 1 and listed[0].findtext(f"{ns}FileName") == name
            note = f"the uploaded parcel listed (ParcelIDInfo in {namespace})"
        elif operation == "ParcelDownload":
            content = result_of(exchange.response, "Content", namespace)
            assert hashlib.sha256(base64.b64decode(content)).hexdigest() == hashlib.sha256(edi).hexdigest()
            note = "the uploaded file, byte for byte (sha256)"
        elif operation == "ParcelDownloadConfirm":
            assert result_of(exchange.response, "ParcelDownloadConfirmResult", namespace) == "true"
            info = soap_call(gateway, "ParcelInfo", [("SessionID", partner), ("ParcelID", parcel_id)])
            assert result_of(info, "StatusCode") == "InBoxTransferred"
            note = "true; ParcelInfo then says InBoxTransferred"
        elif operation == "TPSearch":
            ids = [e.text for e in ET.fromstring(exchange.response).iter(f"{{{namespace}}}ECGridID")]
            assert "200201" in ids, exchange.response
            note = "finds the partner (ZZ / ECGRIDPARTNER, ECGrid ID 200201)"
        else:
            pytest.fail(f"unexpected operation {operation} in {sample.name}")
    record.samples.append(SampleOutcome(sample.name, operation, "pass", note))


# --- soap-api/parcels/: the zeep and node soap samples ---------------------
#
# Each page's Python (zeep) and Node.js (npm soap) sample builds a client
# from the WSDL URL and calls the operation with ``SessionID=session_id`` and
# a ``# additional params`` placeholder. Run as published with what their
# user fills in: the WSDL URL is the gateway's (served WSDL), ``session_id``
# / ``sessionId`` a live SessionID, and the placeholder the operation's other
# parameters (the parcel demo just uploaded to partner; for ParcelUpload the
# file). The exchange is captured under the library (requests.Session.send
# for zeep; node soap's lastRequest/lastResponse, read at exit).
API_DOCS = raw_samples.REFERENCE / "ecgrid-docs" / "soap-api" / "parcels"
API_PAGES = ["parcel-inbox.md", "parcel-download.md", "parcel-download-confirm.md", "parcel-info.md", "parcel-upload.md"]
# Pages of operations the gateway does not translate (docs/MAPPING.md):
# their samples cannot be run; the served WSDL must not declare them.
UNTRANSLATED_PAGES = {"parcel-note.md": "ParcelNote", "parcel-outbox.md": "ParcelOutBox", "parcel-resend.md": "ParcelResend"}
PUBLISHED_WSDL = "https://os.ecgrid.io/v4.1/prod/ECGridOS.asmx?WSDL"


def api_samples() -> list[raw_samples.Sample]:
    found = []
    for page in API_PAGES:
        for language in ("python", "javascript"):
            found += [s for s in raw_samples._fenced_blocks(API_DOCS / page, language) if "additional params" in s.code]
    return found


API_SAMPLES = api_samples()


def test_every_parcel_page_is_run_or_untranslated():
    pages = sorted(p.name for p in API_DOCS.glob("*.md"))
    assert pages == sorted(API_PAGES + list(UNTRANSLATED_PAGES)), pages
    assert len(API_SAMPLES) == 2 * len(API_PAGES), [s.name for s in API_SAMPLES]


def test_untranslated_parcel_operations_are_not_in_the_served_wsdl(gateway):
    import urllib.request

    with urllib.request.urlopen(gateway.v41 + "?WSDL", timeout=30) as answer:
        served = answer.read().decode()
    assert 'name="ParcelInBox"' in served
    for operation in UNTRANSLATED_PAGES.values():
        assert f'<wsdl:operation name="{operation}"' not in served, operation


def run_zeep(code: str) -> raw_samples.Run:
    """exec() a zeep sample with requests.Session.send wrapped to capture its POSTs."""
    import requests

    exchanges: list[raw_samples.Exchange] = []
    real_send = requests.Session.send

    def capturing_send(self, request, **kwargs):
        response = real_send(self, request, **kwargs)
        if request.method == "POST":
            body = request.body.encode() if isinstance(request.body, str) else request.body or b""
            exchanges.append(raw_samples.Exchange(dict(request.headers), body, response.status_code, response.content))
        return response

    out = io.StringIO()
    error = None
    requests.Session.send = capturing_send
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<published sample>", "exec"), {"__name__": "published_sample"})  # noqa: S102
    except Exception as err:  # noqa: BLE001 - the sample's own failure is data
        error = f"{type(err).__name__}: {err}"
    finally:
        requests.Session.send = real_send
    return raw_samples.Run(exchanges, {}, error, out.getvalue())


_NODE_CAPTURE = """
import __fs from 'fs';
process.on('exit', () => {
  let c = null, r = null;
  try { c = client; } catch {}
  try { r = result; } catch {}
  __fs.writeFileSync(process.env.SAMPLE_REPORT, JSON.stringify({
    headers: (c && c.lastRequestHeaders) || {}, request: (c && c.lastRequest) || '',
    response: (c && c.lastResponse) || '', result: r }));
});
"""


def run_node_soap(code: str, report: Path) -> raw_samples.Run:
    """Run a node soap sample (an ES module beside node_modules, so ``soap`` resolves)."""
    script = HERE / f".published-sample-{uuid.uuid4().hex[:8]}.mjs"
    script.write_text(_NODE_CAPTURE + code, encoding="utf-8")
    try:
        done = subprocess.run(
            ["node", str(script)],
            cwd=HERE,
            capture_output=True,
            timeout=raw_samples.NODE_TIMEOUT_S,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SAMPLE_REPORT": str(report)},
        )
    finally:
        script.unlink()
    data = json.loads(report.read_text(encoding="utf-8"))
    headers = {k: str(v) for k, v in data["headers"].items()}
    exchange = raw_samples.Exchange(headers, data["request"].encode(), 500 if done.returncode else 200, data["response"].encode())
    error = done.stderr.decode()[-500:] if done.returncode else None
    return raw_samples.Run([exchange], {"result": data["result"]}, error, done.stdout.decode())


def filled(sample: raw_samples.Sample, gateway, session: str, extra: dict) -> str:
    """The sample with the WSDL URL, the session and its placeholder filled in."""
    code = sample.code.replace(PUBLISHED_WSDL, gateway.v41 + "?WSDL")
    if sample.language == "python":
        args = "".join(f"    {k}={v!r},\n" for k, v in extra.items())
        code = code.replace("    # additional params\n", args)
        return f"session_id = {session!r}\n" + code
    args = "".join(f"  {k}: {json.dumps(v if not isinstance(v, bytes) else base64.b64encode(v).decode())},\n" for k, v in extra.items())
    code = code.replace("  // additional params\n", args)
    return f"const sessionId = {json.dumps(session)};\n" + code


@pytest.mark.parametrize("sample", API_SAMPLES, ids=[s.name for s in API_SAMPLES])
def test_published_parcel_api_sample_runs_as_published(sample, gateway, record, tmp_path):
    demo = login(gateway, "demo", "Demo#2026")
    partner = login(gateway, "partner", "Partner#2026")
    name = f"850-{uuid.uuid4().hex[:8]}.edi"
    edi = _x12_850(name)
    operation = re.search(r"(?:service\.|client\.)(\w+?)(?:Async)?\(", sample.code).group(1)
    if operation == "ParcelUpload":
        session, extra, parcel_id = demo, {"FileName": name, "Bytes": len(edi), "Content": edi}, None
    else:
        parcel_id = uploaded_to_partner(gateway, demo, name, edi)
        extra = {} if operation == "ParcelInBox" else {"ParcelID": int(parcel_id)}
        session = partner
    code = filled(sample, gateway, session, extra)
    if sample.language == "python":
        run = run_zeep(code)
    else:
        run = run_node_soap(code, tmp_path / "report.json")
    assert run.error is None, run.error
    assert len(run.exchanges) == 1, f"{len(run.exchanges)} requests"
    exchange = run.exchanges[0]
    problems = record.body(f"{sample.name} {operation}", exchange.response, ORIGINAL_V41)
    assert problems == [], problems
    assert exchange.status == 200 and f"<{operation}Response".encode() in exchange.response, exchange.response
    answer = ET.fromstring(exchange.response)
    ns = "{https://os.ecgrid.io/}"
    if operation == "ParcelInBox":
        listed = [p for p in answer.iter(f"{ns}ParcelIDInfo") if p.findtext(f"{ns}ParcelID") == parcel_id]
        assert len(listed) == 1 and listed[0].findtext(f"{ns}FileName") == name
        note = "the uploaded parcel listed"
    elif operation == "ParcelDownload":
        content = answer.findtext(f".//{ns}Content")
        assert hashlib.sha256(base64.b64decode(content)).hexdigest() == hashlib.sha256(edi).hexdigest()
        note = "the uploaded file, byte for byte (sha256)"
    elif operation == "ParcelDownloadConfirm":
        assert answer.findtext(f".//{ns}ParcelDownloadConfirmResult") == "true"
        note = "true"
    elif operation == "ParcelInfo":
        assert answer.findtext(f".//{ns}StatusCode") == "InBoxReady"
        assert answer.findtext(f".//{ns}FileName") == name
        note = "the parcel, InBoxReady"
    elif operation == "ParcelUpload":
        assert int(answer.findtext(f".//{ns}ParcelUploadResult")) > 0
        note = "the new parcel id"
    else:
        pytest.fail(f"unexpected operation {operation} in {sample.name}")
    printed = run.stdout
    assert printed.strip(), "the sample prints its result"
    client = "zeep" if sample.language == "python" else "node soap"
    record.samples.append(SampleOutcome(sample.name, operation, "pass", f"{client}, served WSDL: {note}"))
