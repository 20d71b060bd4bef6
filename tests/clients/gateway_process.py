"""Start and stop the gateway binary for the client suite.

``GatewayProcess.start()`` runs ``target/debug/ecgrid-gateway serve --sandbox
--allow-http-callbacks --listen 127.0.0.1:0`` (built by ``tests/run.sh``'s
``cargo build`` stage), reads the one banner line from its stdout within a
bounded time, and takes the real bound address from it.
"""

from __future__ import annotations

import re
import selectors
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BINARY = REPO / "target" / "debug" / "ecgrid-gateway"
BANNER = re.compile(r"listening on (http://[0-9.:]+) .*upstream: embedded sandbox at (http://[0-9.:]+)")
START_TIMEOUT_S = 30.0

PATH_V41 = "/v4.1/prod/ECGridOS.asmx"
PATH_V32 = "/v3.2/prod/ecgridos.asmx"


@dataclass
class GatewayProcess:
    """A running gateway: its base URL, its sandbox's URL, and the process."""

    base_url: str
    sandbox_url: str
    process: subprocess.Popen = field(repr=False)

    @property
    def v41(self) -> str:
        """The v4.1 SOAP endpoint URL."""
        return self.base_url + PATH_V41

    @property
    def v32(self) -> str:
        """The v3.2 SOAP endpoint URL."""
        return self.base_url + PATH_V32

    @classmethod
    def start(cls, log_path: Path, extra_args: list[str] | None = None) -> "GatewayProcess":
        """Start the gateway (with ``extra_args`` after the defaults); fail
        clearly when the binary is missing or silent."""
        if not BINARY.is_file():
            raise RuntimeError(f"{BINARY} is missing: run `cargo build` first (tests/run.sh does)")
        log = open(log_path, "wb")
        process = subprocess.Popen(
            [str(BINARY), "serve", "--sandbox", "--allow-http-callbacks", "--listen", "127.0.0.1:0", *(extra_args or [])],
            stdout=subprocess.PIPE,
            stderr=log,
            env={"RUST_LOG": "warn", "PATH": "/usr/bin:/bin"},
        )
        log.close()
        line = _read_line(process, START_TIMEOUT_S)
        match = BANNER.search(line)
        if match is None:
            process.kill()
            process.wait(timeout=10)
            raise RuntimeError(f"gateway did not print its banner (got {line!r}); log: {log_path}")
        return cls(base_url=match.group(1), sandbox_url=match.group(2), process=process)

    def stop(self) -> None:
        """Stop the gateway (SIGTERM, then SIGKILL after 10 s)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _read_line(process: subprocess.Popen, timeout_s: float) -> str:
    """One line of the process's stdout, waiting at most ``timeout_s``."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    data = b""
    try:
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                break
            chunk = process.stdout.read1(4096)  # type: ignore[attr-defined]
            if not chunk:
                break
            data += chunk
    finally:
        selector.close()
    return data.decode("utf-8", "replace")
