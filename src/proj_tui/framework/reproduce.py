"""Reproduce a session: its recorded code, its inputs as they are now, its run; then compare outputs.

``sessions rerun`` replays a session's config on the code as it is *now*; this rebuilds the code as
it *was* (``framework.code_state``): a temporary ``git worktree`` at the recorded commit with the
recorded patch and untracked files (without git: a copy of the source and conf folders, refused
unless their fingerprint still matches). The datasets the session loaded but did not produce (its
external inputs) are copied in from the project, the recorded selection, env, params and env vars
run there as a ``proj-tui run`` child recording into the project's own store (``--parent`` names
the original), and every output's fingerprint (``framework.data_fingerprint``) is compared with the
recorded one. Inputs are fingerprinted now and compared with then, so a differing output can be
put down to an input that changed rather than to the code.

Bad input (a session still running, one recorded before code states existed, a commit this
repository lacks, a patch that no longer applies, a redacted env var not set) raises
``ReproduceError`` before anything runs: the CLI exits 2 on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proj_tui.errors import ProjTuiError
from proj_tui.framework.code_state import tree_fingerprint
from proj_tui.framework.data_fingerprint import fingerprint_path
from proj_tui.framework.replay import (
    is_kedro_record,
    missing_env_message,
    missing_env_vars,
    replay_env_vars,
    run_argv,
)
from proj_tui.framework.self_command import proj_tui_command
from proj_tui.framework.store import SessionQuery
from proj_tui.framework.store.sqlite_file import STORE_DIRNAME

if TYPE_CHECKING:
    from proj_tui.framework.store import CodeState, DatasetRecord, SessionRecord, SQLiteSessionStore

__all__ = [
    "COPY_LIMIT_BYTES",
    "InputCheck",
    "OutputCheck",
    "ReproduceError",
    "ReproduceReport",
    "Workspace",
    "external_inputs",
    "reproduce",
]

COPY_LIMIT_BYTES = 64 * 1024 * 1024
"""Inputs up to this size are copied into the workspace; larger ones are symlinked."""
_GIT_TIMEOUT = 120.0


class ReproduceError(ProjTuiError):
    """The session cannot be reproduced as asked; nothing was run."""


@dataclass(frozen=True)
class OutputCheck:
    """One output of the original session and what the reproduction wrote under that name."""

    name: str
    node: str
    then: str | None
    now: str | None
    scheme: str | None

    @property
    def identical(self) -> bool:
        return self.then is not None and self.then == self.now


@dataclass(frozen=True)
class InputCheck:
    """One external input: its fingerprint when the session ran and in the project now."""

    name: str
    path: str | None
    then: str | None
    now: str | None

    @property
    def changed(self) -> bool:
        return self.then != self.now


@dataclass
class ReproduceReport:
    """What a reproduction found; ``lines()`` is what the CLI prints."""

    session_id: str
    new_session_id: str | None = None
    new_status: str | None = None
    outputs: list[OutputCheck] = field(default_factory=list)
    inputs: list[InputCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    workspace: str | None = None

    @property
    def identical(self) -> bool:
        return bool(self.outputs) and all(o.identical for o in self.outputs)

    @property
    def differing(self) -> list[OutputCheck]:
        return [o for o in self.outputs if not o.identical]

    @property
    def changed_inputs(self) -> list[InputCheck]:
        return [i for i in self.inputs if i.changed]

    def summary(self) -> str:
        same = len(self.outputs) - len(self.differing)
        if not self.outputs:
            return f"Session {self.session_id} recorded no outputs with a fingerprint to compare."
        word = (
            "identical"
            if self.identical
            else "identical; " + _count(self.differing, "differs", "differ")
        )
        return f"{same} of {len(self.outputs)} outputs {word}"

    def lines(self) -> list[str]:
        out = [f"{self.summary()} (reproduction {self.new_session_id or '-'} of {self.session_id})"]
        if self.new_status and self.new_status != "succeeded":
            out.append(
                f"The reproduction {self.new_status}: see proj-tui sessions show {self.new_session_id}"
            )
        for check in self.differing:
            if check.now is None:
                out.append(f"  {check.name} ({check.node}): not written by the reproduction")
            else:
                out.append(
                    f"  {check.name} ({check.node}): differs ({check.then} then, {check.now} now)"
                )
        changed = self.changed_inputs
        if changed:
            out.append("Inputs that already differed from the original run:")
            for item in changed:
                now = item.now or "missing now"
                out.append(f"  {item.name} ({item.path}): {item.then} then, {now}")
            if not self.identical:
                out.append("The differing outputs may come from these inputs, not from the code.")
        elif self.inputs and not self.identical:
            out.append(
                f"All {len(self.inputs)} inputs are as they were: the difference is in the run itself "
                "(a non-deterministic node, or something outside the record such as package versions)."
            )
        out += self.notes
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "new_session_id": self.new_session_id,
            "new_status": self.new_status,
            "identical": self.identical,
            "summary": self.summary(),
            "outputs": [
                {
                    "name": o.name,
                    "node": o.node,
                    "then": o.then,
                    "now": o.now,
                    "identical": o.identical,
                }
                for o in self.outputs
            ],
            "inputs": [
                {"name": i.name, "path": i.path, "then": i.then, "now": i.now, "changed": i.changed}
                for i in self.inputs
            ],
            "notes": self.notes,
            "workspace": self.workspace,
        }


def _count(items: list[Any], one: str, many: str) -> str:
    return f"{len(items)} {one if len(items) == 1 else many}"


def external_inputs(datasets: list[DatasetRecord]) -> list[DatasetRecord]:
    """The datasets the session loaded that none of its nodes saved, one per name.

    A transcoded dataset (``table@pandas`` saved, ``table@spark`` loaded) is one dataset.
    """
    saved = {d.name.partition("@")[0] for d in datasets if d.role == "save"}
    seen: dict[str, DatasetRecord] = {}
    for ds in datasets:
        base = ds.name.partition("@")[0]
        if ds.role == "load" and base not in saved and ds.name not in seen:
            seen[ds.name] = ds
    return list(seen.values())


def _outputs(datasets: list[DatasetRecord]) -> dict[str, DatasetRecord]:
    out: dict[str, DatasetRecord] = {}
    for ds in datasets:
        if ds.role == "save" and ds.digest is not None:
            out.setdefault(ds.name, ds)
    return out


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    command = ["git", "-C", str(cwd), *args]
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=_GIT_TIMEOUT, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        why = f"git {args[0]} took over {_GIT_TIMEOUT:.0f} s and was stopped"
    except OSError as exc:  # no git on PATH
        why = f"git could not be started: {exc.strerror or exc}"
    return subprocess.CompletedProcess(command, 1, "", why)


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit code {result.returncode}"


@dataclass
class Workspace:
    """The rebuilt code: ``project`` is the project folder inside it; ``remove()`` cleans up."""

    root: Path
    project: Path
    repo: Path | None = None
    notes: list[str] = field(default_factory=list)

    def remove(self) -> None:
        if self.repo is not None:
            _git(self.repo, "worktree", "remove", "--force", str(self.root / "code"))
        shutil.rmtree(self.root, ignore_errors=True)
        if self.repo is not None:
            _git(self.repo, "worktree", "prune")


def build_workspace(
    project: Path, state: CodeState, blob: Callable[[str], bytes | None], session_id: str
) -> Workspace:
    """Rebuild the recorded code under a new temporary folder (see the module docstring)."""
    root = Path(tempfile.mkdtemp(prefix=f"proj-tui-reproduce-{session_id[:19]}-"))
    try:
        if state.kind == "tree":
            return _tree_workspace(project, state, root)
        return _git_workspace(project, state, blob, root)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _tree_workspace(project: Path, state: CodeState, root: Path) -> Workspace:
    now, _ = tree_fingerprint(project, state.roots)
    if now != state.fingerprint:
        raise ReproduceError(
            f"The project at {project} is not in git, and its code ({', '.join(state.roots)}) "
            "changed since the session ran, so it cannot be rebuilt as it was. Restore those "
            "folders (or put the project in git, which records every change) and try again."
        )
    code = root / "code"
    code.mkdir()
    for entry in project.iterdir():  # the project's files, and the code folders recorded
        if entry.is_file():
            shutil.copy2(entry, code / entry.name)
    for rel in state.roots:
        source = project / rel
        if source.is_dir():
            shutil.copytree(source, code / rel, ignore=shutil.ignore_patterns("__pycache__"))
    return Workspace(root=root, project=code)


def _git_workspace(
    project: Path, state: CodeState, blob: Callable[[str], bytes | None], root: Path
) -> Workspace:
    if state.commit is None:
        raise ReproduceError(
            "The session ran in a git repository without commits, so there is no commit to "
            "rebuild its code from. Commit the project and run the session again."
        )
    top = _git(project, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise ReproduceError(
            f"The session was recorded in a git repository, but {project} is not one now "
            f"({_last_line(top)}). Run reproduce from a clone of that repository."
        )
    repo = Path(top.stdout.strip())
    if _git(repo, "cat-file", "-e", f"{state.commit}^{{commit}}").returncode != 0:
        raise ReproduceError(
            f"Commit {state.commit[:12]} that the session ran is not in {repo}. Fetch it "
            "(git fetch --all) and try again."
        )
    code = root / "code"
    added = _git(repo, "worktree", "add", "--detach", "--quiet", str(code), state.commit)
    if added.returncode != 0:
        raise ReproduceError(f"Could not make a git worktree at {code}: {_last_line(added)}")
    space = Workspace(root=root, project=code / state.subdir if state.subdir else code, repo=repo)
    try:
        if state.patch is not None:
            data = blob(state.patch)
            if data is None:
                raise ReproduceError(
                    f"The store lacks the patch {state.patch[:12]} the session recorded; run "
                    "'proj-tui sessions repair' if the store was damaged."
                )
            patch_file = root / "recorded.patch"
            patch_file.write_bytes(data)
            applied = _git(code, "apply", "--binary", "--whitespace=nowarn", str(patch_file))
            if applied.returncode != 0:
                raise ReproduceError(
                    f"The recorded patch does not apply to commit {state.commit[:12]}: "
                    f"{_last_line(applied)}"
                )
        for item in state.untracked:
            data = blob(item.blob)
            if data is None:
                space.notes.append(f"Not restored: {item.path} (its content is not in the store).")
                continue
            target = code / item.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    except BaseException:
        space.remove()
        raise
    credentials = _local_config(project, code, state)
    for left in state.left_out:
        if left.path in credentials:
            continue
        space.notes.append(
            f"Not rebuilt as it was: {left.path} ({left.reason}); the commit's version was used."
        )
    for path in sorted(credentials):
        space.notes.append(f"{path}: taken from the project as it is now (never stored).")
    return space


def _local_config(project: Path, code: Path, state: CodeState) -> set[str]:
    """Copy the git-ignored config (``conf/local``, credentials) from the project; their paths.

    They are never stored (credentials) or not under git at all, so, like a redacted env var,
    the reproduction takes them from here and now, and says which.
    """
    from proj_tui.framework.code_state import is_credentials_file

    conf_roots = [r for r in state.roots if r.split("/")[0] != "src"] or ["conf"]
    listed = _git(
        project, "ls-files", "--others", "--ignored", "--exclude-standard", "--full-name", "-z",
        "--", *conf_roots,
    )  # fmt: skip
    wanted = {p for p in listed.stdout.split("\0") if p} if listed.returncode == 0 else set()
    wanted |= {item.path for item in state.left_out if is_credentials_file(item.path)}
    top = _git(project, "rev-parse", "--show-toplevel")
    root = Path(top.stdout.strip()) if top.returncode == 0 else project
    copied: set[str] = set()
    for rel in wanted:
        source, target = root / rel, code / rel
        if target.exists() or not source.is_file() or "__pycache__" in rel:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        copied.add(rel)
    return copied


def _inside(path: Path, base: Path) -> Path | None:
    try:
        return path.relative_to(base)
    except ValueError:
        return None


def place_inputs(
    inputs: list[DatasetRecord], project: Path, workspace: Path
) -> tuple[list[InputCheck], list[str]]:
    """Copy (or link) each external input from the project into the workspace; check it too."""
    checks: list[InputCheck] = []
    notes: list[str] = []
    for ds in inputs:
        if ds.path is None or ds.digest is None:
            checks.append(InputCheck(ds.name, ds.path, ds.digest, ds.digest))
            notes.append(f"Input {ds.name} was not fingerprinted ({ds.note}): not compared.")
            continue
        source = Path(ds.path)
        now = fingerprint_path(source).digest
        checks.append(InputCheck(ds.name, ds.path, ds.digest, now))
        rel = _inside(source, project)
        if rel is None or now is None:
            continue  # outside the project: the run reads it where it is
        target = workspace / rel
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True)
        elif source.stat().st_size > COPY_LIMIT_BYTES:
            target.symlink_to(source)
        else:
            shutil.copy2(source, target)
    return checks, notes


def _run_command(record: SessionRecord, project: Path, workspace: Path) -> list[str]:
    argv = run_argv(record)
    if "--project" in argv:
        argv[argv.index("--project") + 1] = str(workspace)
    else:
        argv[1:1] = ["--project", str(workspace)]
    if "--conf-source" in argv:
        at = argv.index("--conf-source") + 1
        rel = _inside(Path(argv[at]), project)
        if rel is not None:
            argv[at] = str(workspace / rel)
    return argv


def _link_store(project: Path, workspace: Path) -> None:
    """The reproduction records into the project's own store (its parent is there)."""
    link = workspace / STORE_DIRNAME
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.exists():
        shutil.rmtree(link)
    link.symlink_to(project / STORE_DIRNAME, target_is_directory=True)


def reproduce(
    store: SQLiteSessionStore,
    session_id: str,
    *,
    environ: Mapping[str, str] | None = None,
    keep: bool = False,
    allow_outside: bool = False,
    say: Callable[[str], None] = lambda line: None,
    stream: Any = None,
    events: bool = False,
) -> ReproduceReport:
    """Rebuild, run and compare session ``session_id`` of ``store`` (see the module docstring).

    ``say`` gets progress lines (which secrets come from this environment, where the code was
    rebuilt); ``stream`` takes the child run's output (None: inherited). ``keep`` leaves the
    workspace in place for inspection. ``events``: the child run writes its ``--events json``
    stream to this process's stdout (the app follows a reproduction that way), its other output
    to stderr. Outputs outside the project (an absolute path elsewhere, a
    remote URL) would be written again in place, over what is there: refused unless
    ``allow_outside``.
    """
    environ = os.environ if environ is None else environ
    record = store.get_session(session_id)
    if record.status == "running":
        raise ReproduceError(f"Session {session_id} is still running; reproduce it once it ends.")
    if not record.project_path:
        raise ReproduceError(f"Session {session_id} does not record its project.")
    state = store.code_state(session_id)
    if state is None:
        raise ReproduceError(
            f"Session {session_id} was recorded before proj-tui kept code states, so its code "
            "cannot be rebuilt. 'proj-tui sessions rerun' replays it on the code as it is now."
        )
    datasets = store.datasets(session_id)
    expected = _outputs(datasets)
    if not expected:
        raise ReproduceError(
            f"Session {session_id} recorded no output fingerprints (in-memory outputs only, or "
            "no node ran), so there is nothing to compare a reproduction with."
        )
    project = Path(record.project_path)
    outside = _outside_outputs(datasets, project)
    if outside and not allow_outside:
        listed = ", ".join(f"{name} ({path})" for name, path in outside[:5])
        raise ReproduceError(
            f"Session {session_id} wrote outside its project: {listed}. A reproduction would "
            "write there again, over what is there now. Pass --allow-outside to let it, or "
            "point those datasets into the project (conf/local/catalog.yml) first."
        )
    missing = missing_env_vars(record, environ)
    if missing:
        raise ReproduceError(missing_env_message(record, missing, "this shell's environment"))
    for name, value in replay_env_vars(record).items():
        if value is None:
            say(f"{name}: taken from this environment (the store keeps no secret values)")
    space = build_workspace(project, state, store.blob, session_id)
    report = ReproduceReport(session_id=session_id, notes=list(space.notes))
    redacted = _redacted_params(record.runtime_params or {})
    if redacted:
        report.notes.append(
            f"Runtime parameters kept redacted in the store ran as '<redacted>': {', '.join(redacted)}."
        )
    try:
        say(f"Rebuilt the code of {session_id} in {space.project}")
        report.inputs, notes = place_inputs(external_inputs(datasets), project, space.project)
        report.notes += notes
        _link_store(project, space.project)
        argv = _run_command(record, project, space.project)
        if events:
            argv += ["--events", "json"]
        started = time.time()
        child_env = {**environ, "PYTHONDONTWRITEBYTECODE": "1"}
        subprocess.run(
            [*proj_tui_command(), *argv],
            cwd=space.project,
            env=child_env,
            stdout=stream if stream is not None else sys.stdout if events else sys.stderr,
            stderr=stream if stream is not None else sys.stderr,
            check=False,
        )
        new = _new_session(store, session_id, started)
        if new is None:
            raise ReproduceError(
                f"The reproduction of {session_id} did not start a session (see its output above)."
            )
        report.new_session_id, report.new_status = new.session_id, new.status
        produced = _outputs(store.datasets(new.session_id))
        report.outputs = [
            OutputCheck(
                name,
                ds.node,
                ds.digest,
                produced[name].digest if name in produced else None,
                ds.scheme,
            )
            for name, ds in expected.items()
        ]
        _record_as_in_project(store, new, space.project, project)
        store.update_session(
            new.session_id,
            project_path=str(project),
            reproduced_from={
                "session_id": session_id,
                "workspace": str(space.project),
                "identical": report.identical,
                "summary": report.summary(),
            },
        )
        if is_kedro_record(record):
            report.notes.append("Kedro session: reproduced with the project's Kedro.")
    finally:
        if keep:
            report.workspace = str(space.project)
            report.notes.append(f"The rebuilt project is kept at {space.project}.")
        else:
            space.remove()
    return report


def _record_as_in_project(
    store: SQLiteSessionStore, new: SessionRecord, workspace: Path, project: Path
) -> None:
    """Record the reproduction's dataset paths, command line and conf source as in ``project``.

    The run happened in a temporary workspace that is gone once it ends; its paths would make the
    Data tab, ``sessions show`` and a diff with the original show ``/tmp/proj-tui-reproduce-…``
    where the original shows the project, and a reproduction of the reproduction look for its
    inputs there. The workspace itself stays named in ``reproduced_from``.
    """
    prefixes = list(dict.fromkeys([str(workspace), str(workspace.resolve())]))

    def moved(text: str) -> str:
        for prefix in prefixes:
            if text == prefix or text.startswith(prefix + os.sep):
                return str(project) + text[len(prefix) :]
        return text

    datasets = store.datasets(new.session_id)
    if any(ds.path and moved(ds.path) != ds.path for ds in datasets):
        store.record_datasets(
            new.session_id,
            [replace(ds, path=moved(ds.path)) if ds.path else ds for ds in datasets],
            replace=True,
        )
    fields: dict[str, Any] = {}
    cli = dict(new.cli or {})
    if isinstance(cli.get("command"), str):
        for prefix in prefixes:
            cli["command"] = cli["command"].replace(prefix, str(project))
    if isinstance(cli.get("argv"), list):
        cli["argv"] = [moved(arg) if isinstance(arg, str) else arg for arg in cli["argv"]]
    if cli != (new.cli or {}):
        fields["cli"] = cli
    conf_source = (new.extra or {}).get("conf_source")
    if isinstance(conf_source, str) and moved(conf_source) != conf_source:
        fields["conf_source"] = moved(conf_source)
    if fields:
        store.update_session(new.session_id, **fields)


def _outside_outputs(datasets: list[DatasetRecord], project: Path) -> list[tuple[str, str]]:
    """(name, path) of the outputs written outside ``project`` (other folders, remote URLs)."""
    out: dict[str, str] = {}
    for ds in datasets:
        if ds.role != "save" or ds.path is None:
            continue
        if "://" in ds.path or _inside(Path(ds.path), project) is None:
            out.setdefault(ds.name, ds.path)
    return sorted(out.items())


def _redacted_params(params: Mapping[str, Any], prefix: str = "") -> list[str]:
    from proj_tui.framework.redact import REDACTED

    found: list[str] = []
    for key, value in params.items():
        if isinstance(value, Mapping):
            found += _redacted_params(value, f"{prefix}{key}.")
        elif isinstance(value, str) and REDACTED in value:
            found.append(f"{prefix}{key}")
    return found


def _new_session(store: SQLiteSessionStore, parent: str, since: float) -> SessionRecord | None:
    for summary in store.list_sessions(SessionQuery(parents=(parent,)), limit=20):
        if summary.started_at >= since - 1:
            return store.get_session(summary.session_id)
    return None
