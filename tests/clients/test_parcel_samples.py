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

Every answer validates against the original v4.1 schema. What each must be
is in ``expect``; ``upload-a-file.md``'s samples put the base64 in
``Bytes`` and a MIME type in ``Content`` (as published), so their answer is
an InvalidParameter fault naming ``Bytes``. The outcomes go to the README's
sample table.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import raw_samples
from results import ORIGINAL_V41, SampleOutcome
from test_parcels_zeep import _x12_850
from test_raw_samples import post, soap_action

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
