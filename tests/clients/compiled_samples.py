"""The published C# and Java raw-HTTP samples, as the bytes they would send.

No .NET or JDK runs in CI, so these samples are not executed; instead their
request is rebuilt exactly as the language would build it, from the code in
``../shared`` at test time:

* Java string concatenation (``"…" + ns + "…"``) and text blocks
  (``\"\"\"…\"\"\".formatted(a, b)``: incidental indentation and trailing
  spaces stripped, a final newline kept, ``%s`` filled in);
* C# raw interpolated strings (``$\"\"\"…\"\"\"``: the closing delimiter's
  indentation removed from every line, ``{name}`` filled in) and
  interpolated strings (``$"\\"{Namespace}{methodName}\\""``);
* headers as the sample sets them (``StringContent(…, Encoding.UTF8,
  "text/xml")`` sends ``text/xml; charset=utf-8``).

``compiled_samples()`` returns one ``Replay`` per sample, with placeholders
(``{email}``, ``YOUR_SESSION_ID``, …) left for the test to fill in, the
element the sample reads from the answer (in the SOAPAction's namespace).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import raw_samples

JAVA_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|[A-Za-z_]\w*|\+|\s+')


@dataclass
class Replay:
    """A sample's request, rebuilt, and how the sample reads the answer."""

    name: str
    envelope: str
    headers: dict[str, str]
    reads: str  # element the sample's code reads (or "" when it only prints)


def _unescape(literal: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), literal)


def java_concat(expr: str, env: dict[str, str]) -> str:
    """Evaluate a Java ``+`` chain of string literals and variables."""
    out = []
    for token in JAVA_TOKEN.findall(expr):
        if token.startswith('"'):
            out.append(_unescape(token[1:-1]))
        elif token.strip() and token != "+":
            out.append(env[token])
    return "".join(out)


def java_text_block(block: str, args: list[str]) -> str:
    """A Java text block's value (JLS 3.10.6), then ``.formatted(args)``."""
    lines = block.split("\n")[1:]  # the opening line holds only the delimiter
    closing = lines[-1]  # whitespace before the closing delimiter
    content = [line.rstrip(" \t") for line in lines[:-1]]
    indent = min([len(line) - len(line.lstrip()) for line in content if line.strip()] + [len(closing)])
    text = "\n".join(line[indent:] for line in content) + "\n"
    for arg in args:
        text = text.replace("%s", arg, 1)
    return text


def csharp_raw(block: str, env: dict[str, str]) -> str:
    """A C# ``$\"\"\"`` raw interpolated string's value."""
    lines = block.split("\n")[1:]
    indent = lines[-1]
    text = "\n".join(line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in lines[:-1])
    return re.sub(r"\{(\w+)\}", lambda m: env[m.group(1)], text)


def csharp_interpolated(literal: str, env: dict[str, str]) -> str:
    """A C# ``$"…"`` interpolated string's value."""
    return re.sub(r"\{(\w+)\}", lambda m: env[m.group(1)], _unescape(literal))


def _blocks(doc: str, language: str) -> list[tuple[int, str]]:
    text = (raw_samples.DOCS / doc).read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 1, m.group(1))
        for m in re.finditer(rf"^```{language}\n(.*?)^```", text, re.M | re.S)
    ]


def _java_vars(code: str) -> dict[str, str]:
    """Every ``String name = <concatenation>;`` of the sample, in order."""
    env: dict[str, str] = {}
    for match in re.finditer(r'String (\w+) = ("(?!"").*?);\n', code, re.S):
        try:
            env[match.group(1)] = java_concat(match.group(2), env)
        except KeyError:  # uses System.getenv(...) or the like: not a literal
            continue
    return env


def _java_replay(name: str, code: str, reads: str) -> Replay:
    env = _java_vars(code)
    match = re.search(r'String (?:envelope|loginEnv|addEnv) = (""".*?""")\.formatted\(([^)]*)\);', code, re.S)
    if match:
        args = [f"{{{a.strip()}}}" for a in match.group(2).split(",")]  # placeholders {username}, {password}
        envelope = java_text_block(match.group(1)[3:-3], args)
    else:
        expr = re.search(r"String (?:envelope|loginEnv|addEnv) = (.*?);\n", code, re.S).group(1)
        envelope = java_concat(expr, env)
    headers = {
        m.group(1): java_concat(m.group(2), env)
        for m in re.finditer(r'\.header\("([\w-]+)", (.*?)\)\n', code)
    }
    return Replay(name, envelope, headers, reads)


def compiled_samples() -> list[Replay]:
    """Every C# and Java raw-HTTP SOAP sample of the reference docs."""
    replays: list[Replay] = []
    # connecting-via-soap.md: Option 1 in C# (the others use generated proxies).
    line, code = _blocks("connecting-via-soap.md", "csharp")[0]
    namespace = re.search(r'const string Namespace = "([^"]+)";', code).group(1)
    body = csharp_raw(re.search(r'var body = \$(""".*?""");', code, re.S).group(1)[3:-3], {"email": "{email}", "password": "{password}"})
    envelope = csharp_raw(
        re.search(r'var envelope = \$(""".*?""");', code, re.S).group(1)[3:-3], {"Namespace": namespace, "soapBody": body}
    )
    method = re.search(r'SendSoapAsync\(factory, "(\w+)"', code).group(1)
    action = csharp_interpolated(
        re.search(r'Headers\.Add\("SOAPAction", \$"((?:\\.|[^"\\])*)"\)', code).group(1),
        {"Namespace": namespace, "methodName": method},
    )
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action}
    replays.append(Replay(f"connecting-via-soap.md:{line} (C#)", envelope, headers, "LoginResult"))
    # connecting-via-soap.md: the Java raw-HTTP samples of all three options.
    for line, code in _blocks("connecting-via-soap.md", "java"):
        replays.append(_java_replay(f"connecting-via-soap.md:{line} (Java)", code, "LoginResult"))
    # quick-start-soap.md: C# and Java Login.
    line, code = _blocks("quick-start-soap.md", "csharp")[0]
    envelope = csharp_raw(
        re.search(r'var envelope = \$(""".*?""");', code, re.S).group(1)[3:-3],
        {"username": "{username}", "password": "{password}"},
    )
    action = _unescape(re.search(r'Headers\.Add\("SOAPAction", "((?:\\.|[^"\\])*)"\)', code).group(1))
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action}
    replays.append(Replay(f"quick-start-soap.md:{line} (C#)", envelope, headers, "LoginResult"))
    line, code = _blocks("quick-start-soap.md", "java")[0]
    replays.append(_java_replay(f"quick-start-soap.md:{line} (Java)", code, "LoginResult"))
    # The callbacks guide seed: the Java CallBackAdd sample.
    lines = raw_samples.GUIDE.read_text(encoding="utf-8").splitlines(keepends=True)
    first = next(i for i, text in enumerate(lines) if text.startswith("// Java 11+ — SOAP CallBackAdd"))
    last = next(i for i in range(first, len(lines)) if lines[i].startswith("System.out.println(response.body())"))
    replays.append(_java_replay(f"{raw_samples.GUIDE.name}:{first + 1} (Java)", "".join(lines[first : last + 1]), ""))
    return replays


if __name__ == "__main__":
    for replay in compiled_samples():
        print("=====", replay.name, replay.headers, replay.reads)
        print(replay.envelope)
