"""The workflow driven through a zeep proxy.

``run_zeep_flow`` builds a zeep client from a WSDL (the gateway's served
``?WSDL`` URL, or a local original file with the service address pointed at
the gateway), runs every step of ``checks.STEPS`` over SOAP 1.1 or 1.2, and
records each step's outcome and response body in the session ``Record``.
It returns the list of failures (empty when every step passed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import zeep
from zeep.exceptions import Fault
from zeep.helpers import serialize_object

import checks
from offline_transport import OfflineTransport
from results import Record


@dataclass(frozen=True)
class ZeepTarget:
    """Which WSDL to load and where the calls must go."""

    row: str  # matrix row label
    wsdl: str  # URL of the served WSDL, or path of an original
    endpoint: str  # the gateway's SOAP endpoint for this namespace
    schema_wsdl: Path  # original WSDL the responses are validated against
    served: bool  # True: use the WSDL's own address; False: override it


class CapturingTransport(OfflineTransport):
    """OfflineTransport that keeps the raw body of the last SOAP response."""

    last_body: bytes | None = None

    def post(self, address, message, headers):
        self.last_body = None
        response = super().post(address, message, headers)
        self.last_body = response.content
        return response


def _service(client: zeep.Client, target: ZeepTarget, soap: str):
    """The proxy for the SOAP 1.1 or 1.2 port."""
    service = next(iter(client.wsdl.services.values()))
    suffix = "Soap12" if soap == "1.2" else "Soap"
    port = next(p for name, p in service.ports.items() if name.endswith(suffix))
    if target.served:
        return client.bind(service.name, port.name)
    return client.create_service(port.binding.name, target.endpoint)


def _fault_value(fault: Fault) -> dict:
    """The fault as plain data: code and the detail's ECGridOSSOAPErrorCode."""
    code = None
    if fault.detail is not None:
        found = fault.detail.find(".//ECGridOSSOAPErrorCode")
        code = found.text if found is not None else None
    return {"fault": {"code": fault.code, "errorCode": code}}


def run_zeep_flow(target: ZeepTarget, soap: str, ctx: checks.FlowContext, hook_password: str, record: Record) -> list[str]:
    """Run the whole workflow; record every step; return the failures."""
    transport = CapturingTransport()
    client = zeep.Client(target.wsdl, transport=transport)
    proxy = _service(client, target, soap)
    failures: list[str] = []

    def call(step: str, operation: str, **args) -> None:
        try:
            value = serialize_object(getattr(proxy, operation)(**args), dict)
        except Fault as fault:
            value = _fault_value(fault)
        except Exception as err:  # noqa: BLE001 - any library error is this step's failure
            value = {"error": f"{type(err).__name__}: {err}"}
        problems = [p for p in [checks.check(step, value, ctx)] if p]
        problems += record.body(f"{target.row} {step} SOAP {soap}", transport.last_body, target.schema_wsdl)
        problem = "; ".join(problems) or None
        record.step(target.row, step, soap, problem)
        if problem:
            failures.append(f"{step} (SOAP {soap}): {problem}")

    call("Login", "Login", LoginName=checks.DEMO_LOGIN, Password=checks.DEMO_PASSWORD)
    sid = ctx.session_id
    call("WhoAmI", "WhoAmI", SessionID=sid)
    call("Version", "Version")
    call("NowUTC", "NowUTC")
    call(
        "CallBackAddEx",
        "CallBackAddEx",
        SessionID=sid,
        NetworkID=checks.DEMO_NETWORK_ID,
        MailboxID=checks.DEMO_MAILBOX_ID,
        UserID=0,
        SystemObject="Parcel",
        ObjectStatus=0,
        Direction="InBox",
        Frequency=0,
        MaxRetries=3,
        URL=ctx.hook_url,
        HTTPAuthentication="Basic",
        HTTPUser=ctx.hook_user,
        HTTPPassword=hook_password,
        Status="Active",
    )
    call("CallBackTest", "CallBackTest", SessionID=sid, CallBackEventID=ctx.callback_id or 0, ParcelID=0, InterchangeID=0, UserID=0)
    call("CallBackQueueInfo", "CallBackQueueInfo", SessionID=sid, CallBackQueueID=ctx.callback_id or 0)
    call("Fault: unknown id", "CallBackQueueInfo", SessionID=sid, CallBackQueueID=checks.UNKNOWN_ID)
    call("Logout", "Logout", SessionID=sid)
    call("Fault: stale session", "WhoAmI", SessionID=sid)
    call("Fault: wrong password", "Login", LoginName=checks.DEMO_LOGIN, Password=checks.DEMO_PASSWORD + "-wrong")
    return failures
