"""zeep (PyPI) runs the whole workflow against the gateway.

Proxies are built from the gateway's served ``?WSDL`` and from the original
ECGridOS WSDLs (address pointed at the gateway, SOAP-encoding schema served
locally), for the v4.1 and the v3.2 endpoint, over SOAP 1.1 and 1.2. Every
step's answer is checked (``checks.py``), every response body is validated
against the original WSDL's schema, and the ``CallBackTest`` webhook must
reach the loopback receiver with the registered Basic credentials.
"""

from __future__ import annotations

import pytest

from conftest import flow_context
from results import ORIGINAL_V32, ORIGINAL_V41
from zeep_flow import ZeepTarget, run_zeep_flow

SOURCES = ["served v4.1", "original v4.1", "served v3.2", "original v3.2"]


def target_for(source: str, gateway) -> ZeepTarget:
    """The WSDL, endpoint and schema of one WSDL source."""
    kind, version = source.split()
    endpoint = gateway.v41 if version == "v4.1" else gateway.v32
    original = ORIGINAL_V41 if version == "v4.1" else ORIGINAL_V32
    return ZeepTarget(
        row=f"zeep · {source} WSDL",
        wsdl=endpoint + "?WSDL" if kind == "served" else str(original),
        endpoint=endpoint,
        schema_wsdl=original,
        served=kind == "served",
    )


@pytest.mark.parametrize("soap", ["1.1", "1.2"])
@pytest.mark.parametrize("source", SOURCES)
def test_zeep_workflow(source, soap, gateway, receiver, hook, record):
    ctx = flow_context(soap, hook)
    failures = run_zeep_flow(target_for(source, gateway), soap, ctx, hook["password"], record)
    assert failures == []
    delivery = receiver.wait_for(hook["path"], timeout_s=10)
    assert delivery.basic_credentials() == (hook["user"], hook["password"])
