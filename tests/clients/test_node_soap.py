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

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import checks
from conftest import flow_context
from results import ORIGINAL_V41

HERE = Path(__file__).resolve().parent
WORKFLOW = HERE / "node" / "workflow.js"
NODE_TIMEOUT_S = 60


def run_workflow(config: dict, hook_password: str, workdir: Path) -> dict:
    """Run node/workflow.js with ``config`` (written to ``workdir``); its parsed JSON report."""
    node = shutil.which("node")
    assert node, "node is not installed (tests/run.sh needs Node 20 with npm)"
    assert (HERE / "node_modules" / "soap").is_dir(), "node_modules/soap is missing: run `npm ci` in tests/clients"
    config_path = workdir / "workflow-config.json"
    config_path.write_text(json.dumps(config))
    done = subprocess.run(
        [node, str(WORKFLOW), str(config_path)],
        cwd=HERE,
        capture_output=True,
        timeout=NODE_TIMEOUT_S,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOOK_PASSWORD": hook_password},
    )
    assert done.returncode == 0, f"workflow.js failed: {done.stdout.decode()[-2000:]} {done.stderr.decode()[-2000:]}"
    return json.loads(done.stdout)


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
    report = run_workflow(config, hook["password"], tmp_path)
    assert "error" not in report, report.get("error")

    ctx = flow_context(soap, hook)
    failures = []
    seen = [step["operation"] for step in report["steps"]]
    for step in report["steps"]:
        problems = [step["detail"]] if step["outcome"] != "pass" else []
        problem = checks.check(step["operation"], step["value"], ctx)
        problems += [problem] if problem else []
        problems += record.body(f"{row} {step['operation']} SOAP {soap}", step["body"], ORIGINAL_V41)
        record.step(row, step["operation"], soap, "; ".join(problems) or None)
        if problems:
            failures.append(f"{step['operation']}: {'; '.join(problems)}")
    for missing in [s for s in checks.STEPS if s not in seen]:
        record.step(row, missing, soap, "not reached")
        failures.append(f"{missing}: not reached")
    assert failures == []
    delivery = receiver.wait_for(hook["path"], timeout_s=10)
    assert delivery.basic_credentials() == (hook["user"], hook["password"])
