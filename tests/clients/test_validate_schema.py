"""Self-test of validate_schema.py, and offline loading of the served WSDLs.

Run from the repository root:
    tests/clients/.venv/bin/python -m unittest discover -s tests/clients -p 'test_validate_schema.py'

Network access is blocked while these tests run (setUpModule), and given
back afterwards, so the rest of the client suite can talk to the gateway on
loopback when pytest collects this module too.
"""

from __future__ import annotations

import socket
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import validate_schema  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ORIGINALS = REPO.parent / "shared" / "reference" / "wsdl"
SERVED = [REPO / "wsdl" / "ECGridOS.wsdl", REPO / "wsdl" / "ECGridOS-v3.2.wsdl"]
V41 = "https://os.ecgrid.io/"


def _no_network(*_args, **_kwargs):
    raise OSError("network access blocked in tests")


_SAVED = {}


def setUpModule():  # noqa: N802 (unittest naming)
    """Block every connection while this module's tests run."""
    _SAVED["connect"] = socket.socket.connect
    _SAVED["create_connection"] = socket.create_connection
    socket.socket.connect = _no_network  # type: ignore[method-assign]
    socket.create_connection = _no_network  # type: ignore[assignment]


def tearDownModule():  # noqa: N802 (unittest naming)
    """Give the network back."""
    socket.socket.connect = _SAVED["connect"]  # type: ignore[method-assign]
    socket.create_connection = _SAVED["create_connection"]  # type: ignore[assignment]


def envelope11(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def envelope12(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


LOGIN_OK = f'<LoginResponse xmlns="{V41}"><LoginResult>abc123</LoginResult></LoginResponse>'
WHOAMI_OK = (
    f'<WhoAmIResponse xmlns="{V41}"><WhoAmIResult>'
    "<ECGridOSVersion>4.1</ECGridOSVersion><SessionID>s</SessionID><SessionEventID>1</SessionEventID>"
    "<UserID>2</UserID><LoginName>u</LoginName><FirstName>F</FirstName><LastName>L</LastName>"
    "<Company>C</Company><EMail>e@example.com</EMail><Phone>1</Phone><TimeZoneOffset>0</TimeZoneOffset>"
    "<AuthLevel>MailboxUser</AuthLevel><LastLogin>2024-01-01T00:00:00Z</LastLogin>"
    "<OpenSessions>1</OpenSessions><TimeOut>20</TimeOut><NetworkID>1</NetworkID><MailboxID>2</MailboxID>"
    "</WhoAmIResult></WhoAmIResponse>"
)


class ValidateTest(unittest.TestCase):
    def test_valid_login_response(self):
        self.assertEqual(validate_schema.validate(envelope11(LOGIN_OK)), [])
        self.assertEqual(validate_schema.validate(envelope12(LOGIN_OK)), [])

    def test_valid_whoami_response(self):
        self.assertEqual(validate_schema.validate(envelope11(WHOAMI_OK)), [])

    def test_extra_element_fails(self):
        body = f'<LoginResponse xmlns="{V41}"><LoginResult>abc</LoginResult><Extra>x</Extra></LoginResponse>'
        errors = validate_schema.validate(envelope11(body))
        self.assertTrue(errors)
        self.assertIn("Extra", "\n".join(errors))

    def test_wrong_type_and_enum_fail(self):
        self.assertTrue(
            validate_schema.validate(envelope11(f'<LogoutResponse xmlns="{V41}"><LogoutResult>x</LogoutResult></LogoutResponse>'))
        )
        self.assertTrue(validate_schema.validate(envelope11(WHOAMI_OK.replace("MailboxUser", "Nobody"))))

    def test_wrong_namespace_fails(self):
        body = LOGIN_OK.replace(V41, "http://ecgridos.net/")
        self.assertTrue(validate_schema.validate(envelope11(body)))
        self.assertEqual(validate_schema.validate(envelope11(body), ORIGINALS / "ECGridOS-v3.2.wsdl"), [])

    def test_faults_are_checked_for_shape(self):
        fault11 = (
            "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>bad</faultstring>"
            "<detail><ECGridOSSOAPErrorCode>Authentication</ECGridOSSOAPErrorCode></detail></soap:Fault>"
        )
        self.assertEqual(validate_schema.validate(envelope11(fault11)), [])
        no_code = fault11.replace("<ECGridOSSOAPErrorCode>Authentication</ECGridOSSOAPErrorCode>", "")
        self.assertTrue(validate_schema.validate(envelope11(no_code)))
        self.assertTrue(validate_schema.validate(envelope11(fault11.replace("soap:Client", "Oops"))))
        fault12 = (
            "<soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code>"
            '<soap:Reason><soap:Text xml:lang="en">down</soap:Text></soap:Reason>'
            "<soap:Detail><ECGridOSSOAPErrorCode>SystemError</ECGridOSSOAPErrorCode></soap:Detail></soap:Fault>"
        )
        self.assertEqual(validate_schema.validate(envelope12(fault12)), [])
        self.assertTrue(validate_schema.validate(envelope12(fault12.replace("soap:Receiver", "soap:Client"))))

    def test_cli_exit_status(self):
        import contextlib
        import io
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            good = Path(tmp) / "good.xml"
            good.write_bytes(envelope11(LOGIN_OK))
            bad = Path(tmp) / "bad.xml"
            bad.write_bytes(envelope11(LOGIN_OK.replace("</LoginResult>", "</LoginResult><Extra/>")))
            self.assertEqual(validate_schema.main([str(good)]), 0)
            with contextlib.redirect_stderr(io.StringIO()):
                self.assertEqual(validate_schema.main([str(bad)]), 1)


class ServedWsdlTest(unittest.TestCase):
    def test_served_schemas_load_offline_and_validate(self):
        for path in SERVED:
            schema = validate_schema.load_schema(path)
            self.assertIn(f"{{{schema.target_namespace}}}LoginResponse", schema.maps.elements, path)
            body = LOGIN_OK.replace(V41, schema.target_namespace)
            self.assertEqual(validate_schema.validate(envelope11(body), path), [], path)

    def test_served_schema_agrees_with_the_original(self):
        original = validate_schema.load_schema(ORIGINALS / "ECGridOS-v4.1.wsdl")
        self.assertEqual(validate_schema.validate(envelope11(WHOAMI_OK), SERVED[0]), [])
        self.assertEqual(validate_schema.validate(envelope11(WHOAMI_OK), ORIGINALS / "ECGridOS-v4.1.wsdl"), [])
        self.assertIsNotNone(original)

    def test_zeep_loads_served_wsdls_offline(self):
        import zeep  # installed by tests/run.sh; a missing zeep is a failure, not a skip

        for path in SERVED:
            client = zeep.Client(str(path))
            service = next(iter(client.wsdl.services.values()))
            ports = list(service.ports.values())
            self.assertEqual(len(ports), 2, path)
            operations = set(ports[0].binding._operations)
            self.assertIn("Login", operations, path)
            self.assertEqual(operations, set(ports[1].binding._operations), path)


if __name__ == "__main__":
    unittest.main()
