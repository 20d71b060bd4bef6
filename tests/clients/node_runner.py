"""Running one of the suite's node ``soap`` scripts (``node/*.js``).

Each script takes a JSON config file and prints one JSON report on stdout
(``node/soap_steps.js``); a webhook's password travels in ``HOOK_PASSWORD``,
not in the config file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
NODE_TIMEOUT_S = 60


def run_node_script(script: str, config: dict, hook_password: str, workdir: Path) -> dict:
    """Run ``node/<script>`` with ``config`` (written to ``workdir``); its parsed JSON report."""
    node = shutil.which("node")
    assert node, "node is not installed (tests/run.sh needs Node 20 with npm)"
    assert (HERE / "node_modules" / "soap").is_dir(), "node_modules/soap is missing: run `npm ci` in tests/clients"
    config_path = workdir / f"{Path(script).stem}-config.json"
    config_path.write_text(json.dumps(config))
    done = subprocess.run(
        [node, str(HERE / "node" / script), str(config_path)],
        cwd=HERE,
        capture_output=True,
        timeout=NODE_TIMEOUT_S,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOOK_PASSWORD": hook_password},
    )
    assert done.returncode == 0, f"{script} failed: {done.stdout.decode()[-2000:]} {done.stderr.decode()[-2000:]}"
    return json.loads(done.stdout)
