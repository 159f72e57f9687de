"""A display that goes away (``| head``, a closed fd) is not a failed pipeline."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from faults._project import cli_env, run_cli, store_path
from proj_tui.framework.store import SQLiteSessionStore


def _latest(project: Path) -> tuple[str, dict[str, str]]:
    with SQLiteSessionStore(store_path(project)) as store:
        [latest] = store.list_sessions(limit=1)
        return latest.status, {n.name: n.status for n in store.nodes(latest.session_id)}


def _shell(command: str, project: Path) -> subprocess.CompletedProcess[bytes]:
    """``command`` in bash with ``pipefail``, so the exit code is proj-tui's, not head's."""
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        capture_output=True,
        cwd=project,
        env=cli_env(),
        timeout=60,
    )


CLI = f"{shlex.quote(sys.executable)} -m proj_tui"


@pytest.mark.parametrize(
    ("command", "what"),
    [
        (
            f"{CLI} run --events json --params step.lines=300 | head -3",
            "run --events json | head -3",
        ),
        (f"{CLI} run --params step.lines=3000 2>&1 | head -3", "run 2>&1 | head -3"),
    ],
    ids=["events-head", "plain-head"],
)
def test_reader_of_the_output_goes_away(
    fault_project: Path, fault_report, command: str, what: str
) -> None:
    result = _shell(command, fault_project)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "crashed" not in err and "Traceback" not in err, err
    status, nodes = _latest(fault_project)
    assert status == "succeeded" and set(nodes.values()) == {"succeeded"}, nodes
    fault_report(
        "output channels",
        f"`{what}` (the reader exits early: EPIPE)",
        detail="exit 0; session and nodes succeeded; no false 'crashed' from the watchdog",
    )


def test_node_closes_stdout_and_stderr(fault_project: Path, fault_report) -> None:
    result = run_cli("run", "--pipeline", "closefds", cwd=fault_project)
    assert result.returncode == 0, result.stderr
    status, nodes = _latest(fault_project)
    assert status == "succeeded" and nodes == {"close_fds": "succeeded"}
    with SQLiteSessionStore(store_path(fault_project)) as store:
        [latest] = store.list_sessions(limit=1)
        messages = [line.message for line in store.logs(latest.session_id)]
    assert sum("after closing fds" in m for m in messages) == 3
    fault_report(
        "output channels",
        "a node closes fds 1 and 2 (plain display), then logs",
        detail="exit 0; succeeded; its lines are stored",
    )
