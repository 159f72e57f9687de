"""AppState is the one writer of the app's state: each writer announces one typed topic.

Plain tests, no app: the publisher is a list. The last test reads the tui package's source and
fails if a screen or component imports the app, or writes a state field instead of asking.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import proj_tui.tui as tui_package
from proj_tui.tui.model import NodeInfo, ProjectDescription, RunFilters
from proj_tui.tui.params import ParamField
from proj_tui.tui.state import AppState, RunSetup, Topic


class Recorder:
    """A publisher that keeps what was announced."""

    def __init__(self) -> None:
        self.topics: list[Topic] = []

    def publish(self, data: Topic) -> None:
        self.topics.append(data)

    def subscribe(
        self, node: Any, callback: Callable[[Topic], None], immediate: bool = False
    ) -> None:
        raise AssertionError("not used here")


def _state(tmp_path: Path) -> tuple[AppState, Recorder]:
    recorder = Recorder()
    return AppState(project_path=tmp_path, publisher=recorder), recorder


def _description(*pipelines: str) -> ProjectDescription:
    node = NodeInfo("clean", "clean", None, "m.clean", None, ("raw",), ("clean",), ())
    return ProjectDescription(pipelines={p: [node] for p in pipelines})


def test_every_writer_announces_its_topic(tmp_path: Path) -> None:
    state, recorder = _state(tmp_path)
    state.set_pipeline("etl")
    state.set_filters(RunFilters(tags=frozenset({"a"})))
    state.toggle_filter("tags", ("a", "b"))
    state.set_env("prod")
    state.edit_override("x", 1, None, overridden=True)
    state.set_env_vars({"A": "1"}, {})
    assert recorder.topics == ["filters", "filters", "filters", "env", "overrides", "overrides"]
    assert state.filters.tags == {"b"}  # a toggled out, b in
    assert state.overrides == {"x": 1} and state.env_vars == {"A": "1"}
    assert set(recorder.topics) <= set(get_args(Topic))


def test_an_invalid_field_blocks_the_run_and_a_reset_drops_the_override(tmp_path: Path) -> None:
    state, _ = _state(tmp_path)
    state.edit_override("x", 1, None, overridden=True)
    state.edit_override("x", None, "not a number", overridden=False)
    assert state.problems() == ["parameter x: not a number"] and "x" not in state.overrides
    state.edit_override("x", 0, None, overridden=False)  # back to the env's value
    assert state.problems() == [] and "x" not in state.overrides


def test_params_for_another_env_are_ignored_and_unknown_overrides_dropped(tmp_path: Path) -> None:
    state, recorder = _state(tmp_path)
    state.set_env("local")
    state.edit_override("gone", 1, None, overridden=True)
    state.edit_override("kept", 2, None, overridden=True)
    recorder.topics.clear()
    assert state.params_loaded("prod", [ParamField("kept", 0)]) is None
    assert recorder.topics == [] and state.fields == []
    assert state.params_loaded("local", [ParamField("kept", 0)]) == ["gone"]
    assert recorder.topics == ["params"] and state.overrides == {"kept": 2}


def test_prefill_is_the_whole_setup_at_once(tmp_path: Path) -> None:
    state, recorder = _state(tmp_path)
    state.pipelines_described(_description("__default__", "etl"))
    state.set_env("local")
    state.set_env_vars({"TOKEN": "kept"}, {})
    state.edit_override("old", 1, None, overridden=True)
    recorder.topics.clear()
    setup = RunSetup(
        pipeline="etl",
        filters=RunFilters(node_names=frozenset({"clean"})),
        env="prod",
        overrides={"new": 2},
        parent="2026-01-01T00.00.00.000Z",
    )
    assert state.prefill(setup) is False
    assert recorder.topics == ["prefill", "env"]
    assert (state.pipeline, state.env, state.overrides) == ("etl", "prod", {"new": 2})
    assert state.env_vars == {"TOKEN": "kept"}  # None keeps the env vars set up
    assert "--parent 2026-01-01T00.00.00.000Z" in state.spec().command()
    # a pipeline the project no longer has keeps the current one, and says so
    assert state.prefill(RunSetup(pipeline="gone", env_vars={})) is True
    assert state.pipeline == "etl" and state.env_vars == {} and state.parent is None


def test_a_stale_answer_for_another_pipeline_is_dropped(tmp_path: Path) -> None:
    from proj_tui.tui.reload_model import StaleInfo

    state, recorder = _state(tmp_path)
    state.set_pipeline("etl")
    recorder.topics.clear()
    assert not state.stale_checked(StaleInfo(pipeline="other", env=None))
    assert state.stale is None and recorder.topics == []
    assert state.stale_checked(StaleInfo(pipeline="etl", env=None))
    assert recorder.topics == ["stale"]


def _sources(folder: str) -> list[Path]:
    root = Path(inspect.getfile(tui_package)).parent / folder
    return sorted(root.glob("*.py"))


def _offences(name: str, source: str) -> list[str]:
    """Imports of the app, and writes to the app's state (``self.shared.x = …``,
    ``app_state(self).x[k] = …``, ``self.app.state.x = …``, ``state.x = …``); a widget's own
    ``self.state`` is its own."""
    offences = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "proj_tui.tui.app":
            offences.append(f"{name}:{node.lineno} imports the app")
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            while isinstance(target, ast.Subscript | ast.Attribute):
                inner = target.value
                own = isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name)
                if isinstance(inner, ast.Attribute) and (
                    inner.attr == "shared" or (inner.attr == "state" and not own)
                ):
                    offences.append(f"{name}:{node.lineno} writes the app state")
                if isinstance(inner, ast.Call) and getattr(inner.func, "id", "") == "app_state":
                    offences.append(f"{name}:{node.lineno} writes the app state")
                if isinstance(inner, ast.Name) and inner.id == "state":  # state = app_state(self)
                    offences.append(f"{name}:{node.lineno} writes the app state")
                target = inner
    return offences


def test_the_source_check_finds_what_it_looks_for() -> None:
    bad = (
        "from proj_tui.tui.app import ProjTuiApp\n"
        "self.shared.pipeline = 'x'\n"
        "app_state(self).overrides['k'] = 1\n"
        "self.app.state.env = 'prod'\n"
        "state.invalid[key] = why\n"
        "self.state.status = 'failed'\n"  # a run tab's own RunState: fine
    )
    assert len(_offences("bad.py", bad)) == 5


def test_screens_and_components_never_import_the_app_nor_write_the_state() -> None:
    """Harlequin's rule: a widget posts a message; only ``AppState``'s writers change state."""
    offences = []
    for path in _sources("screens") + _sources("components"):
        offences += _offences(path.name, path.read_text())
    assert not offences, offences
