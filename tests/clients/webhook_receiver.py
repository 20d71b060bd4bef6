"""A webhook receiver on loopback for the callback steps of the suite.

It answers every POST with 200 ``received`` and records method, path,
headers and body. ``wait_for(predicate, timeout_s)`` waits (bounded) for a
matching request, so a test can prove that ``CallBackTest`` really reached
it with the registered HTTP Basic credentials.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Delivery:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def basic_credentials(self) -> tuple[str, str] | None:
        """The (user, password) of an ``Authorization: Basic`` header, if any."""
        value = self.headers.get("authorization", "")
        if not value.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(value[6:]).decode("utf-8").partition(":")
        return user, password


class WebhookReceiver:
    """A threaded HTTP server on 127.0.0.1 that records deliveries."""

    def __init__(self) -> None:
        self._deliveries: list[Delivery] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                delivery = Delivery(
                    method="POST",
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                with receiver._cond:
                    receiver._deliveries.append(delivery)
                    receiver._cond.notify_all()
                reply = b"received"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_args) -> None:
                """Quiet: request lines would include nothing useful."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        """The http:// loopback URL of ``path`` on this receiver."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def wait_for(self, path: str, timeout_s: float = 10.0) -> Delivery:
        """The first delivery to ``path``; AssertionError after ``timeout_s``."""
        with self._cond:
            found = self._cond.wait_for(
                lambda: next((d for d in self._deliveries if d.path == path), None), timeout=timeout_s
            )
        if found is None:
            raise AssertionError(f"no webhook POST to {path} within {timeout_s} s")
        return found

    def stop(self) -> None:
        """Shut the server down and join its thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
