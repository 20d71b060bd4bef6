"""The published raw-HTTP samples, run or replayed against the gateway.

Python and Node.js samples are run as published (``raw_samples.py`` says
what is substituted: the host, placeholder credentials, the session, the
callback URL). C# and Java samples are replayed: their request rebuilt as
the language builds it (``compiled_samples.py``) and sent with exactly
their bytes and headers by ``http.client``.
For each sample: every response body validates against the original v4.1
schema; a sample whose envelope is well-formed gets its answer, read the
way the sample reads it (its own variables, or the element it names in its
namespace); a sample whose XML is malformed gets a ``soap:Client`` fault
that gives the line and column, recorded for the README.
"""

from __future__ import annotations

import http.client
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlparse

import pytest

import checks
import compiled_samples
import raw_samples
from results import ORIGINAL_V41, SampleOutcome

SAMPLES = raw_samples.published_samples()
REPLAYS = compiled_samples.compiled_samples()
POSITION = re.compile(r"line (\d+), column (\d+)")
SOAP11 = "{http://schemas.xmlsoap.org/soap/envelope/}"


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST exact bytes with exact headers (http.client adds only Host and Content-Length)."""
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request("POST", parsed.path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def login(gateway) -> str:
    """A live SessionID for the samples that start from one."""
    body = (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Body><Login xmlns="https://os.ecgrid.io/"><LoginName>{checks.DEMO_LOGIN}</LoginName>'
        f"<Password>{checks.DEMO_PASSWORD}</Password></Login></soap:Body></soap:Envelope>"
    ).encode()
    status, answer = post(gateway.v41, body, {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"https://os.ecgrid.io/Login"'})
    assert status == 200, answer
    return ET.fromstring(answer).find(".//{https://os.ecgrid.io/}LoginResult").text


def soap_action(headers: dict[str, str]) -> str:
    """The operation and namespace a request's SOAPAction names."""
    value = next(v for k, v in headers.items() if k.lower() == "soapaction").strip('"')
    namespace, _, operation = value.rpartition("/")
    return namespace + "/", operation


def read_result(response: bytes, namespace: str, element: str) -> str | None:
    """The text of ``{namespace}element`` anywhere in the answer (XDocument.Descendants style)."""
    found = ET.fromstring(response).find(f".//{{{namespace}}}{element}")
    return found.text if found is not None else None


def callback_test_in_guide_style(gateway, session_id: str, queue_id: str) -> tuple[int, bytes]:
    """CallBackTest as the guide says to call it next, in its samples' style.

    The guide gives no raw envelope for it; this one uses the samples'
    prefix, namespace and headers.
    """
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ecg="http://www.ecgridos.net/">'
        f"<soap:Body><ecg:CallBackTest><ecg:SessionID>{session_id}</ecg:SessionID>"
        f"<ecg:CallBackQueueID>{queue_id}</ecg:CallBackQueueID></ecg:CallBackTest></soap:Body></soap:Envelope>"
    ).encode()
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"http://www.ecgridos.net/CallBackTest"'}
    return post(gateway.v41, body, headers)


def run(sample: raw_samples.Sample, gateway, hook, tmp_path) -> raw_samples.Run:
    """Run one sample against the gateway."""
    code = raw_samples.substitute(
        sample.code, gateway.v41, login(gateway), hook["url"], checks.DEMO_LOGIN, checks.DEMO_PASSWORD
    )
    env = {"ECGRID_USER": checks.DEMO_LOGIN, "ECGRID_PASS": checks.DEMO_PASSWORD}
    if sample.language == "python":
        return raw_samples.run_python(code, env)
    names = ["sessionId", "xml", "loginResp", "response"]
    return raw_samples.run_node(code, env, names, tmp_path / "report.json")


def judge(name: str, exchange: raw_samples.Exchange, reading_failed: bool, printed: str, gateway, receiver, hook, record) -> None:
    """Assert what one exchange of a sample must show, and record it."""
    namespace, operation = soap_action(exchange.headers)
    problems = record.body(f"{name} {operation}", exchange.response, ORIGINAL_V41)
    assert problems == [], problems
    try:
        ET.fromstring(exchange.body)
        well_formed = True
    except ET.ParseError:
        well_formed = False

    if not well_formed:
        assert exchange.status == 500, exchange.response
        fault = ET.fromstring(exchange.response).find(f"{SOAP11}Body/{SOAP11}Fault")
        assert fault.findtext("faultcode") == "soap:Client"
        message = fault.findtext("faultstring")
        positions = [(int(m.group(1)), int(m.group(2))) for m in POSITION.finditer(message)]
        assert positions, message
        for line, _column in positions:
            assert 1 <= line <= exchange.body.count(b"\n") + 1, message
        (line, column), quote = positions[0], positions[1:]
        # The sample's own reading fails: it raises, or finds nothing.
        assert reading_failed
        note = f"malformed XML as published: soap:Client fault at line {line}, column {column}"
        if quote:
            note += f"; unclosed attribute quote at line {quote[0][0]}, column {quote[0][1]}"
        record.samples.append(SampleOutcome(name, operation, "pass", note))
        return

    assert exchange.status == 200, exchange.response
    assert not reading_failed, f"{name}: the sample's own reading failed"
    if operation == "Login":
        session_id = read_result(exchange.response, namespace, "LoginResult")
        assert session_id and checks.GUID.fullmatch(session_id)
        note = f"LoginResult read in {namespace}"
    elif operation == "CallBackAdd":
        queue_id = read_result(exchange.response, namespace, "CallBackQueueID")
        assert queue_id and int(queue_id) > 0
        assert exchange.response.decode() in printed, "the sample prints the answer"
        session_id = re.search(rb"<ecg:SessionID>([^<]+)<", exchange.body).group(1).decode()
        status, answer = callback_test_in_guide_style(gateway, session_id, queue_id)
        assert record.body(f"{name} CallBackTest", answer, ORIGINAL_V41) == []
        assert status == 200 and read_result(answer, namespace, "ReturnCode") == "200", answer
        receiver.wait_for(hook["path"], timeout_s=10)
        note = f"CallBackQueueID read in {namespace}; CallBackTest (guide style) reached the receiver"
    else:
        pytest.fail(f"unexpected operation {operation} in {name}")
    record.samples.append(SampleOutcome(name, operation, "pass", note))


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_published_sample_runs_as_published(sample, gateway, receiver, hook, record, tmp_path):
    result = run(sample, gateway, hook, tmp_path)
    assert result.exchanges, f"the sample made no request (error: {result.error})"
    for exchange in result.exchanges:
        namespace, operation = soap_action(exchange.headers)
        reading_failed = result.error is not None  # the sample raised
        declared = re.search(r"\b(session_id|sessionId|sessionID)\s*=", sample.code)
        if operation == "Login" and declared:
            # The sample reads the SessionID itself: it must be the LoginResult.
            own = result.variables.get(declared.group(1))
            reading_failed |= own is None or own != read_result(exchange.response, namespace, "LoginResult")
        printed = (result.stdout or "") + str(result.variables)
        judge(sample.name, exchange, reading_failed, printed, gateway, receiver, hook, record)


@pytest.mark.parametrize("replay", REPLAYS, ids=[r.name for r in REPLAYS])
def test_published_sample_request_replayed(replay, gateway, receiver, hook, record):
    fill = {
        "{email}": checks.DEMO_LOGIN,
        "{username}": checks.DEMO_LOGIN,
        "{password}": checks.DEMO_PASSWORD,
    }
    envelope = raw_samples.substitute(
        replay.envelope, gateway.v41, login(gateway), hook["url"], checks.DEMO_LOGIN, checks.DEMO_PASSWORD
    )
    for placeholder, value in fill.items():
        envelope = envelope.replace(placeholder, value)
    status, answer = post(gateway.v41, envelope.encode("utf-8"), replay.headers)
    exchange = raw_samples.Exchange(replay.headers, envelope.encode("utf-8"), status, answer)
    namespace, _ = soap_action(replay.headers)
    # C#'s EnsureSuccessStatusCode throws on a fault; Java's item(0) is null.
    reading_failed = status != 200 or (replay.reads != "" and read_result(answer, namespace, replay.reads) is None)
    printed = answer.decode("utf-8")  # the Java samples print response.body()
    judge(replay.name + " replayed", exchange, reading_failed, printed, gateway, receiver, hook, record)
