"""``proj-tui run --watch``: run once, then rerun only what a saved change made stale.

This process never imports the project's code. Every run is a child ``python -m proj_tui run``
and every staleness check a child ``proj-tui pipelines stale --json``, so edited code is really
re-imported and a crashing node cannot take the watcher down. Children get their own process
group: Ctrl+C reaches only the watcher, which passes exactly one SIGINT on, waits for the child
to record its session as cancelled, and exits 130.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from proj_tui.cli.common import EXIT_CANCELLED, project_path
from proj_tui.cli.output import UsageError
from proj_tui.framework.selection import FIELDS, RunSelection
from proj_tui.framework.self_command import proj_tui_command

# run flags --watch decides itself (the node filters: from what is stale) or cannot stream
_OWN_FLAGS = {"events": "--events", "parent": "--parent"}
_CHILD_GRACE_S = 30.0


def _say(message: str) -> None:
    sys.stderr.write(f"watch: {message}\n")
    sys.stderr.flush()


def _common_args(args: argparse.Namespace, project: Path) -> list[str]:
    """The flags every child (a run or a staleness check) gets: project, pipeline, env, params."""
    pipelines = RunSelection(pipeline_names=RunSelection.from_args(args).pipeline_names)
    argv = ["--project", str(project), *pipelines.to_argv()]
    for key, flag in (("env", "--env"), ("params", "--params"), ("conf_source", "--conf-source")):
        value = getattr(args, key, None)
        if value:
            argv += [flag, value]
    return argv


def _run_only_args(args: argparse.Namespace) -> list[str]:
    """The flags only a run child gets: runner, load versions, only-missing-outputs, env vars."""
    selection = replace(RunSelection.from_args(args), pipeline_names=frozenset())
    argv = selection.to_argv()  # no node filters: _check refused them
    if getattr(args, "runner_params", None):
        argv += ["--runner-params", args.runner_params]
    for item in getattr(args, "env_var", None) or []:
        argv += ["--env-var", item]
    return argv


class _Children:
    """The one child process running at a time, so Ctrl+C can hand it a single SIGINT."""

    def __init__(self) -> None:
        self.current: subprocess.Popen[str] | None = None

    def start(self, argv: list[str], *, capture: bool = False) -> subprocess.Popen[str]:
        self.current = subprocess.Popen(
            [*proj_tui_command(), *argv],
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            text=True,
            start_new_session=True,  # a terminal's Ctrl+C goes to the watcher only
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        return self.current

    def run(self, argv: list[str]) -> int:
        child = self.start(argv)
        code = child.wait()
        self.current = None
        return code

    def capture(self, argv: list[str]) -> tuple[int, str, str]:
        child = self.start(argv, capture=True)
        out, err = child.communicate()
        self.current = None
        return child.returncode, out, err

    def stop(self) -> None:
        """Cancel the running child: one SIGINT, then SIGTERM, then SIGKILL if it hangs."""
        child = self.current
        if child is None or child.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, _CHILD_GRACE_S), (signal.SIGTERM, 5.0)):
            try:
                child.send_signal(sig)
                child.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                return
        child.kill()
        child.wait()


def _check(args: argparse.Namespace) -> None:
    selection = RunSelection.from_args(args)
    filters = selection.filters()
    given = [spec.flag for spec in FIELDS if spec.name in filters]
    given += [flag for key, flag in _OWN_FLAGS.items() if getattr(args, key, None)]
    if len(selection.pipeline_names) > 1:
        raise UsageError(
            "--watch follows one pipeline: pass --pipeline NAME (or register the union of "
            f"{', '.join(selection.pipelines)} as a pipeline of its own)."
        )
    if given:
        raise UsageError(
            f"--watch picks the nodes to rerun from what changed, so it cannot be combined with "
            f"{', '.join(given)}. Drop {'it' if len(given) == 1 else 'them'}, or register a "
            "smaller pipeline and pass --pipeline."
        )


def _describe_batch(batch: list[Any], project: Path) -> str:
    parts = []
    for change in batch:
        names = []
        for path in change.paths:
            try:
                names.append(str(Path(path).relative_to(project)))
            except ValueError:
                names.append(str(path))
        parts.append(f"{', '.join(names)} ({change.kind})")
    return "; ".join(parts)


def _describe_report(report: dict[str, Any]) -> None:
    changes = report.get("param_changes") or {}
    if any(changes.get(k) for k in ("added", "removed", "changed")):
        from proj_tui.config import ConfigChanges

        summary = ConfigChanges(
            added=changes.get("added", {}),
            removed=changes.get("removed", {}),
            changed={k: (v[0], v[1]) for k, v in changes.get("changed", {}).items()},
        ).summary("parameters")
        _say(summary)
    for entry in report.get("stale", []):
        reason = (
            "no succeeded run recorded it"
            if entry.get("new")
            else ", ".join(entry.get("changed", [])) + " changed"
        )
        details = "; ".join(entry.get("details", []))
        _say(f"  {entry['name']}: {reason}" + (f" ({details})" if details else ""))
    if report.get("upstream"):
        _say(f"  also rerun to rebuild in-memory inputs: {', '.join(report['upstream'])}")


def watch_loop(args: argparse.Namespace) -> int:
    """Run, then watch the project and rerun only the stale part on every relevant save."""
    from proj_tui.framework.watch import iter_changes, project_watch_paths

    _check(args)
    project = project_path(args.project)
    paths, conf = project_watch_paths(project, getattr(args, "conf_source", None))
    common = _common_args(args, project)
    run_extra = _run_only_args(args)
    children = _Children()
    stop = threading.Event()
    previous_term = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    try:
        _say("first run")
        code = children.run(["run", *common, *run_extra])
        _say(f"run finished with exit code {code}")

        def ready() -> None:
            shown = ", ".join(str(p.relative_to(project)) if p != project else "." for p in paths)
            _say(f"watching {shown} for changes (Ctrl+C to stop)")

        for batch in iter_changes(paths, stop_event=stop, conf_source=conf, on_ready=ready):
            _say(f"changed: {_describe_batch(batch, project)}")
            status, out, err = children.capture(["pipelines", "stale", "--json", *common])
            if status not in (0, 1):
                _say("could not work out what is stale; fix the error and save again:")
                sys.stderr.write(err)
                continue
            report = json.loads(out)
            if not report["to_run"]:
                _say("nothing is stale; nothing to rerun")
                _say("watching for changes")
                continue
            _describe_report(report)
            _say(
                f"rerunning {len(report['to_run'])} of {report['total_nodes']} nodes: "
                f"{', '.join(report['to_run'])}"
            )
            argv = ["run", *common, *run_extra, *report["run_args"]]
            if report.get("baseline_session"):
                argv += ["--parent", report["baseline_session"]]
            code = children.run(argv)
            _say(f"run finished with exit code {code}")
            _say("watching for changes")
    except KeyboardInterrupt:
        stop.set()
        children.stop()
        _say("stopped")
        return EXIT_CANCELLED
    finally:
        signal.signal(signal.SIGTERM, previous_term)
    return 0
