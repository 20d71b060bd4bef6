"""The suite's record: one outcome per (client, WSDL, step, SOAP version),
and every response body seen, validated against the original WSDL's schema.

Conftest keeps one ``Record`` for the session; drivers call ``step()`` and
``body()``; the summary tests read it back (matrix, zero violations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import validate_schema

SHARED_WSDL = Path(__file__).resolve().parents[3] / "shared" / "reference" / "wsdl"
ORIGINAL_V41 = SHARED_WSDL / "ECGridOS-v4.1.wsdl"
ORIGINAL_V32 = SHARED_WSDL / "ECGridOS-v3.2.wsdl"

#: The gateway's served v4.1 WSDL (generated from the original).
SERVED_V41 = Path(__file__).resolve().parents[2] / "wsdl" / "ECGridOS.wsdl"
#: Responses of operations the original WSDL lacks: ``CallBackAdd`` exists
#: only in the callbacks guide (its reference form); the served WSDL declares
#: it with the original's types, so its answer is validated against that.
NOT_IN_ORIGINAL = (b"<CallBackAddResponse ",)

#: The namespace of the published raw samples; no WSDL declares it. The
#: gateway answers in it (the request's namespace), with the v4.1 shapes.
PUBLISHED_NS = b"http://www.ecgridos.net/"
V41_NS = b"https://os.ecgrid.io/"


def retarget_published_namespace(body: bytes) -> bytes:
    """The body with the samples' namespace URI written as v4.1's.

    A response in ``http://www.ecgridos.net/`` cannot be validated against
    either original WSDL as it stands; with only the namespace URI swapped,
    its elements, order and types are validated against the v4.1 schema.
    """
    return body.replace(b'"' + PUBLISHED_NS + b'"', b'"' + V41_NS + b'"')


@dataclass(frozen=True)
class Outcome:
    """One cell of the compatibility matrix."""

    client: str  # row: client and WSDL source, e.g. "zeep · original v4.1 WSDL"
    step: str  # operation or fault path
    soap: str  # "1.1" | "1.2"
    outcome: str  # "pass" | "fail" | "n/a: reason"
    detail: str = ""


@dataclass(frozen=True)
class SampleOutcome:
    """One replayed raw-HTTP sample from the published documentation."""

    sample: str
    operation: str
    outcome: str  # "pass" | "fail"
    note: str


@dataclass
class Record:
    """Everything the session saw."""

    outcomes: list[Outcome] = field(default_factory=list)
    samples: list[SampleOutcome] = field(default_factory=list)
    bodies_validated: int = 0
    violations: list[str] = field(default_factory=list)

    def body(self, label: str, data: bytes | str | None, wsdl: Path) -> list[str]:
        """Validate one response body; remember and return its violations."""
        if data is None:
            problems = ["no response body was captured"]
        else:
            raw = data.encode("utf-8") if isinstance(data, str) else data
            if wsdl == ORIGINAL_V41:
                raw = retarget_published_namespace(raw)
                if any(marker in raw for marker in NOT_IN_ORIGINAL):
                    wsdl = SERVED_V41
            problems = validate_schema.validate(raw, wsdl)
            self.bodies_validated += 1
        self.violations.extend(f"{label}: {p}" for p in problems)
        return problems

    def step(self, client: str, step: str, soap: str, problem: str | None) -> None:
        """Record a step: pass when ``problem`` is None, else fail with it."""
        self.outcomes.append(Outcome(client, step, soap, "fail" if problem else "pass", problem or ""))

    def not_applicable(self, client: str, step: str, soap: str, reason: str) -> None:
        """Record that a client cannot do this at all (with why)."""
        self.outcomes.append(Outcome(client, step, soap, f"n/a: {reason}"))
