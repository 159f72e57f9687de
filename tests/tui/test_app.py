"""The app driven through Pilot on the real demo project (runs via a scripted CLI, see fake_cli)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Log

from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.node_tree import NodeTree
from proj_tui.tui.components.param_form import ParamRow
from proj_tui.tui.components.plan_preview import PlanPreview
from proj_tui.tui.components.run_tab import RunTab
from proj_tui.tui.screens.help import HelpScreen
from proj_tui.tui.screens.modals import ErrorModal, QuitModal
from proj_tui.tui.screens.project import ProjectScreen
from proj_tui.tui.screens.run_setup import RunSetupScreen
from proj_tui.tui.screens.runs import RunsScreen
from proj_tui.tui.textual_compat import notifications
from tui.pilot_helpers import settle

from helpers import make_demo

SIZE = (120, 40)


async def until(predicate: Callable[[], bool], pilot, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached in time")


def row(app: ProjTuiApp, key: str) -> ParamRow:
    return next(r for r in app.screen.query(ParamRow) if r.field.key == key)


async def test_browse_filter_and_plan(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ProjectScreen)
        tree = app.screen.query_one(NodeTree)
        await pilot.press("down", "down")
        node = tree.node_at_cursor()
        assert node is not None and node.name == "clean_trips"
        detail = str(app.screen.query_one("#detail").render())
        assert "src/taxi_fares/pipelines/data_processing/nodes.py:" in detail
        assert "trips_typed" in detail

        await pilot.press("t")  # its tags become a run filter
        assert app.state.filters.tags == {"etl"}
        plan = app.screen.query_one(PlanPreview)
        assert "3 of 11 nodes" in str(plan.border_title)
        await pilot.press("n")  # and the node itself
        assert [n.name for n in app.state.planned()] == ["clean_trips"]
        await pilot.press("x")
        assert app.state.filters.is_empty()

        await pilot.press("slash", *"model_a")
        assert app.screen.query_one("#filter", Input).value == "model_a"
        await pilot.press("enter", "down", "down")
        shown = tree.node_at_cursor()
        assert shown is not None and shown.name.startswith("model_a.")
        await pilot.press("s")
        assert app.state.filters.namespaces == {"model_a"}
        assert all(n.namespace == "model_a" for n in app.state.planned())


async def test_env_params_validation_and_command(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, RunSetupScreen)
        await pilot.press("ctrl+f", "down", "enter")  # env picker: local -> prod
        await settle(pilot)
        assert app.state.env == "prod"
        fare = row(app, "cleaning.max_fare")
        assert fare.field.value == 150.0
        info = str(fare.query_one(".param-info").render())
        assert (
            "conf/prod/parameters.yml" in info and "base 250.0 (conf/base/parameters.yml)" in info
        )

        editor = fare.query_one(Input)
        editor.focus()
        await pilot.press("ctrl+u", *"12x")  # invalid while typing, with the reason
        assert "cleaning.max_fare" in app.state.invalid
        assert "not a number" in str(fare.query_one(".param-error").render())
        await pilot.press("ctrl+r")  # cannot run while a field is invalid
        assert isinstance(app.screen, RunSetupScreen)
        assert "cannot run yet" in str(app.screen.query_one("#command").render())

        await pilot.press("backspace", "0")  # valid again: an override
        assert app.state.invalid == {}
        assert app.state.overrides == {"cleaning.max_fare": 120.0}
        command = str(app.screen.query_one("#command").render())
        assert "--env prod" in command and "--params cleaning.max_fare=120.0" in command
        assert "override → 120.0" in str(fare.query_one(".param-info").render())

        await pilot.press("ctrl+b")  # reset the focused field
        assert app.state.overrides == {}
        epochs = row(app, "model_a.model_options.epochs")
        epochs.query_one(Input).focus()
        await pilot.press("ctrl+u", "9")
        assert app.state.overrides == {"model_a.model_options.epochs": 9}
        await pilot.press("ctrl+g")  # reset all
        await pilot.pause()
        assert app.state.overrides == {}

        app.action_copy_command()
        assert app.clipboard.startswith(f"proj-tui run --project {taxi}")


async def test_bool_and_yaml_fields(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause()
        drop = row(app, "cleaning.drop_missing")
        from textual.widgets import Switch

        drop.query_one(Switch).focus()
        await pilot.press("enter")
        assert app.state.overrides == {"cleaning.drop_missing": False}
        hours = row(app, "features.rush_hours")
        hours.query_one(Input).focus()
        await pilot.press("ctrl+u", *"[7, 8")
        assert "YAML" in app.state.invalid["features.rush_hours"]
        await pilot.press("]")
        assert app.state.overrides["features.rush_hours"] == [7, 8]
        assert "features.rush_hours=[7, 8]" in app.state.spec().command().replace("'", "")


async def test_env_vars_are_passed_and_redacted(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press(*"API_TOKEN", "tab", *"s3cret")
        value = app.focused
        assert isinstance(value, Input) and value.password
        assert app.state.env_vars == {"API_TOKEN": "s3cret"}
        command = str(app.screen.query_one("#command").render())
        assert "--env-var API_TOKEN" in command and "s3cret" not in command
        assert "<redacted>" not in command
        argv = app.state.spec().child_argv(["proj-tui"])  # the value goes in its environment
        assert "API_TOKEN" in argv and not any("s3cret" in arg for arg in argv)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press(*"1BAD", "tab", "x")
        assert "1BAD" in app.state.env_var_problems


async def test_help_palette_and_keymap(taxi: Path, tmp_path: Path) -> None:
    config = tmp_path / "xdg-config" / "proj-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[keymap]\n"app.help" = "f1"\n"app.nope" = "f9"\n')
    said: list[str] = []

    class Recording(ProjTuiApp):
        """Keeps every toast's text: a toast expires after 10 s, a loaded machine takes longer."""

        def notify(self, message: str, **kwargs: Any) -> None:
            said.append(str(message))
            super().notify(message, **kwargs)

    app = Recording(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "`app.run`" in app.screen.markdown and "`setup.reset_field`" in app.screen.markdown
        assert "`f1`" in app.screen.markdown or "F1" in app.screen.markdown
        await pilot.press("escape")
        assert isinstance(app.screen, ProjectScreen)
        # the unknown id was reported, not fatal
        assert any("app.nope" in text for text in said)

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"switch env: prod")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.env == "prod"


async def test_presets_save_and_load(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause()
        row(app, "reporting.top_zones").query_one(Input).focus()
        await pilot.press("ctrl+u", "9", "ctrl+s")
        await pilot.pause()
        await pilot.press(*"nine", "enter")
        await pilot.pause()
        preset = taxi / ".proj-tui" / "presets" / "nine.yml"
        assert "reporting.top_zones: 9" in preset.read_text()
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert app.state.overrides == {}
        await pilot.press("escape", "ctrl+o")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.overrides == {"reporting.top_zones": 9}
        assert row(app, "reporting.top_zones").query_one(Input).value == "9"


async def test_broken_config_shows_file_and_line(taxi: Path) -> None:
    (taxi / "conf" / "prod" / "parameters.yml").write_text("cleaning:\n  max_fare: [1,\n")
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.set_env("prod")
        await settle(pilot)
        assert app.state.config_error is not None  # the banner, not a modal (issue 18, item 5)
        assert app.state.config_error.location == "conf/prod/parameters.yml:3:1"
        await pilot.press("2")
        await pilot.pause()
        assert "parameters.yml" in str(app.state.params_error)
        app.set_env("local")  # the app carries on
        await settle(pilot)
        assert app.state.params_error is None and app.state.fields
        assert app.state.config_error is None


async def test_unknown_env_and_broken_pipeline_are_reported(taxi: Path) -> None:
    pipeline = taxi / "src" / "taxi_fares" / "pipelines" / "reporting" / "pipeline.py"
    pipeline.write_text("import no_such_module\n")
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.state.description is not None and app.state.description.errors
        errors = str(app.screen.query_one("#project-errors").render())
        assert "reporting/pipeline.py" in errors
        app.set_env("staging")
        await settle(pilot)
        assert isinstance(app.screen, ErrorModal) and "staging" in app.screen.message


@pytest.mark.parametrize(
    ("mode", "status"),
    [("succeed", "succeeded"), ("fail", "failed"), ("crash", "failed"), ("segfault", "failed")],
)
async def test_run_ends_in_a_tab(
    taxi: Path, fake_cli: list[str], monkeypatch: pytest.MonkeyPatch, mode: str, status: str
) -> None:
    monkeypatch.setenv("FAKE_RUN", mode)
    app = ProjTuiApp(taxi, cli=fake_cli)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        tab = app.screen.query_one(RunTab)
        await until(lambda: tab.state.done, pilot)
        await pilot.pause(0.1)
        assert tab.state.status == status
        log = tab.query_one(Log)
        assert any("running ingest" in line for line in log.lines)
        assert any(f"Run #1 (__default__) {status}" in str(n.message) for n in notifications(app))
        if mode in ("crash", "segfault"):
            assert "ended without finishing" in (tab.state.error or "")
        assert app.is_running


async def test_two_runs_cancel_one_quit_asks(
    taxi: Path, fake_cli: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_RUN", "hang")
    app = ProjTuiApp(taxi, cli=fake_cli)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        tabs = list(app.screen.query(RunTab))
        assert len(tabs) == 2
        await until(lambda: all(t.state.nodes["train"].status == "running" for t in tabs), pilot)
        await pilot.press("c")  # cancels the active (second) tab
        await until(lambda: tabs[1].state.done, pilot)
        assert tabs[1].state.status == "cancelled" and tabs[0].live
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitModal)
        await pilot.press("escape")  # stay
        assert app.is_running and tabs[0].live
        pid = tabs[0].supervisor.proc.pid  # type: ignore[union-attr]
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("c")  # cancel the runs, then quit
        await until(lambda: not app.is_running, pilot)
        assert tabs[0].state.status == "cancelled"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_mouse_works_too(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(NodeTree)
        await pilot.click(NodeTree, offset=(6, 2))  # line 0 is the pipeline, 2 is its 2nd node
        node = tree.node_at_cursor()
        assert node is not None and node.name == "clean_trips"
        await pilot.press("2")
        await pilot.pause()
        from textual.widgets import Switch

        await pilot.click(".param-row Switch")
        assert app.state.overrides == {"cleaning.drop_missing": False}
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press(*"GONE")
        assert app.screen.query(".env-row")
        await pilot.click(".env-remove")
        await pilot.pause()
        assert not app.screen.query(".env-row") and app.state.env_vars == {}
        assert isinstance(app.screen.query_one(".param-row Switch"), Switch)


async def test_a_run_that_cannot_start_is_reported(taxi: Path, tmp_path: Path) -> None:
    app = ProjTuiApp(taxi, cli=[str(tmp_path / "no-such-proj-tui")])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.state.description is not None and app.state.description.errors
        await pilot.press("ctrl+r")
        await pilot.pause()
        await until(lambda: bool(app.runs.tabs) and app.runs.tabs[0].state.done, pilot)
        tab = app.runs.tabs[0]
        await pilot.pause()
        assert tab.state.status == "failed" and "no-such-proj-tui" in (tab.state.error or "")
        assert isinstance(app.screen, ErrorModal)
        await pilot.press("escape")
        assert app.is_running and not app.runs.live()


async def test_ctrl_r_refuses_plans_the_app_knows_cannot_run(taxi: Path) -> None:
    """A from-node of another pipeline, and a config file that does not load, are refused with
    "Cannot run / Fix first" instead of a failed session (issue 18, item 4)."""
    from proj_tui.tui.messages import FilterToggled, PipelineChosen
    from tui.recording import RecordingApp

    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.post_message(FilterToggled("from_nodes", ("zone_report",)))  # Project: f on it
        app.post_message(PipelineChosen("data_processing"))  # the tree's cursor moved on
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert not app.runs.tabs and app.current_mode == "project"
        assert "Fix first: pipeline data_processing has no nodes zone_report" in app.said[-1]
        await pilot.press("2")
        await settle(pilot)
        shown = str(app.screen.query_one("#command").render())
        assert "cannot run yet" in shown and "zone_report" in shown

        app.post_message(FilterToggled("from_nodes", ("zone_report",)))  # out again
        params = taxi / "conf" / "base" / "parameters.yml"
        params.write_text(params.read_text() + "\nbroken: [\n")
        await until(lambda: app.state.config_error is not None, pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert not app.runs.tabs
        assert "Fix first: config: conf/base/parameters.yml" in app.said[-1], app.said[-1]
    assert not (taxi / ".proj-tui" / "sessions.db").exists()  # no failed session either


async def test_the_plan_says_loading_until_the_pipelines_are_described(
    taxi: Path, fake_cli: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said "Nothing to run: the pipeline has no nodes." while the pipelines loaded."""
    gate = tmp_path / "describe-now"
    monkeypatch.setenv("FAKE_DESCRIBE_GATE", str(gate))
    app = ProjTuiApp(taxi, cli=fake_cli)

    def shown() -> list[str]:
        plan = app.screen.query_one(PlanPreview)
        return [str(plan.get_option_at_index(i).prompt) for i in range(plan.option_count)]

    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.state.config is not None, pilot)
        await pilot.pause()
        assert app.state.description is None
        assert shown() == ["[dim]Loading the pipelines…[/dim]"]
        assert "nodes" not in str(app.screen.query_one(PlanPreview).border_title)
        gate.touch()
        await until(lambda: app.state.description is not None, pilot)
        await pilot.pause()
        assert len(shown()) == 11 and "11 of 11 nodes" in str(
            app.screen.query_one(PlanPreview).border_title
        )


async def test_a_cancelled_runs_toast_says_cancelled_once(tmp_path: Path) -> None:
    """It read "Run #1 (__default__) cancelled: Cancelled: The run was cancelled by SIGINT."."""
    project = make_demo(tmp_path / "slow", latency=0.6)  # the real CLI, slow enough to cancel
    app = ProjTuiApp(project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await pilot.pause()
        tab = app.screen.query_one(RunTab)
        await until(lambda: tab.state.session_id is not None, pilot, timeout=60)  # started
        await pilot.press("c")
        await until(lambda: tab.state.done, pilot, timeout=30)
        assert tab.state.status == "cancelled" and "SIGINT" in (tab.state.error or "")
        toasts = [str(n.message) for n in notifications(app) if "Run #1" in str(n.message)]
        assert toasts == ["Run #1 (__default__) cancelled"]
