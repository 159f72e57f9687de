"""Run the fault suite and rewrite docs/reliability.md from what it recorded.

    python -m tests.faults.report        (or: python tests/faults/report.py)

Each fault test records its scenario, trial count and detail through the ``fault_report`` fixture
(tests/faults/conftest.py); PROJ_TUI_FAULT_REPORT tells the conftest where to write them as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"

HEADER = """# Reliability and security: what was tried

Regenerate this page (it runs the whole fault suite, about a minute):

    python -m tests.faults.report

The suite lives in `tests/faults/` (marker `faults`, part of the default `python -m pytest -q`). Every test
starts real `python -m proj_tui` processes on real SQLite files under a temporary directory, and is bounded
in time. Nodes that misbehave live in a generated project (`tests/faults/_project.py`).

How the worst cases are handled:
- **A run process that dies without a word** (SIGKILL, segfault, `os._exit` in a node): `proj-tui run`
  forks a tiny watchdog before anything else (`src/proj_tui/cli/watchdog.py`). When the run's end of the
  pipe closes without a "done", the watchdog marks the session `crashed` at once, prints one `Error:` line
  naming the session and the running node, and ends `--events json` with `session_finished` status
  `crashed`. When the whole process group is SIGKILLed (the app's last cancel stage), the next reader
  of the store reaps the session (its pid is gone). Set `PROJ_TUI_NO_WATCHDOG=1` to disable it.
- **A damaged store** is never reset: every command names the file and exits 2.
  `proj-tui sessions repair` copies the file (and -wal/-shm) to `sessions.db.broken-<time>` and rebuilds
  the store from every row SQLite can still read.
- **Secrets**: credential values and the values of secret-looking environment variables (8+ characters)
  are scrubbed from log lines, node errors, tracebacks, the terminal display and the event stream;
  `--env-var NAME=value` with a secret-looking name is recorded as `NAME=<redacted>`.

"""


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "faults.json"
        env = {**os.environ, "PROJ_TUI_FAULT_REPORT": str(target)}
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/faults"],
            cwd=ROOT,
            env=env,
        )
        elapsed = time.monotonic() - started
        rows = json.loads(target.read_text()) if target.exists() else []
    lines = [
        HEADER,
        f"Last run: {time.strftime('%Y-%m-%d %H:%M')} — {len(rows)} scenarios, "
        f"{sum(int(r.get('trials', 1)) for r in rows)} trials, {elapsed:.0f} s, "
        f"pytest exit code {result.returncode}.\n",
    ]
    for area in dict.fromkeys(r["area"] for r in rows):
        lines.append(
            f"\n## {area.capitalize()}\n\n| scenario | trials | result | detail |\n|---|---|---|---|\n"
        )
        for row in (r for r in rows if r["area"] == area):
            cells = [
                row["scenario"],
                str(row.get("trials", 1)),
                row.get("outcome", "?"),
                row.get("detail", ""),
            ]
            lines.append(
                "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |\n"
            )
    DOC.write_text("".join(lines))
    print(f"wrote {DOC} ({len(rows)} rows)")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
