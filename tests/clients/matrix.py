"""The README's compatibility matrix, written from the suite's ``Record``.

``render(record)`` returns the markdown that goes between the
``BEGIN/END COMPATIBILITY MATRIX`` markers of README.md: one table of client
and WSDL source × workflow step × SOAP version (✓ pass, ✗ fail, n/a with a
footnote), and one table of the published raw-HTTP samples.
``replace_block(readme, block)`` swaps it in.
"""

from __future__ import annotations

import re

import checks
from results import Record

BEGIN = "<!-- BEGIN COMPATIBILITY MATRIX -->"
END = "<!-- END COMPATIBILITY MATRIX -->"
SOAP_VERSIONS = ("1.1", "1.2")
CELL = {"pass": "✓", "fail": "✗"}


def _row_key(row: str) -> tuple:
    """Rows in a stable order: client, then v4.1 before v3.2, served first."""
    client, _, source = row.partition(" · ")
    return (client, "v3.2" in source, "original" in source, source)


def _client_table(record: Record) -> list[str]:
    cells: dict[tuple[str, str, str], str] = {}
    for outcome in record.outcomes:
        key = (outcome.client, outcome.step, outcome.soap)
        # A step recorded twice keeps its worst outcome.
        if cells.get(key) != "fail":
            cells[key] = outcome.outcome
    rows = sorted({client for client, _, _ in cells}, key=_row_key)
    columns = [(step, soap) for step in checks.STEPS for soap in SOAP_VERSIONS]
    footnotes: list[str] = []
    lines = [
        "| client · WSDL | " + " | ".join(f"{step} {soap}" for step, soap in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for row in rows:
        rendered = []
        for step, soap in columns:
            value = cells.get((row, step, soap), "fail")  # never run is a failure
            if value.startswith("n/a"):
                reason = value.split(":", 1)[1].strip()
                if reason not in footnotes:
                    footnotes.append(reason)
                rendered.append(f"n/a[^{footnotes.index(reason) + 1}]")
            else:
                rendered.append(CELL[value])
        lines.append(f"| {row} | " + " | ".join(rendered) + " |")
    lines += ["", *(f"[^{i}]: {reason}" for i, reason in enumerate(footnotes, 1))] if footnotes else []
    return lines


def _sample_table(record: Record) -> list[str]:
    lines = ["| published sample | operation | result | what the suite saw |", "|---|---|---|---|"]
    for sample in record.samples:
        lines.append(f"| `{sample.sample}` | {sample.operation} | {CELL[sample.outcome]} | {sample.note} |")
    return lines


def render(record: Record) -> str:
    """The generated block (without the markers)."""
    return "\n".join(
        [
            "",
            "_Written by the client suite (`tests/clients/`, `UPDATE_MATRIX=1 bash tests/run.sh`) from its results;"
            " do not edit by hand._",
            "",
            *_client_table(record),
            "",
            *_sample_table(record),
            "",
            f"Response bodies validated against the original WSDLs' schema: {record.bodies_validated};"
            f" violations: {len(record.violations)}.",
            "",
        ]
    )


def current_block(readme: str) -> str:
    """The text between the markers of ``readme``."""
    match = re.search(re.escape(BEGIN) + r"(.*?)" + re.escape(END), readme, re.S)
    if match is None:
        raise ValueError(f"README.md has no {BEGIN} … {END} section")
    return match.group(1)


def replace_block(readme: str, block: str) -> str:
    """``readme`` with the text between the markers replaced by ``block``."""
    current_block(readme)  # raises when the markers are missing
    start = readme.index(BEGIN) + len(BEGIN)
    return readme[:start] + block + readme[readme.index(END) :]
