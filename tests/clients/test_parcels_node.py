"""The EDI file loop with the npm ``soap`` client, from the served and the
original WSDL, SOAP 1.1 and 1.2 (as test_parcels_zeep.py does with zeep).

``node/parcels.js`` runs the steps and reports what the library returned and
every raw response: partner registers an InBox callback (CallBackAddEx) to
the loopback receiver; demo uploads an X12 850 addressed by its ISA header
to partner; the receiver gets the InBox event; partner's ParcelInBox lists
it with its FileName, bytes and both sides; ParcelDownload returns the exact
bytes (sha256); demo downloading it and ParcelInfo of an unknown id are
faults; ParcelDownloadConfirm is true and the parcel leaves the inbox;
ParcelInfo says InBoxTransferred; demo's ParcelOutBoxArchive shows it
acknowledged. Every response body is validated against the original WSDL's
schema (the session's zero-violation check covers them).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import pytest

from node_runner import run_node_script
from results import ORIGINAL_V41
from test_parcels_zeep import _x12_850

UNKNOWN_PARCEL = 987654321


@pytest.mark.parametrize("soap", ["1.1", "1.2"])
@pytest.mark.parametrize("source", ["served", "original"])
def test_node_soap_two_parties_move_a_file(source, soap, gateway, receiver, hook, record, tmp_path):
    name = f"850-{uuid.uuid4().hex[:8]}.edi"
    edi = _x12_850(name)
    config = {
        "wsdl": gateway.v41 + "?WSDL" if source == "served" else str(ORIGINAL_V41),
        "endpoint": gateway.v41,
        "setEndpoint": source == "original",
        "soap": soap,
        "fileName": name,
        "bytes": len(edi),
        "contentBase64": base64.b64encode(edi).decode(),
        "unknownId": UNKNOWN_PARCEL,
        "hookUrl": hook["url"],
        "hookUser": hook["user"],
    }
    report = run_node_script("parcels.js", config, hook["password"], tmp_path)
    assert "error" not in report, report.get("error")
    steps = {step["label"]: step for step in report["steps"]}
    for step in report["steps"]:
        problems = record.body(f"node soap parcels · {source} {step['label']} SOAP {soap}", step["body"], ORIGINAL_V41)
        assert problems == [], f"{step['label']}: {problems}"
    failed = {label: step["detail"] for label, step in steps.items() if step["outcome"] != "pass"}
    assert failed == {}

    outbound = report["outbound"]
    assert isinstance(outbound, int) and outbound > 0

    delivery = receiver.wait_for(hook["path"], timeout_s=10)
    assert delivery.basic_credentials() == (hook["user"], hook["password"])
    event = json.loads(delivery.body)
    assert event["fileName"] == name, event

    listed = steps["ParcelInBox"]["listed"]
    assert len(listed) == 1, listed
    parcel = listed[0]
    assert int(parcel["ParcelBytes"]) == len(edi)
    assert (int(parcel["MailboxIDFrom"]), int(parcel["MailboxIDTo"])) == (101, 201)
    network_from, network_to = int(parcel["NetworkIDFrom"]), int(parcel["NetworkIDTo"])
    assert network_from > 0 and network_to > 0 and network_from != network_to, parcel
    assert parcel["StatusCode"] == "InBoxReady"
    assert int(parcel["ParcelID"]) == int(report["parcelId"])

    download = steps["ParcelDownload"]
    assert download["sha256"] == hashlib.sha256(edi).hexdigest()
    assert download["value"]["FileName"] == name

    not_yours = steps["Fault: not yours"]["value"]["fault"]
    assert "not in your mailbox" in not_yours["message"], not_yours
    unknown = steps["Fault: unknown parcel"]["value"]["fault"]
    assert str(UNKNOWN_PARCEL) in unknown["message"], unknown

    assert steps["ParcelDownloadConfirm"]["value"]["ParcelDownloadConfirmResult"] is True
    assert steps["ParcelInBox after confirm"]["listed"] == []
    info = steps["ParcelInfo"]["value"]["ParcelInfoResult"]
    assert info["StatusCode"] == "InBoxTransferred"

    sent = steps["ParcelOutBoxArchive"]["listed"]
    assert [int(p["ParcelID"]) for p in sent] == [outbound]
    assert sent[0]["StatusCode"] == "outboxAcknowledged"
