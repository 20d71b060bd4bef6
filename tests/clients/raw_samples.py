"""The published raw-HTTP SOAP samples, extracted from ../shared and run.

The Python and Node.js samples of ``getting-started/connecting-via-soap.md``,
``getting-started/quick-start-soap.md`` and the callbacks guide seed
(``seeds/guide-configure-callbacks.txt``) are taken from the reference files
at test time (never copied into the repository) and executed as published,
with the substitutions a user of the sample makes and nothing else:

* the host: ``https://os.ecgrid.io`` becomes the gateway's loopback URL;
* the sample's placeholder credentials (``user@example.com`` /
  ``YourPassword1!``, ``ECGRID_USER`` / ``ECGRID_PASS``) become the
  sandbox's demo account; ``YOUR_SESSION_ID`` becomes a live SessionID;
* the guide's callback URL becomes the loopback receiver (nothing may be
  delivered outside the machine).

Every HTTP exchange the sample makes is captured (request headers and
bytes exactly as the sample's HTTP library sent them, response status and
body) by wrapping ``requests.post`` (Python) or ``fetch`` (Node) without
changing them. C# and Java samples are not run (no toolchain in CI).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parents[2] / "shared" / "reference"
DOCS = REFERENCE / "ecgrid-docs" / "getting-started"
GUIDE = REFERENCE / "seeds" / "guide-configure-callbacks.txt"
PUBLISHED_ENDPOINT = "https://os.ecgrid.io/v4.1/prod/ECGridOS.asmx"
NODE_TIMEOUT_S = 30


@dataclass
class Sample:
    """One published code sample: where it is, its language, its code."""

    name: str  # e.g. "quick-start-soap.md:174 (Python)"
    language: str  # "python" | "javascript"
    code: str
    also_at: list[int] = field(default_factory=list)  # identical copies further down


@dataclass
class Exchange:
    """One HTTP request a sample made and the answer it got."""

    headers: dict[str, str]
    body: bytes
    status: int
    response: bytes


@dataclass
class Run:
    """What running a sample produced."""

    exchanges: list[Exchange]
    variables: dict  # the sample's variables that hold what it read
    error: str | None  # what the sample raised, if it raised
    stdout: str = ""


def _fenced_blocks(path: Path, language: str) -> list[Sample]:
    """Fenced code blocks of one language, identical copies folded together."""
    text = path.read_text(encoding="utf-8")
    samples: dict[str, Sample] = {}
    for match in re.finditer(rf"^```{language}\n(.*?)^```", text, re.M | re.S):
        line = text.count("\n", 0, match.start()) + 1
        code = match.group(1)
        if code in samples:
            samples[code].also_at.append(line)
        else:
            label = "Python" if language == "python" else "Node.js"
            samples[code] = Sample(f"{path.name}:{line} ({label})", language, code)
    return list(samples.values())


def _guide_block(start: str, end: str, language: str) -> Sample:
    """The seed's plain-text sample from the line starting ``start`` to ``end``."""
    lines = GUIDE.read_text(encoding="utf-8").splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    last = next(i for i in range(first, len(lines)) if lines[i].startswith(end))
    label = "Python" if language == "python" else "Node.js"
    return Sample(f"{GUIDE.name}:{first + 1} ({label})", language, "".join(lines[first : last + 1]))


def published_samples() -> list[Sample]:
    """Every Python and Node.js raw-HTTP SOAP sample, in document order."""
    samples: list[Sample] = []
    for doc in ("connecting-via-soap.md", "quick-start-soap.md"):
        for language in ("python", "javascript"):
            samples += _fenced_blocks(DOCS / doc, language)
    samples.append(_guide_block("import requests", "print(resp.text)", "python"))
    samples.append(_guide_block("// Node.js 18+ — SOAP CallBackAdd", "console.log(await response.text())", "javascript"))
    return samples


def substitute(code: str, gateway_url: str, session_id: str, hook_url: str, login: str, password: str) -> str:
    """The sample as its user would run it against the gateway (see module doc)."""
    replacements = {
        PUBLISHED_ENDPOINT: gateway_url,
        "user@example.com": login,
        "YourPassword1!": password,
        "YOUR_SESSION_ID": session_id,
        "https://your-app.example.com/webhooks/ecgrid": hook_url,
    }
    for old, new in replacements.items():
        code = code.replace(old, new)
    return code


def run_python(code: str, env: dict[str, str]) -> Run:
    """exec() the sample with requests.post wrapped to capture exchanges."""
    import contextlib
    import io

    import requests

    exchanges: list[Exchange] = []
    real_post = requests.post

    def capturing_post(url, data=None, headers=None, **kwargs):
        response = real_post(url, data=data, headers=headers, timeout=30, **kwargs)
        sent = response.request
        exchanges.append(Exchange(dict(sent.headers), sent.body or b"", response.status_code, response.content))
        return response

    namespace: dict = {"__name__": "published_sample"}
    saved_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    requests.post = capturing_post
    out = io.StringIO()
    error = None
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<published sample>", "exec"), namespace)  # noqa: S102 - the published sample
    except Exception as err:  # noqa: BLE001 - the sample's own failure is data
        error = f"{type(err).__name__}: {err}"
    finally:
        requests.post = real_post
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    variables = {k: v for k, v in namespace.items() if not k.startswith("__") and isinstance(v, (str, int, bytes))}
    for key, value in namespace.items():
        if hasattr(value, "text") and hasattr(value, "status_code"):
            variables[key + ".text"] = value.text
    return Run(exchanges, variables, error, out.getvalue())


_NODE_PRELUDE = """
const __exchanges = [];
const __realFetch = globalThis.fetch;
globalThis.fetch = async (url, init = {}) => {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) throw new Error(`refusing non-loopback ${url}`);
  const response = await __realFetch(url, init);
  const copy = response.clone();
  __exchanges.push({ headers: init.headers || {}, body: String(init.body || ''),
                     status: response.status, response: await copy.text() });
  return response;
};
process.on('exit', () => {
  require('fs').writeFileSync(process.env.SAMPLE_REPORT, JSON.stringify({ exchanges: __exchanges, variables: __vars() }));
});
"""


def run_node(code: str, env: dict[str, str], variables: list[str], report: Path) -> Run:
    """Run the sample as an ES module with fetch wrapped to capture exchanges."""
    getters = ", ".join(f"{name}: (() => {{ try {{ return {name}; }} catch {{ return undefined; }} }})()" for name in variables)
    # The sample runs verbatim at module top level; __vars() (called at exit,
    # when its top-level declarations exist) reads the variables it set.
    body = (
        "import { createRequire } from 'module';\nconst require = createRequire(import.meta.url);\n"
        + _NODE_PRELUDE
        + f"function __vars() {{ return {{ {getters} }}; }}\n"
        + code
    )
    script = report.with_suffix(".mjs")
    script.write_text(body, encoding="utf-8")
    done = subprocess.run(
        ["node", str(script)],
        capture_output=True,
        timeout=NODE_TIMEOUT_S,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SAMPLE_REPORT": str(report), **env},
    )
    data = json.loads(report.read_text(encoding="utf-8"))
    exchanges = [
        Exchange(
            {k: str(v) for k, v in e["headers"].items()},
            e["body"].encode("utf-8"),
            e["status"],
            e["response"].encode("utf-8"),
        )
        for e in data["exchanges"]
    ]
    error = done.stderr.decode()[-500:] if done.returncode else None
    return Run(exchanges, data["variables"], error, done.stdout.decode())


if __name__ == "__main__":
    for found in published_samples():
        print(found.name)
