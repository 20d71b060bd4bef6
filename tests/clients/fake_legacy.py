"""A fake legacy ECGridOS ASMX service for the migration workflow.

Written from the original WSDL's shapes (nothing of the gateway's): it
answers ``Login``, ``Logout``, ``NowUTC`` and ``NetworkOutageList`` (one
outage) over SOAP 1.1 and 1.2, refuses an unknown
SessionID as ECGridOS does, and records every request body exactly as it
arrived, so a test can check what the gateway forwarded.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LEGACY_SESSION = "5EC0DDED-0000-4000-8000-00000000CAFE"
NS41 = "https://os.ecgrid.io/"
ENV11 = "http://schemas.xmlsoap.org/soap/envelope/"
ENV12 = "http://www.w3.org/2003/05/soap-envelope"
MAX_BODY = 1024 * 1024


def _operation(body: str) -> str:
    match = re.search(r"<(?:[\w.-]+:)?Body[^>]*>\s*<(?:[\w.-]+:)?(\w+)", body)
    return match.group(1) if match else ""


def _param(body: str, name: str) -> str | None:
    match = re.search(rf"<(?:[\w.-]+:)?{name}>([^<]*)</(?:[\w.-]+:)?{name}>", body)
    return match.group(1).strip() if match else None


class FakeLegacy:
    """The service on a loopback port; ``received`` holds (operation, body) pairs."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.received: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = min(int(self.headers.get("Content-Length", "0")), MAX_BODY)
                raw = self.rfile.read(length)
                soap12 = self.headers.get("Content-Type", "").startswith("application/soap+xml")
                status, xml = outer.answer(raw, soap12)
                data = xml.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/soap+xml; charset=utf-8" if soap12 else "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies_of(self, operation: str) -> list[str]:
        with self._lock:
            return [b.decode() for op, b in self.received if op == operation]

    def answer(self, raw: bytes, soap12: bool) -> tuple[int, str]:
        body = raw.decode("utf-8", "replace")
        op = _operation(body)
        with self._lock:
            self.received.append((op, raw))
        env = ENV12 if soap12 else ENV11

        def wrap(inner: str) -> str:
            return f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{env}"><soap:Body>{inner}</soap:Body></soap:Envelope>'

        def fault(text: str) -> tuple[int, str]:
            if soap12:
                inner = f"<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang=\"en\">{text}</soap:Text></soap:Reason></soap:Fault>"
            else:
                inner = f"<soap:Fault><faultcode>soap:Client</faultcode><faultstring>{text}</faultstring></soap:Fault>"
            return 500, wrap(inner)

        def result(inner: str) -> tuple[int, str]:
            return 200, wrap(f'<{op}Response xmlns="{NS41}">{inner}</{op}Response>')

        if op == "Login":
            if _param(body, "Password") != self.password:
                return fault("Invalid Login Name or Password.")
            return result(f"<LoginResult>{LEGACY_SESSION}</LoginResult>")
        if op == "Logout":
            return result("<LogoutResult>1</LogoutResult>")
        if op == "NowUTC":
            now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            return result(f"<NowUTCResult>{now}</NowUTCResult>")
        if op == "NetworkOutageList":
            if _param(body, "SessionID") != LEGACY_SESSION:
                return fault("Session Expired or Invalid.")
            return result(
                "<NetworkOutageListResult><NetworkIDInfo><NetworkID>7</NetworkID><Name>Outage Net</Name></NetworkIDInfo></NetworkOutageListResult>"
            )
        return fault(f"{op} is not answered by the fake legacy service.")
