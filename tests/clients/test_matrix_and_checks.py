"""Unit tests of the suite's own judges: checks.check and matrix.render.

A suite that cannot fail proves nothing: these feed wrong answers and
failed steps in and require them to show up as failures.
"""

from __future__ import annotations

import checks
import matrix
from results import Record


def ctx(soap="1.1"):
    return checks.FlowContext(soap=soap, hook_url="http://127.0.0.1:1/h", hook_user="u")


def test_fault_checks_want_the_right_code_for_the_soap_version():
    sender = {"fault": {"code": "soap:Sender", "errorCode": "Authentication"}}
    assert checks.check("Fault: wrong password", sender, ctx("1.2")) is None
    assert checks.check("Fault: wrong password", sender, ctx("1.1")) is not None
    wrong_kind = {"fault": {"code": "soap:Client", "errorCode": "ObjectNotFound"}}
    assert checks.check("Fault: stale session", wrong_kind, ctx()) is not None
    assert checks.check("Fault: unknown id", wrong_kind, ctx()) is None
    assert checks.check("Fault: unknown id", {"CallBackQueueInfoResult": {}}, ctx()) is not None


def test_answer_checks_reject_wrong_values():
    c = ctx()
    assert checks.check("Login", {"LoginResult": "not-a-guid"}, c) is not None
    assert checks.check("Login", {"LoginResult": "0123ABCD-0000-1111-2222-333344445555"}, c) is None
    assert checks.check("WhoAmI", {"WhoAmIResult": {"LoginName": "other", "SessionID": c.session_id}}, c) is not None
    assert checks.check("NowUTC", {"NowUTCResult": "2001-01-01T00:00:00Z"}, c) is not None
    c.callback_id = 7
    no_delivery = {"CallBackTestResult": {"CallBackQueueID": 7, "CallBackLog": {"CallBackLogInfo": [{"ReturnCode": 500}]}}}
    assert checks.check("CallBackTest", no_delivery, c) is not None
    assert checks.check("Unheard-of step", {}, c) is not None


def test_matrix_marks_failures_missing_cells_and_not_applicable():
    record = Record()
    for step in checks.STEPS:
        record.step("zeep · served v4.1 WSDL", step, "1.1", None)
    record.step("zeep · served v4.1 WSDL", "Login", "1.2", "boom")
    record.not_applicable("zeep · served v4.1 WSDL", "WhoAmI", "1.2", "library has no SOAP 1.2")
    table = matrix.render(record)
    row = next(line for line in table.splitlines() if line.startswith("| zeep"))
    cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
    assert cells[0] == "✓"  # Login 1.1
    assert cells[1] == "✗"  # Login 1.2 failed
    assert cells[3] == "n/a[^1]"  # WhoAmI 1.2
    assert cells[5] == "✗"  # Version 1.2 never ran
    assert "[^1]: library has no SOAP 1.2" in table


def test_replace_block_keeps_the_rest_of_the_readme():
    readme = f"head\n{matrix.BEGIN}\nold\n{matrix.END}\ntail\n"
    updated = matrix.replace_block(readme, "\nnew\n")
    assert updated == f"head\n{matrix.BEGIN}\nnew\n{matrix.END}\ntail\n"
    assert matrix.current_block(updated) == "\nnew\n"
