"""Live reload on a real demo copy: files are edited while the app runs and the screens follow.

No sleeps beyond what the watcher's debounce needs: each check polls with short pauses under an
overall timeout.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input, Static

from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.config_banner import ConfigBanner
from proj_tui.tui.components.node_tree import NodeTree
from proj_tui.tui.components.param_form import ParamRow
from proj_tui.tui.components.plan_preview import PlanPreview
from proj_tui.tui.model import NodeInfo
from proj_tui.tui.screens.config_view import ConfigViewScreen
from proj_tui.tui.screens.project import ProjectScreen
from proj_tui.tui.screens.run_setup import RunSetupScreen
from proj_tui.tui.screens.runs import RunsScreen
from tui.pilot_helpers import settle
from tui.recording import RecordingApp

from helpers import cli, make_demo

SIZE = (120, 40)
PARAMS = Path("conf/base/parameters.yml")


async def until(predicate: Callable[[], object], pilot, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    # A generous limit, not a timing check: under a loaded machine a reload (a child process that
    # describes the pipelines) can take many seconds; only a reload that never comes fails.
    for _ in range(int(max(timeout, 60.0) / 0.02)):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached in time")


async def ready(app: ProjTuiApp, pilot) -> None:  # type: ignore[no-untyped-def]
    """Loaded, and the watcher's OS watches are in place (edits from now on are seen)."""
    await settle(pilot)
    await until(lambda: app.live.watch_ready and app.state.fields, pilot)
    await pilot.pause()


def row(app: ProjTuiApp, key: str) -> ParamRow:
    return next(r for r in app.screen.query(ParamRow) if r.field.key == key)


def text_of(app: ProjTuiApp, key: str) -> str | None:
    """The field's text, or None while its row (or the row's input) is not mounted yet."""
    rows = [r for r in app.screen.query(ParamRow) if r.field.key == key]
    inputs = rows[0].query(Input) if rows else []
    return inputs[0].value if inputs else None


def edit(path: Path, old: str, new: str, *, atomic: bool = False) -> None:
    text = path.read_text()
    assert old in text, old
    text = text.replace(old, new)
    if atomic:  # what most editors do: write a temp file, then rename it over the original
        tmp = path.with_name(path.name + ".tmp.1234")
        tmp.write_text(text)
        os.replace(tmp, path)
    else:
        path.write_text(text)


def toasts(app: ProjTuiApp) -> str:
    return "\n".join(app.said if isinstance(app, RecordingApp) else [])


async def test_changed_value_and_added_key_show_in_the_form(taxi: Path) -> None:
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("2")
        assert isinstance(app.screen, RunSetupScreen)
        await until(lambda: text_of(app, "cleaning.max_fare") == "250.0", pilot)
        focus = row(app, "cleaning.min_distance_km").query_one(Input)
        focus.focus()
        await pilot.pause()

        edit(taxi / PARAMS, "max_fare: 250.0", "max_fare: 99.0", atomic=True)
        await until(lambda: text_of(app, "cleaning.max_fare") == "99.0", pilot)
        assert "parameters.yml: cleaning.max_fare 250.0 → 99.0" in toasts(app)
        assert app.focused is focus  # updated in place: focus stays
        info = str(row(app, "cleaning.max_fare").query_one(".param-info", Static).render())
        assert "99.0" in info and "conf/base/parameters.yml" in info

        edit(taxi / PARAMS, "  drop_missing: true\n", "  drop_missing: true\n  max_age: 7\n")
        await until(lambda: text_of(app, "cleaning.max_age") == "7", pilot)  # row and input mounted
        assert "cleaning.max_age added" in toasts(app)
        form = app.screen.query_one("#params")

        def focused_key() -> str | None:
            focused = form.focused_row()  # type: ignore[attr-defined]
            return focused.field.key if focused is not None else None

        await until(lambda: focused_key() == "cleaning.min_distance_km", pilot, timeout=2)


async def test_a_project_under_a_hidden_folder_reloads(tmp_path: Path) -> None:
    """Like the shared demo under ``~/.local/share``: the form follows a save (issue 18, item 1)."""
    project = make_demo(tmp_path / ".hidden" / "demo")
    app = RecordingApp(project)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("2")
        await until(lambda: text_of(app, "cleaning.max_fare") == "250.0", pilot)
        edit(project / PARAMS, "max_fare: 250.0", "max_fare: 99.0")
        await until(lambda: text_of(app, "cleaning.max_fare") == "99.0", pilot)
        assert app.state.spec().overrides == {}  # ctrl+r runs what the form shows: the file's value
        edit(project / PARAMS, "max_fare: 99.0", "max_fare: [")
        await until(lambda: app.state.config_error is not None, pilot)


async def test_overrides_kept_across_a_reload_and_vanished_keys_marked(taxi: Path) -> None:
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("2")
        await until(lambda: app.screen.query(ParamRow), pilot)
        for key, value in (("cleaning.min_distance_km", "0.5"), ("reporting.top_zones", "9")):
            field = row(app, key).query_one(Input)
            field.value = value
        await until(lambda: len(app.state.overrides) == 2, pilot)

        edit(taxi / PARAMS, "max_fare: 250.0", "max_fare: 120.0")
        edit(taxi / PARAMS, "  top_zones: 5\n", "")
        await until(lambda: "reporting.top_zones" in app.state.vanished, pilot)
        await until(lambda: row(app, "reporting.top_zones").has_class("-vanished"), pilot)
        await until(lambda: text_of(app, "cleaning.max_fare") == "120.0", pilot)

        assert app.state.overrides == {"cleaning.min_distance_km": 0.5, "reporting.top_zones": 9}
        assert text_of(app, "cleaning.min_distance_km") == "0.5"  # the override is kept
        gone = row(app, "reporting.top_zones")
        info = str(gone.query_one(".param-info", Static).render())
        assert "key vanished" in info and "conf/base/parameters.yml" in info
        assert "Override(s) kept for removed key(s): reporting.top_zones" in toasts(app)

        gone.query_one(Input).focus()
        await pilot.press("ctrl+b")  # drops the vanished override and its row
        await until(lambda: "reporting.top_zones" not in app.state.overrides, pilot)
        assert not app.state.vanished


async def test_broken_yaml_shows_a_banner_then_clears_when_fixed(taxi: Path) -> None:
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("2")
        await until(lambda: app.screen.query(ParamRow), pilot)
        good = (taxi / PARAMS).read_text()
        (taxi / PARAMS).write_text(good.replace("  max_fare: 250.0", "  max_fare: [250.0"))
        banner = app.screen.query_one(ConfigBanner)
        await until(lambda: banner.display, pilot)
        shown = str(banner.render())
        assert "conf/base/parameters.yml:" in shown
        problem = app.state.config_error
        assert problem is not None and problem.location is not None
        assert problem.location.startswith("conf/base/parameters.yml:")
        assert problem.location.count(":") == 2  # file:line:column
        assert "last good config" in shown
        assert text_of(app, "cleaning.max_fare") == "250.0"  # the last good config stays

        await pilot.press("1")  # the banner is on the Project screen too
        assert app.screen.query_one(ConfigBanner).display

        (taxi / PARAMS).write_text(good.replace("max_fare: 250.0", "max_fare: 260.0"))
        await until(lambda: app.state.config_error is None, pilot)
        await pilot.pause()
        assert not app.screen.query_one(ConfigBanner).display
        await pilot.press("2")
        await until(lambda: text_of(app, "cleaning.max_fare") == "260.0", pilot)
        assert not app.screen.query_one(ConfigBanner).display


def tree_names(app: ProjTuiApp) -> list[str]:
    tree = app.screen.query_one(NodeTree)
    out = []
    for branch in tree.root.children:
        if branch.data == "__default__":
            out = [leaf.data.name for leaf in branch.children if isinstance(leaf.data, NodeInfo)]
    return out


async def test_pipeline_edits_follow_in_the_tree_and_errors_keep_the_last_good(taxi: Path) -> None:
    app = RecordingApp(taxi)
    pipeline_py = taxi / "src/taxi_fares/pipelines/data_processing/pipeline.py"
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert isinstance(app.screen, ProjectScreen)
        tree = app.screen.query_one(NodeTree)
        await pilot.press("down", "down")
        selected = tree.node_at_cursor()
        assert selected is not None and selected.name == "clean_trips"

        edit(
            pipeline_py,
            '"features_table", name="build_features", tags=["etl", "features"]),\n',
            '"features_table", name="build_features", tags=["etl", "features"]),\n'
            '            node(clean_trips, ["trips_typed", "params:cleaning", "params:runtime"],\n'
            '                 "trips_clean_again", name="clean_again", tags=["etl"]),\n',
        )
        await until(lambda: "clean_again" in tree_names(app), pilot, timeout=15)
        after = tree.node_at_cursor()
        assert after is not None and after.name == "clean_trips"  # the selection stays
        assert "+clean_again" in toasts(app)

        edit(pipeline_py, 'name="clean_again"', 'name="clean_twice"')  # a rename
        await until(lambda: "clean_twice" in tree_names(app), pilot, timeout=15)
        assert "clean_again" not in tree_names(app)

        good = pipeline_py.read_text()
        pipeline_py.write_text(
            good.replace("def create_pipeline() -> Pipeline:", "def create_pipeline( -> Pipeline:")
        )
        errors = app.screen.query_one("#project-errors", Static)
        await until(lambda: errors.display, pilot, timeout=15)
        assert "pipeline.py:" in str(errors.render())
        assert "clean_twice" in tree_names(app)  # the last good tree stays
        pipeline_py.write_text(good)
        await until(lambda: not errors.display, pilot, timeout=15)


async def test_stale_marker_after_editing_a_parameter_and_run_stale(
    taxi: Path, fake_cli: list[str]
) -> None:
    done = cli("run", "--project", str(taxi), "--env", "local", cwd=taxi)
    assert done.returncode == 0, done.stderr
    app = RecordingApp(taxi, cli=fake_cli)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await until(lambda: app.state.stale is not None and app.state.stale.baseline, pilot)
        assert app.state.stale is not None and not app.state.stale.to_run
        tree = app.screen.query_one(NodeTree)
        assert "stale" not in str(tree.root.children[0].children[1].label)

        edit(taxi / PARAMS, "max_fare: 250.0", "max_fare: 99.0")
        await until(
            lambda: app.state.stale is not None and app.state.stale.to_run, pilot, timeout=15
        )
        await pilot.pause()
        labels = {
            leaf.data.name: str(leaf.label)
            for leaf in tree.root.children[0].children
            if isinstance(leaf.data, NodeInfo)
        }
        assert "● stale params" in labels["clean_trips"]
        assert "stale" not in labels["ingest_trips"] or "depends" in labels["ingest_trips"]
        plan = app.screen.query_one(PlanPreview)
        assert any(
            "stale" in str(plan.get_option_at_index(i).prompt) for i in range(plan.option_count)
        )

        await pilot.press("S")  # run just those, through the normal run path
        await until(lambda: isinstance(app.screen, RunsScreen), pilot)
        stale = app.state.stale
        assert stale is not None
        assert app.state.filters == stale.filters and not app.state.filters.is_empty()
        assert app.runs.live() or app.runs


async def test_blame_from_the_focused_field_and_compare_envs(taxi: Path) -> None:
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("2")
        await until(lambda: app.screen.query(ParamRow), pilot)
        row(app, "model_a.model_options.epochs").query_one(Input).focus()
        await pilot.press("ctrl+l")
        await until(lambda: isinstance(app.screen, ConfigViewScreen), pilot)
        screen = app.screen
        await until(lambda: str(screen.query_one("#blame-detail", Static).render()), pilot)
        detail = str(screen.query_one("#blame-detail", Static).render())
        assert "parameters.model_a.model_options.epochs = 200" in detail
        assert "conf/local/parameters.yml" in detail
        assert "overrode 300 from conf/base/parameters/data_science.yml (env base)" in detail

        await pilot.press("c")
        await pilot.pause()
        title = str(screen.query_one("#config-view-title", Static).render())
        assert "local" in title and "prod" in title and "differ" in title
        table = screen.query_one("#compare-table")
        keys = [str(k.value) for k in table.rows]  # type: ignore[attr-defined]
        assert "cleaning.max_fare" in keys and "cleaning.min_distance_km" not in keys
        await pilot.press("a")
        await pilot.pause()
        keys = [str(k.value) for k in table.rows]  # type: ignore[attr-defined]
        assert "cleaning.min_distance_km" in keys
        await pilot.press("escape")
        assert isinstance(app.screen, RunSetupScreen)
