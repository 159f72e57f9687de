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
  The watchdog is also the session's crash witness: the run hands it every node status as it changes and
  the log lines not yet stored, so the crash record names the node that was really running, keeps the
  lines and marks that node `crashed` (the nodes never reached: `not_run`).
- **A process group killed whole** (nobody left to say a word): every reader, read-only ones included,
  shows the session `crashed` once its pid is gone (or reused by a later process: the recorded start
  time differs) or its heartbeat is stale. A closed terminal (SIGHUP) does not stop a run: its terminal
  output goes to /dev/null and the hang-up is a line in its log.
- **A store that cannot be written mid-run** (disk full): lines wait in a backlog and are retried in
  batches; what never fits goes to `proj-tui-unsaved-<session>.jsonl` (0600) in the temp dir, the
  session ends `failed` (`RecordIncomplete`) and the run exits 1 saying so.
- **A display that goes away** (`| head`, a closed fd 1/2): the channel is pointed at /dev/null and the
  run goes on; it is never recorded as failed or crashed for it.
- **A damaged store** is never reset: every command names the file and exits 2.
  `proj-tui sessions repair` copies the file (and -wal/-shm) to `sessions.db.broken-<time>` and rebuilds
  the store from every row SQLite can still read.
- **Secrets**, by key and by value (docs/store.md has the rule and its limits): secret-looking parameter
  and variable names keep their name, not their value; URL passwords and well-known token shapes are
  replaced whatever the name; those values, credentials and secret-named variables are scrubbed from log
  lines, node errors, tracebacks, the terminal display and the event stream. Run-setup variables reach
  the child in its environment, never its argv.
- **Hostile text**: control characters in stored or streamed text are shown as `\\xNN` (never sent to
  the terminal raw); arguments that are not UTF-8, `--params` keys that cannot be written back and YAML
  alias bombs are refused with exit 2 and a sentence.

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
