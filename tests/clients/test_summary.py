"""Session summary: zero schema violations, and the README's matrix is current.

These tests are marked ``summary`` and run after every other test of the
session (conftest.py orders them), reading the shared ``Record``.
"""

from __future__ import annotations

import difflib
import os

import pytest

import matrix
from conftest import REPO

README = REPO / "README.md"


@pytest.mark.summary
def test_every_response_body_validates_against_the_original_schema(record):
    assert record.bodies_validated > 0, "no response body was validated"
    assert record.violations == []


@pytest.mark.summary
def test_readme_compatibility_matrix_is_generated_from_this_run(record):
    assert record.outcomes and record.samples, "no client or sample results were recorded"
    generated = matrix.render(record)
    readme = README.read_text(encoding="utf-8")
    if matrix.current_block(readme) == generated:
        return
    if os.environ.get("UPDATE_MATRIX") == "1":
        README.write_text(matrix.replace_block(readme, generated), encoding="utf-8")
        return
    diff = "\n".join(
        difflib.unified_diff(
            matrix.current_block(readme).splitlines(), generated.splitlines(), "README.md", "generated", lineterm=""
        )
    )
    pytest.fail(f"README.md's compatibility matrix differs from this run (UPDATE_MATRIX=1 rewrites it):\n{diff}")
