"""The app on a real Kedro project, driven by Pilot: the tree from Kedro's registry, the Run setup
form from Kedro's merged parameters (with file:line), envs from the conf folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.node_tree import NodeTree
from proj_tui.tui.components.param_form import ParamRow
from proj_tui.tui.screens.project import ProjectScreen
from proj_tui.tui.screens.run_setup import RunSetupScreen
from tui.pilot_helpers import settle

SIZE = (120, 40)


def _row(app: ProjTuiApp, key: str) -> ParamRow:
    return next(r for r in app.screen.query(ParamRow) if r.field.key == key)


async def test_browse_a_kedro_project_and_set_up_a_run(kedro_project: Path) -> None:
    (kedro_project / "conf/local/parameters.yml").write_text(
        textwrap.dedent(
            """\
            # local tweaks
            split:
              test_size: 0.3
            """
        ),
        encoding="utf-8",
    )
    app = ProjTuiApp(kedro_project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ProjectScreen)
        assert app.state.config is not None and app.state.config.project.kind == "kedro"
        assert app.state.description is not None and not app.state.description.errors
        tree = app.screen.query_one(NodeTree)
        await pilot.press("down", "down")
        node = tree.node_at_cursor()
        assert node is not None and node.name == "preprocess_shuttles__e9895aee"
        detail = str(app.screen.query_one("#detail").render())
        assert "src/space_lite/pipelines/data_processing/nodes.py:25" in detail
        assert "preprocessed_shuttles" in detail

        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, RunSetupScreen)
        assert app.state.config.envs == ["local"]
        size = _row(app, "split.test_size")
        assert size.field.value == 0.3
        info = str(size.query_one(".param-info").render())
        assert "conf/local/parameters.yml:3" in info
        assert "0.25 (conf/base/parameters.yml)" in info
        top_n = _row(app, "reporting.top_n")
        assert "conf/base/parameters_reporting.yml:2" in str(
            top_n.query_one(".param-info").render()
        )
        # Kedro's merge replaced `split` from base: its random_state is not offered
        assert not any(r.field.key == "split.random_state" for r in app.screen.query(ParamRow))


async def _until(
    predicate: Callable[[], object], pilot: Pilot[Any], timeout: float = 120.0
) -> None:
    """Polls with short pauses: each reload here waits for a Kedro child (seconds on CI)."""
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached in time")


def _source_of(app: ProjTuiApp, name: str) -> str | None:
    description = app.state.description
    nodes = description.pipelines.get("__default__", []) if description else []
    return next((n.source for n in nodes if n.name == name), None)


async def test_a_kedro_project_reloads_its_conf_and_its_code(kedro_project: Path) -> None:
    app = ProjTuiApp(kedro_project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _until(lambda: app.live.watch_ready and app.state.fields, pilot)
        await pilot.press("2")
        await settle(pilot)
        assert _row(app, "reporting.top_n").field.value == 3
        params = kedro_project / "conf/base/parameters_reporting.yml"
        params.write_text(params.read_text().replace("top_n: 3", "top_n: 4"))
        await _until(lambda: _row(app, "reporting.top_n").field.value == 4, pilot)

        nodes_py = kedro_project / "src/space_lite/pipelines/reporting/nodes.py"
        assert (_source_of(app, "reporting.summarize") or "").endswith("nodes.py:6")
        nodes_py.write_text(
            nodes_py.read_text().replace("\n\ndef summarize", "\n\n\ndef summarize")
        )
        await _until(
            lambda: (_source_of(app, "reporting.summarize") or "").endswith("nodes.py:7"), pilot
        )


_TYPED_PIPELINE = """\
from dataclasses import dataclass

from kedro.pipeline import Pipeline, node


@dataclass
class SplitOptions:
    test_size: float
    random_state: int

    def __post_init__(self) -> None:
        if not 0 < self.test_size < 1:
            raise ValueError("test_size must be between 0 and 1")


def check_split(options: SplitOptions) -> float:
    return options.test_size


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([node(check_split, "params:split", "split_checked", name="check")])
"""


async def test_typed_parameters_show_their_type_and_kedros_error_before_launch(
    kedro_project: Path,
) -> None:
    pkg = kedro_project / "src/space_lite/pipelines/checks"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from .pipeline import create_pipeline\n")
    (pkg / "pipeline.py").write_text(_TYPED_PIPELINE)
    app = ProjTuiApp(kedro_project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        size = _row(app, "split.test_size")
        assert size.field.type_name == "float (SplitOptions)"
        assert "type float (SplitOptions)" in str(size.query_one(".param-info").render())
        assert app.state.problems() == []

        size.query_one(Input).focus()
        await pilot.press("ctrl+u", *"1.5")
        assert app.state.overrides == {"split.test_size": 1.5}
        await _until(lambda: app.state.problems(), pilot)
        assert "test_size must be between 0 and 1" in app.state.problems()[0]
        assert "cannot run yet" in str(app.screen.query_one("#command").render())
        await pilot.press("ctrl+r")  # Kedro would refuse it: no run starts
        assert isinstance(app.screen, RunSetupScreen)

        await pilot.press("ctrl+u", *"0.4")
        await _until(lambda: app.state.typed_for == ("local", {"split.test_size": 0.4}), pilot)
        assert app.state.problems() == []


def test_the_welcome_screen_opens_a_kedro_project(kedro_project: Path, tmp_path: Path) -> None:
    from proj_tui.tui.screens.welcome import ProjectPath

    inside = kedro_project / "conf" / "base"
    assert ProjectPath(tmp_path).validate(str(inside)).is_valid
    assert not ProjectPath(tmp_path).validate(str(tmp_path)).is_valid


async def test_config_blame_and_compare_of_a_kedro_project(kedro_project: Path) -> None:
    from textual.widgets import DataTable

    from proj_tui.tui.screens.config_view import ConfigViewScreen, open_config_view

    (kedro_project / "conf/local/parameters.yml").write_text("split:\n  test_size: 0.3\n")
    (kedro_project / "conf/prod").mkdir()
    (kedro_project / "conf/prod/parameters.yml").write_text("features:\n  scale: 5\n")
    app = ProjTuiApp(kedro_project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        open_config_view(app, "blame")
        await _until(lambda: isinstance(app.screen, ConfigViewScreen) and app.screen._blame, pilot)
        screen = app.screen
        assert isinstance(screen, ConfigViewScreen)
        table: DataTable[Any] = screen.query_one("#blame-table", DataTable)
        key = "parameters.split.test_size"
        assert str(table.get_cell(key, "env")) == "local"
        assert str(table.get_cell(key, "overrode")) == "0.25 (base)"
        assert "catalog.companies.filepath" in [str(k.value) for k in table.rows]
        assert app.state.config is not None and app.state.config.envs == ["local", "prod"]
        rows = {r.key: r for r in screen._compare}  # local against prod
        assert (rows["split.test_size"].left, rows["split.test_size"].right) == (0.3, 0.25)
        assert (rows["features.scale"].left, rows["features.scale"].right) == (2, 5)
        # Kedro's merge replaced `split` in local: its random_state is only prod's (from base)
        assert not rows["split.random_state"].left_set and rows["split.random_state"].right_set
