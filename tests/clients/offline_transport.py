"""A zeep Transport that never leaves the machine.

Documents are served from local files when their URL is one of the known
schema namespaces (the SOAP 1.1 encoding schema the original ECGridOS WSDL
imports), read from disk for local paths, and fetched over HTTP only from
loopback hosts (the gateway). Any other URL raises, so a client that tried
to reach the internet fails the test instead of silently depending on it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from zeep.transports import Transport

HERE = Path(__file__).resolve().parent

#: Namespace URLs that stand for a schema kept under ``tests/clients/schemas``.
LOCAL_SCHEMAS = {
    "http://schemas.xmlsoap.org/soap/encoding/": HERE / "schemas" / "soap-encoding.xsd",
}

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class NetworkRefused(RuntimeError):
    """Raised when a client asks for a document that is not local or loopback."""


def _check_url(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https") and parsed.hostname not in LOOPBACK_HOSTS:
        raise NetworkRefused(f"refusing to fetch {url}: nothing may come from outside loopback")


class OfflineTransport(Transport):
    """zeep Transport: local schemas by namespace URL, loopback HTTP only."""

    def load(self, url: str) -> bytes:
        """Load a WSDL/XSD document (zeep calls this for every import)."""
        local = LOCAL_SCHEMAS.get(url)
        if local is not None:
            return local.read_bytes()
        _check_url(url)
        return super().load(url)

    def post(self, address, message, headers):
        """Send a SOAP request; only loopback addresses are allowed."""
        _check_url(address)
        return super().post(address, message, headers)
