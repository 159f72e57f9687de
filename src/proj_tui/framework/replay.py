"""Turn a stored session back into the ``proj-tui run`` arguments that make it again.

Shared by ``proj-tui sessions rerun|resume`` and the app's History screen, so both replay a session the
same way. Arguments are lists, never shell strings: nothing a user typed is ever interpolated by a shell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from proj_tui.config import deep_merge, format_params
from proj_tui.errors import ProjTuiError
from proj_tui.framework.selection import RunSelection, UnknownPipelineError

if TYPE_CHECKING:
    from proj_tui.framework.store import NodeRun, SessionRecord


class ReplayError(ProjTuiError):
    """A session cannot be rerun or resumed as asked."""


def run_argv(
    record: SessionRecord,
    *,
    params: dict[str, Any] | None = None,
    env: str | None = None,
    selection: RunSelection | None = None,
) -> list[str]:
    """Arguments after ``proj-tui`` that rerun ``record``; ``params`` are merged over its own.

    ``selection`` replaces what the record ran (a resume passes :func:`resume_selection`). A
    sequential runner is left to the project's default, as a plain ``proj-tui run`` would.
    """
    merged = deep_merge(record.runtime_params or {}, params or {})
    chosen = replay_selection(record) if selection is None else selection
    kedro = is_kedro_record(record)
    argv = ["run"]
    if record.project_path:
        argv += ["--project", record.project_path]
    argv += ["--env", env or record.env or "local"]
    conf_source = (record.extra or {}).get("conf_source")
    if kedro and not conf_source:
        conf_source = _kedro_options(record).get("--conf-source")
    if conf_source:
        argv += ["--conf-source", str(conf_source)]
    if merged:
        argv += ["--params", _kedro_params(merged) if kedro else format_params(merged)]
    argv += chosen.to_argv()
    if kedro:
        argv += _kedro_runner_options(record)
    else:
        for name, value in replay_env_vars(record).items():
            argv += ["--env-var", name if value is None else f"{name}={value}"]
    argv += ["--parent", record.session_id]
    return argv


def replay_env_vars(record: SessionRecord) -> dict[str, str | None]:
    """The variables ``record``'s run was given (``--env-var``, the app's Env vars), by name.

    Each has its recorded value, or None where the store keeps it redacted (a secret-looking
    name, or a password inside it): a replay takes that one from its own environment, as
    ``--env-var NAME`` does, and never passes ``<redacted>`` on as a value. Variables the
    settings pick from the environment (prefix, allow-list) are context, not given: a replay
    takes them from its environment, as the first run did.
    """
    from proj_tui.framework.redact import REDACTED

    names = ((record.cli or {}).get("flags") or {}).get("env_var") or []
    recorded = record.env_vars or {}
    out: dict[str, str | None] = {}
    for name in sorted(str(n) for n in names):
        value = recorded.get(name)
        out[name] = None if value is None or REDACTED in str(value) else str(value)
    return out


def missing_env_vars(record: SessionRecord, environ: Mapping[str, str]) -> list[str]:
    """The redacted variables of ``record`` that ``environ`` lacks: a replay cannot set them."""
    return [n for n, v in replay_env_vars(record).items() if v is None and n not in environ]


def missing_env_message(record: SessionRecord, names: list[str], where: str) -> str:
    """Why a replay of ``record`` cannot start without ``names`` set in ``where``, and the fix."""
    listed = ", ".join(names)
    it = "it" if len(names) == 1 else "them"
    return (
        f"Session {record.session_id} was given {listed}, whose value the store does not keep "
        f"(it looks secret). Set {it} in {where} (export {names[0]}=…) and try again."
    )


def replay_selection(record: SessionRecord) -> RunSelection:
    """What a rerun of ``record`` executes: everything it ran, the default runner left implicit."""
    selection = RunSelection.from_record(record)
    if selection.runner == "sequential":
        selection = replace(selection, runner=None)
    return selection


def resume_selection(record: SessionRecord, from_nodes: list[str]) -> RunSelection:
    """What a resume of ``record`` executes: its own selection, starting at ``from_nodes``.

    The node names it was limited to are dropped: the resume needs the nodes below them too.
    A Kedro session keeps them, as Kedro's resume hint does (its previous command with
    ``--from-nodes`` added).
    """
    selection = replay_selection(record)
    if is_kedro_record(record):  # Kedro's hint: the previous command plus --from-nodes
        return replace(selection, from_nodes=frozenset(from_nodes))
    return replace(selection, from_nodes=frozenset(from_nodes), node_names=frozenset())


def _check_resumable(record: SessionRecord) -> None:
    if record.status not in ("failed", "cancelled", "crashed"):
        raise ReplayError(
            f"Session {record.session_id} {record.status}; only failed, cancelled or crashed "
            "sessions can be resumed. Use 'sessions rerun' to run it again."
        )
    if not record.project_path or not record.package_name:
        raise ReplayError(f"Session {record.session_id} does not record its project.")


def resume_nodes(record: SessionRecord, nodes: list[NodeRun]) -> list[str]:
    """The ``--from-nodes`` a resume of ``record`` needs, computed against the project as it is now.

    Uses the nodes that succeeded and walks up from the rest to the nearest persisted inputs.
    """
    if is_kedro_record(record):
        return kedro_resume_plan(record, nodes)[0]
    _check_resumable(record)
    assert record.project_path is not None  # checked
    from proj_tui.framework.project import Project
    from proj_tui.io import DataCatalog
    from proj_tui.runner import resume_start_nodes

    project = Project.load(record.project_path, conf_source=(record.extra or {}).get("conf_source"))
    try:
        pipeline = RunSelection.from_record(record).select(project.pipelines())
    except UnknownPipelineError as exc:
        raise ReplayError(f"Session {record.session_id} cannot be resumed: {exc}") from None
    loader = project.config_loader(record.env, record.runtime_params)
    catalog = DataCatalog.from_config(
        loader["catalog"], loader["credentials"], project_path=project.path
    )
    done = {n.name for n in nodes if n.status in ("succeeded", "skipped")}
    if not set(n.name for n in pipeline.nodes) - done:
        raise ReplayError(
            f"Every node of session {record.session_id} completed; nothing to resume."
        )
    from_nodes = resume_start_nodes(pipeline, catalog, done)
    if not from_nodes:
        raise ReplayError(f"Could not find where to resume session {record.session_id}.")
    return from_nodes


# -- Kedro sessions (recorded by proj-tui's Kedro plugin; see docs/kedro.md) ------------------------


def is_kedro_record(record: SessionRecord) -> bool:
    """Whether ``record`` is a session Kedro ran (its plugin records Kedro's version and run id)."""
    return "kedro" in (record.versions or {}) or "kedro_run_id" in (record.extra or {})


def kedro_resume_plan(record: SessionRecord, nodes: list[NodeRun]) -> tuple[list[str], list[str]]:
    """(``--from-nodes``, the nodes a resume runs) for a Kedro session, as Kedro's hint has it.

    Asked of the project's interpreter (``proj_tui.kedro.resume_plan``): Kedro walks up from the
    nodes that did not finish to the nearest ones whose inputs are persisted, on the project as
    it is now.
    """
    import json
    import subprocess
    from pathlib import Path

    from proj_tui.framework.kedro_run import kedro_child

    _check_resumable(record)
    assert record.project_path is not None
    project = Path(record.project_path)
    request = {
        "env": record.env,
        "runtime_params": record.runtime_params or {},
        "conf_source": (record.extra or {}).get("conf_source")
        or _kedro_options(record).get("--conf-source"),
        "selection": dict(replay_selection(record).run_kwargs()),
        "done": sorted(n.name for n in nodes if n.status in ("succeeded", "skipped")),
    }
    argv, env = kedro_child(project, "resume_plan", ["--project", str(project)])
    done = subprocess.run(
        argv,
        input=json.dumps(request, default=str),
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        why = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise ReplayError(f"Session {record.session_id} cannot be resumed: {why[0]}")
    answer = json.loads(done.stdout)
    return list(answer["from_nodes"]), list(answer["nodes"])


def _kedro_options(record: SessionRecord) -> dict[str, str | bool]:
    """The options of the ``kedro run`` command a Kedro session recorded, by flag."""
    argv = [str(a) for a in (record.cli or {}).get("argv") or []]
    if argv[:2] != ["kedro", "run"]:
        return {}
    out: dict[str, str | bool] = {}
    rest = argv[2:]
    for index, item in enumerate(rest):
        flag, sep, value = item.partition("=")
        if not flag.startswith("--"):
            continue
        if sep:
            out[flag] = value
        elif index + 1 < len(rest) and not rest[index + 1].startswith("--"):
            out[flag] = rest[index + 1]
        else:
            out[flag] = True
    return out


def _kedro_runner_options(record: SessionRecord) -> list[str]:
    """``--runner-params`` and ``--async`` as the Kedro session ran with them."""
    options = _kedro_options(record)
    out: list[str] = []
    runner_params = options.get("--runner-params")
    if isinstance(runner_params, str) and "<redacted>" not in runner_params:
        out += ["--runner-params", runner_params]
    if options.get("--async") is True:
        out.append("--async")
    return out


def _kedro_params(params: dict[str, Any]) -> str:
    from proj_tui.framework.kedro_run import KedroRunError, kedro_params_text

    try:
        return kedro_params_text(params)
    except KedroRunError as exc:
        raise ReplayError(str(exc)) from None
