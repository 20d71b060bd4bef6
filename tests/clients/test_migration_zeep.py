"""zeep (PyPI) runs a migration workflow that mixes routes in one session.

The gateway runs ``serve --sandbox --legacy FAKE --route NowUTC=shadow``
against the fake legacy ASMX service of ``fake_legacy.py``; a zeep proxy
built from the original v4.1 WSDL (all 221 operations) calls ``Login``
(both sides), ``WhoAmI`` (translated: REST), ``NetworkOutageList`` (untranslated:
passed through to the legacy service with the legacy SessionID),
``NowUTC`` (shadowed: both sides, the legacy answer returned) and
``Logout`` (both sides), then reads ``/migration.json``.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
import zeep

from fake_legacy import LEGACY_SESSION, FakeLegacy
from gateway_process import GatewayProcess
from offline_transport import OfflineTransport
from results import ORIGINAL_V41

DEMO_LOGIN = "demo"
DEMO_PASSWORD = "Demo#2026"


@pytest.fixture
def legacy():
    service = FakeLegacy(DEMO_PASSWORD)
    yield service
    service.stop()


@pytest.fixture
def migrating_gateway(legacy, tmp_path):
    process = GatewayProcess.start(
        tmp_path / "gateway.log",
        extra_args=["--legacy", legacy.url, "--route", "NowUTC=shadow"],
    )
    yield process
    process.stop()


def _report(gateway) -> dict:
    with urllib.request.urlopen(gateway.base_url + "/migration.json", timeout=10) as response:
        return json.load(response)


@pytest.mark.parametrize("soap", ["1.1", "1.2"])
def test_one_session_across_rest_legacy_and_shadow(soap, legacy, migrating_gateway):
    client = zeep.Client(str(ORIGINAL_V41), transport=OfflineTransport())
    service = next(iter(client.wsdl.services.values()))
    suffix = "Soap12" if soap == "1.2" else "Soap"
    port = next(p for name, p in service.ports.items() if name.endswith(suffix))
    proxy = client.create_service(port.binding.name, migrating_gateway.v41)

    session = proxy.Login(LoginName=DEMO_LOGIN, Password=DEMO_PASSWORD)
    assert session and session != LEGACY_SESSION
    assert len(legacy.bodies_of("Login")) == 1

    me = proxy.WhoAmI(SessionID=session)  # rest
    assert me.UserID == 1042 and me.SessionID == session

    outages = proxy.NetworkOutageList(SessionID=session)  # legacy
    assert [n.NetworkID for n in outages] == [7] and outages[0].Name == "Outage Net"
    forwarded = legacy.bodies_of("NetworkOutageList")[-1]
    assert LEGACY_SESSION in forwarded and session not in forwarded

    now = proxy.NowUTC()  # shadow: the legacy answer
    assert now.year >= 2026

    assert proxy.Logout(SessionID=session) == 1
    assert any(LEGACY_SESSION in body for body in legacy.bodies_of("Logout"))

    deadline = time.monotonic() + 10
    while True:
        report = _report(migrating_gateway)
        shadow = report["operations"].get("NowUTC", {}).get("shadow", {})
        if sum(shadow.get(k, 0) for k in ("agreed", "differed", "one_side_failed")) >= 1:
            break
        assert time.monotonic() < deadline, f"no shadow outcome for NowUTC: {report}"
        time.sleep(0.05)
    ops = report["operations"]
    assert ops["WhoAmI"]["route"] == "rest" and ops["WhoAmI"]["calls"]["rest"] == 1
    assert ops["NetworkOutageList"]["route"] == "legacy" and ops["NetworkOutageList"]["calls"]["legacy"] == 1
    assert ops["NowUTC"]["route"] == "shadow" and ops["NowUTC"]["calls"]["shadow"] == 1
    assert shadow["one_side_failed"] == 0
