"""Headless Chromium opens the gateway's pages and invokes Login from a form.

``browser/pages.js`` (playwright-core driving Debian's ``chromium``, which
``tests/run.sh`` installs when missing) opens ``/`` (a redirect to the v4.1
endpoint page), clicks through to Login's ``?op=Login`` page, fills the form
with the sandbox's demo credentials and invokes it against the suite's
gateway (``serve --sandbox``). The answer must be HTTP 200 with a
``LoginResult`` that is a SessionID. Screenshots are kept in
``target/pages/`` for review. A Chromium that is missing or cannot start
fails the test; nothing is skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import checks
from conftest import REPO

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "browser" / "pages.js"
SHOTS = REPO / "target" / "pages"
TIMEOUT_S = 120
SESSION_ID = re.compile(r"<LoginResult>([0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})</LoginResult>")


def test_pages_in_headless_chromium(gateway, tmp_path):
    node = shutil.which("node")
    assert node, "node is not installed (tests/run.sh needs Node 20 with npm)"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed (tests/run.sh installs Debian's chromium package)"
    assert (HERE / "node_modules" / "playwright-core").is_dir(), "node_modules/playwright-core is missing: run `npm ci` in tests/clients"
    config = tmp_path / "pages-config.json"
    config.write_text(
        json.dumps(
            {
                "endpoint": gateway.v41,
                "login": checks.DEMO_LOGIN,
                "password": checks.DEMO_PASSWORD,
                "shots": str(SHOTS),
                "chromium": chromium,
            }
        )
    )
    done = subprocess.run(
        [node, str(SCRIPT), str(config)],
        cwd=HERE,
        capture_output=True,
        timeout=TIMEOUT_S,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, f"pages.js failed: {done.stderr.decode()[-3000:]}"
    report = json.loads(done.stdout)

    assert report["rootUrl"] == gateway.v41, report["rootUrl"]
    assert report["rootStatus"] == 200
    assert "Login" in report["operations"] and "WhoAmI" in report["operations"], report["operations"]
    assert "serif" not in report["fontFamily"].replace("sans-serif", ""), report["fontFamily"]
    assert report["loginUrl"] == gateway.v41 + "?op=Login"
    assert report["loginHeading"] == "Login"
    assert report["samples"] == 4, "SOAP 1.1 and 1.2, request and response"
    assert report["answerStatus"] == "200", report["answer"]
    assert SESSION_ID.search(report["answer"]), report["answer"]
    assert all(url.startswith(gateway.base_url) for url in report["requests"]), report["requests"]
    for shot in ("endpoint.png", "login.png"):
        assert (SHOTS / shot).stat().st_size > 10_000, shot
