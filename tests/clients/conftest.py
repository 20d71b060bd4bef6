"""Fixtures of the real-client suite: the gateway, a webhook receiver, the record.

pytest is the one orchestrator: a session-scoped gateway process
(``serve --sandbox --allow-http-callbacks`` on 127.0.0.1:0), a loopback
webhook receiver, and the ``Record`` every test writes its outcomes and
response bodies into. Tests marked ``summary`` (zero schema violations, the
README's compatibility matrix) run after all the others.
"""

from __future__ import annotations

import secrets
import socket
from pathlib import Path

import pytest

import checks
from gateway_process import GatewayProcess
from results import Record
from webhook_receiver import WebhookReceiver

REPO = Path(__file__).resolve().parents[2]

_real_connect = socket.socket.connect
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _loopback_only(sock, address):
    """socket.connect that refuses every non-loopback address (nothing is fetched)."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
        raise OSError(f"network access to {address[0]} is blocked in the client suite")
    return _real_connect(sock, address)


def pytest_configure(config: pytest.Config) -> None:
    """Register the summary marker and block non-loopback connections."""
    config.addinivalue_line("markers", "summary: runs after every other test and reads the session record")
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the summary tests to the end, keeping their relative order."""
    items.sort(key=lambda item: item.get_closest_marker("summary") is not None)


_RECORD = Record()


@pytest.fixture(scope="session")
def record() -> Record:
    """The session's outcomes and validated bodies."""
    return _RECORD


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory):
    """The gateway binary, running on a free loopback port for the session."""
    log = tmp_path_factory.mktemp("gateway") / "gateway.log"
    process = GatewayProcess.start(log)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def receiver():
    """The loopback webhook receiver for the session."""
    server = WebhookReceiver()
    yield server
    server.stop()


@pytest.fixture
def hook(receiver: WebhookReceiver, request: pytest.FixtureRequest):
    """A fresh webhook path and Basic credentials for one test."""
    token = secrets.token_hex(4)
    name = "".join(c if c.isalnum() else "-" for c in request.node.name)[:60]
    return {
        "url": receiver.url(f"/hooks/{name}-{token}"),
        "path": f"/hooks/{name}-{token}",
        "user": f"hook-{token}",
        "password": secrets.token_urlsafe(12),
    }


def flow_context(soap: str, hook: dict) -> checks.FlowContext:
    """A FlowContext for one workflow run with this test's hook."""
    return checks.FlowContext(soap=soap, hook_url=hook["url"], hook_user=hook["user"])

