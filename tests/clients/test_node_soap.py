"""The npm ``soap`` package runs the whole workflow against the gateway.

``node/workflow.js`` builds the proxy from the served ``?WSDL`` or from the
original v4.1 WSDL file (endpoint set to the gateway with
``client.setEndpoint``), runs the steps over SOAP 1.1 or, with
``forceSoap12Headers``, SOAP 1.2, and prints what the library returned and
``client.lastResponse`` for every step. This test checks each answer with
the same ``checks.py`` as zeep, validates every body against the original
WSDL's schema, and requires the webhook to reach the receiver.
"""

from __future__ import annotations

import pytest

import checks
from conftest import flow_context
from node_runner import run_node_script
from results import ORIGINAL_V41


@pytest.mark.parametrize("soap", ["1.1", "1.2"])
@pytest.mark.parametrize("source", ["served", "original"])
def test_node_soap_workflow(source, soap, gateway, receiver, hook, record, tmp_path):
    row = f"node soap · {source} v4.1 WSDL"
    config = {
        "wsdl": gateway.v41 + "?WSDL" if source == "served" else str(ORIGINAL_V41),
        "endpoint": gateway.v41,
        "setEndpoint": source == "original",
        "soap": soap,
        "login": checks.DEMO_LOGIN,
        "password": checks.DEMO_PASSWORD,
        "networkId": checks.DEMO_NETWORK_ID,
        "mailboxId": checks.DEMO_MAILBOX_ID,
        "unknownId": checks.UNKNOWN_ID,
        "hookUrl": hook["url"],
        "hookUser": hook["user"],
    }
    report = run_node_script("workflow.js", config, hook["password"], tmp_path)
    assert "error" not in report, report.get("error")

    ctx = flow_context(soap, hook)
    failures = []
    seen = [step["label"] for step in report["steps"]]
    for step in report["steps"]:
        problems = [step["detail"]] if step["outcome"] != "pass" else []
        problem = checks.check(step["label"], step["value"], ctx)
        problems += [problem] if problem else []
        problems += record.body(f"{row} {step['label']} SOAP {soap}", step["body"], ORIGINAL_V41)
        record.step(row, step["label"], soap, "; ".join(problems) or None)
        if problems:
            failures.append(f"{step['label']}: {'; '.join(problems)}")
    for missing in [s for s in checks.STEPS if s not in seen]:
        record.step(row, missing, soap, "not reached")
        failures.append(f"{missing}: not reached")
    assert failures == []
    delivery = receiver.wait_for(hook["path"], timeout_s=10)
    assert delivery.basic_credentials() == (hook["user"], hook["password"])
