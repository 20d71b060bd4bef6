"""Nothing in the client suite may reach beyond loopback.

conftest.py blocks non-loopback socket connections for the whole session,
and zeep's OfflineTransport refuses non-loopback URLs before any socket is
opened; both must hold, or "nothing is fetched" would be unproven.
"""

from __future__ import annotations

import socket

import pytest

from offline_transport import NetworkRefused, OfflineTransport


def test_non_loopback_connections_are_refused():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(OSError, match="blocked in the client suite"):
            sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routable


def test_zeep_transport_refuses_remote_documents_and_serves_the_encoding_schema_locally():
    transport = OfflineTransport()
    with pytest.raises(NetworkRefused):
        transport.load("https://os.ecgrid.io/v4.1/prod/ECGridOS.asmx?WSDL")
    schema = transport.load("http://schemas.xmlsoap.org/soap/encoding/")
    assert b'targetNamespace="http://schemas.xmlsoap.org/soap/encoding/"' in schema
    assert b'complexType name="Array"' in schema
