"""What a correct answer to each workflow step looks like, for any client.

Both drivers (zeep in-process, node ``soap`` via its JSON report) hand the
value their library returned to ``check(step, value, ctx)`` as plain data
(dicts, lists, scalars; zeep objects go through ``zeep.helpers.serialize_object``
first). It returns a problem description, or ``None`` when the answer is right.
Fault steps get ``{"fault": {"code": ..., "errorCode": ...}}``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

DEMO_LOGIN = "demo"
DEMO_PASSWORD = "Demo#2026"
DEMO_NETWORK_ID = 1
DEMO_MAILBOX_ID = 101
#: An id no callback of the sandbox has (it numbers from small integers).
UNKNOWN_ID = 987654

GUID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")

#: The operations of the workflow, in the order they run.
OPERATIONS = [
    "Login",
    "WhoAmI",
    "Version",
    "NowUTC",
    "CallBackAddEx",
    "CallBackTest",
    "CallBackQueueInfo",
    "Logout",
]
#: The fault paths and the ECGridOSSOAPErrorCode each must carry.
FAULTS = {
    "Fault: wrong password": "Authentication",
    "Fault: stale session": "Authentication",
    "Fault: unknown id": "ObjectNotFound",
}
#: Matrix columns: every operation, then every fault path.
STEPS = OPERATIONS + list(FAULTS)

#: The fault code a client must see, by SOAP version.
SENDER_CODES = {"1.1": "soap:Client", "1.2": "soap:Sender"}


@dataclass
class FlowContext:
    """What a flow knows while it runs: the session, the callback, the hook."""

    soap: str
    hook_url: str
    hook_user: str
    session_id: str | None = None
    callback_id: int | None = None


def _get(value, *path):
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _as_datetime(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    return None


def _log_codes(info) -> list:
    entries = _get(info, "CallBackLog", "CallBackLogInfo") or []
    if isinstance(entries, dict):
        entries = [entries]
    return [int(e["ReturnCode"]) for e in entries if isinstance(e, dict) and "ReturnCode" in e]


def check(step: str, value, ctx: FlowContext) -> str | None:
    """The problem with ``value`` as the answer to ``step``, or None."""
    if step in FAULTS:
        fault = _get(value, "fault")
        if not isinstance(fault, dict):
            return f"expected a fault, got {value!r}"
        want_code = SENDER_CODES[ctx.soap]
        if fault.get("code") != want_code or fault.get("errorCode") != FAULTS[step]:
            return f"fault {fault.get('code')}/{fault.get('errorCode')}, expected {want_code}/{FAULTS[step]}"
        return None
    if step == "Login":
        sid = _get(value, "LoginResult") if isinstance(value, dict) else value
        if not isinstance(sid, str) or not GUID.fullmatch(sid):
            return "LoginResult is not an uppercase GUID"
        ctx.session_id = sid
        return None
    if step == "WhoAmI":
        info = _get(value, "WhoAmIResult") if "WhoAmIResult" in (value or {}) else value
        if _get(info, "LoginName") != DEMO_LOGIN or _get(info, "SessionID") != ctx.session_id:
            return f"WhoAmI names {_get(info, 'LoginName')!r}, not the logged-in demo session"
        return None
    if step == "Version":
        version = _get(value, "VersionResult") if isinstance(value, dict) else value
        return None if isinstance(version, str) and version.strip() else f"VersionResult {version!r} is empty"
    if step == "NowUTC":
        raw = _get(value, "NowUTCResult") if isinstance(value, dict) else value
        now = _as_datetime(raw)
        if now is None:
            return f"NowUTCResult {raw!r} is not a dateTime"
        skew = abs((now - dt.datetime.now(dt.timezone.utc)).total_seconds())
        return None if skew < 300 else f"NowUTCResult is {skew:.0f} s away from now"
    if step == "CallBackAddEx":
        info = _get(value, "CallBackAddExResult") if "CallBackAddExResult" in (value or {}) else value
        event_id = _get(info, "CallBackEventID")
        if not isinstance(event_id, int) or event_id <= 0:
            return f"CallBackEventID {event_id!r} is not a positive id"
        if _get(info, "URL") != ctx.hook_url:
            return f"URL {_get(info, 'URL')!r} is not the registered one"
        ctx.callback_id = event_id
        return None
    if step in ("CallBackTest", "CallBackQueueInfo"):
        info = _get(value, f"{step}Result") if f"{step}Result" in (value or {}) else value
        if _get(info, "CallBackQueueID") != ctx.callback_id:
            return f"CallBackQueueID {_get(info, 'CallBackQueueID')!r}, expected {ctx.callback_id}"
        if 200 not in _log_codes(info):
            return f"no delivery with ReturnCode 200 in CallBackLog ({_log_codes(info)})"
        if step == "CallBackQueueInfo":
            event = _get(info, "CallBackEvent")
            if _get(event, "URL") != ctx.hook_url or _get(event, "HTTPAuthentication", "User") != ctx.hook_user:
                return "CallBackQueueInfo does not show the registered URL and Basic user"
        return None
    if step == "Logout":
        result = _get(value, "LogoutResult") if isinstance(value, dict) else value
        return None if isinstance(result, int) else f"LogoutResult {result!r} is not an int"
    return f"no check for step {step!r}"
