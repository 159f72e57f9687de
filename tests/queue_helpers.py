"""Helpers of the queue and sweep tests: read the queue through the CLI, wait on the store."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from proj_tui.framework.queue import worker_pid
from proj_tui.framework.store import default_store_path

from helpers import cli

DEADLINE = 240.0


def wait_for(condition: Callable[[], Any], what: str, deadline: float = DEADLINE) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def queue_json(project: Path, *extra: str) -> dict[str, Any]:
    result = cli("queue", "list", "--json", *extra, cwd=project)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def items(project: Path) -> list[dict[str, Any]]:
    return list(queue_json(project, "--all")["items"])


def by_id(project: Path) -> dict[int, dict[str, Any]]:
    return {item["id"]: item for item in items(project)}


def queued(project: Path, *args: str) -> list[int]:
    result = cli("run", "--queue", *args, cwd=project)
    assert result.returncode == 0, result.stderr
    return [int(line) for line in result.stdout.split()]


def drained(project: Path) -> bool:
    return all(item["state"] in ("done", "removed") for item in items(project))


def stop_worker(root: Path) -> None:
    """No worker outlives its test: let it drain, else stop it (and its runs)."""
    if not default_store_path(root).exists():
        return
    with contextlib.suppress(AssertionError):
        wait_for(lambda: worker_pid(root) is None, "the worker to exit", 60)
    pid = worker_pid(root)
    if pid and pid > 0:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for item in items(root):
        if item["state"] == "running" and item["pid"]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(item["pid"], signal.SIGKILL)
