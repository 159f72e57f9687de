"""The History screens driven through Pilot on real stores: real demo runs plus bulk rows.

Runs launched from History (rerun, resume) are real child ``proj-tui run --events json``
processes started through the Runs screen; a second process writing the store while the list is
open is a real ``python -m proj_tui run``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Log

from proj_tui.framework.selection import RunSelection
from proj_tui.framework.store import LogLine, NodeRun, SQLiteSessionStore, parse_query
from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.history_actions import NoteModal
from proj_tui.tui.components.history_table import HistoryTable
from proj_tui.tui.components.run_tab import RunTab
from proj_tui.tui.components.timeline import Timeline
from proj_tui.tui.screens.modals import ConfirmModal, ErrorModal, PickModal
from proj_tui.tui.screens.session_detail import SessionDetailScreen
from proj_tui.tui.screens.session_diff import SessionDiffScreen
from proj_tui.tui.screens.sessions import PAGE, SessionsScreen, history_commands
from tui.pilot_helpers import settle
from tui.recording import RecordingApp

from helpers import cli

SIZE = (140, 45)
BASE = 1_790_000_000.0  # 2026-09-21T20:53:20Z: fixed start times for synthetic sessions
NODES = ("ingest", "clean", "train", "report")


def add_session(
    store: SQLiteSessionStore,
    i: int,
    *,
    project: Path,
    status: str = "succeeded",
    env: str = "local",
    pipeline: str = "__default__",
    user: str = "ana",
    lr: float = 0.01,
    override: bool = False,
    logs: int = 3,
    dirty: bool = False,
    env_vars: dict[str, str] | None = None,
    parent: str | None = None,
) -> str:
    """One finished session with fixed times, nodes and logs, written through the store API."""
    started = BASE + i * 600
    params = {"model": {"lr": lr, "layers": [8, 4]}, "seed": 1}
    record = {
        "project_path": str(project),
        "package_name": "taxi_fares",
        "env": env,
        "pipeline": pipeline,
        "user": user,
        "host": "build-01",
        "pid": 4242,
        "runtime_params": {"model": {"lr": lr}} if override else {},
        "params": params,
        "cli": {
            "command": "proj-tui run" + (f" --params model.lr={lr}" if override else ""),
            "flags": {"params": f"model.lr={lr}"} if override else {},
        },
        "env_vars": env_vars or {"PROJ_TUI_ENV": env},
        "versions": {"python": "3.11.7", "proj_tui": "0.1.0", "platform": "linux"},
        "filters": {},
        "runner": "SequentialRunner",
        "git": {
            "commit": f"{(i + 1) * 0x9E3779B97F4A7C15:x}"[-16:].ljust(40, "0"),
            "branch": "main",
            "dirty": dirty,
        },
        "parent_id": parent,
    }
    sid = store.create_session(record, now=started)
    runs = []
    t = started
    for k, name in enumerate(NODES):
        if status == "failed" and k == 3:
            runs.append(NodeRun(name, "not_run"))
            continue
        took = 2.0 + 3 * k
        failed = status == "failed" and k == 2
        runs.append(
            NodeRun(
                name,
                "failed" if failed else "succeeded",
                t,
                t + took,
                "ValueError: lr too large" if failed else None,
            )
        )
        t += took + 0.5
    store.record_nodes(sid, runs)
    store.append_logs(
        sid,
        [
            LogLine(ts=started + k, level="INFO", logger="proj_tui.runner", message=f"step {k}")
            for k in range(logs)
        ],
    )
    error = (
        {
            "type": "ValueError",
            "message": "lr too large",
            "traceback": 'Traceback (most recent call last):\n  File "nodes.py", line 3, in train\n'
            "ValueError: lr too large\n",
        }
        if status == "failed"
        else None
    )
    store.finish_session(sid, status, error=error, ended_at=t)
    return sid


async def until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached in time")


async def open_history(pilot: Pilot[Any]) -> SessionsScreen:
    await settle(pilot)
    await pilot.press("4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SessionsScreen)
    return screen


def status_text(screen: SessionsScreen) -> str:
    return str(screen.query_one("#history-status").render())


def table_ids(screen: SessionsScreen) -> list[str]:
    return screen.query_one(HistoryTable).ids()


@pytest.fixture
def store(taxi: Path) -> SQLiteSessionStore:
    path = taxi / ".proj-tui" / "sessions.db"
    path.parent.mkdir(exist_ok=True)
    return SQLiteSessionStore(path)


async def finished_run_tab(app: ProjTuiApp, pilot: Pilot[Any]) -> RunTab:
    """The run tab a rerun or resume opened, once its run has ended."""
    await until(
        pilot, lambda: bool(app.screen.query(RunTab)) and not app.screen.query_one(RunTab).live
    )
    return app.screen.query_one(RunTab)


async def test_pages_filter_and_sort(taxi: Path, store: SQLiteSessionStore) -> None:
    ids = [
        add_session(
            store,
            i,
            project=taxi,
            status="failed" if i % 10 == 3 else "succeeded",
            env="prod" if i % 4 == 0 else "local",
            user="bo" if i % 2 else "ana",
            lr=0.001 * (i % 50),
            override=i % 3 == 0,
            logs=0,
        )
        for i in range(250)
    ]
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        table = screen.query_one(HistoryTable)
        assert table.row_count == PAGE
        assert table_ids(screen)[0] == ids[-1]  # newest first
        assert status_text(screen).startswith("rows 1-100 of 250")

        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert status_text(screen).startswith("rows 101-200 of 250")
        assert table_ids(screen)[0] == ids[-101]
        await pilot.press("up")  # off the top of the page: the previous page, cursor at its end
        await settle(pilot)
        assert status_text(screen).startswith("rows 1-100 of 250")
        assert screen.current_id() == ids[-100]
        await pilot.press("down")  # and back down past the edge
        await settle(pilot)
        assert screen.current_id() == ids[-101]

        await pilot.press("slash")
        await pilot.press(*"status:failed user:bo")
        await settle(pilot)
        expected = store.list_sessions(parse_query("status:failed user:bo"), limit=PAGE)
        assert expected
        assert table_ids(screen) == [s.session_id for s in expected]
        assert status_text(screen).startswith(f"rows 1-{len(expected)} of {len(expected)}")

        screen.query_one("#history-filter", Input).value = "user:bo model.lr>0.04"
        await settle(pilot)
        expected = store.list_sessions(parse_query("user:bo model.lr>0.04"), limit=PAGE)
        assert expected and table_ids(screen) == [s.session_id for s in expected]

        shown = table_ids(screen)
        screen.query_one("#history-filter", Input).value = "status:nope"
        await settle(pilot)
        error = screen.query_one("#history-error")
        assert error.display and "Unknown status 'nope'" in str(error.render())
        assert table_ids(screen) == shown  # the last good page stays
        assert not app.errors

        screen.query_one("#history-filter", Input).value = ""
        await settle(pilot)
        assert not error.display
        await pilot.press("escape", "s")  # back to the list, then: oldest first
        await settle(pilot)
        assert table_ids(screen)[0] == ids[0]
        assert "oldest first" in str(screen.query_one("#history-sort").render())
        screen.query_one("#history-filter", Input).value = "sort:-duration"
        await settle(pilot)
        longest = store.list_sessions(parse_query("sort:-duration"), limit=1)[0]
        assert table_ids(screen)[0] == longest.session_id


async def test_detail_of_real_failed_session(taxi: Path) -> None:
    failed = cli(
        "run", "--params", "model_b.model_options.lr=7", "--env-var", "API_TOKEN=s3cret", cwd=taxi
    )
    assert failed.returncode == 1
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, SessionDetailScreen) and detail.record is not None
        head = str(detail.query_one("#detail-head").render())
        assert "FAILED" in head and detail.record.session_id in head
        overview = str(detail.query_one("#detail-overview").render())
        assert "proj-tui run --params model_b.model_options.lr=7" in overview
        assert "API_TOKEN=<redacted>" in overview and "s3cret" not in overview
        assert "versions" in overview and "python" in overview
        assert "--from-nodes" in overview  # the resume hint
        assert not detail.query("#detail-params")  # the other tabs are built when first shown
        await pilot.press("right_square_bracket")
        await settle(pilot)
        params = detail.query_one("#detail-params")
        assert "* model_b.model_options.lr = 7" in str(params.render())
        assert "  model_a.model_options.lr = 0.05" in str(params.render())

        await pilot.press("right_square_bracket")
        await settle(pilot)
        timeline = detail.query_one(Timeline)
        statuses = {n.name: n.status for n in timeline.nodes}
        assert statuses["model_b.train_model"] == "failed"
        assert statuses["compare_models"] == "not_run"
        drawn = str(timeline.render())
        assert "✗ failed" in drawn and "· not run" in drawn and "█" in drawn

        await pilot.press("right_square_bracket")
        await settle(pilot)
        log = detail.query_one("#detail-log", Log)
        assert log.line_count > 3
        await pilot.press("slash")
        await pilot.press(*"model_b")
        await settle(pilot)
        assert log.line_count > 0
        shown = "\n".join(log.lines)
        assert "Running node: model_b.split_data" in shown
        assert "Running node: model_a.split_data" not in shown
        assert "matching 'model_b'" in str(detail.query_one("#detail-log-status").render())

        detail.action_tab(1)  # the ] key's action (the log filter has the keys now)
        await settle(pilot)
        error = str(detail.query_one("#detail-error").render())
        assert "ValueError: model_options.lr must be in (0, 1], got 7.0" in error
        assert "Traceback (most recent call last)" in error
        await pilot.press("escape")  # leaves the log filter
        await pilot.press("escape")
        assert isinstance(app.screen, SessionsScreen)


async def test_parent_link_and_diff_from_detail(taxi: Path) -> None:
    assert cli("run", "--pipeline", "data_processing", cwd=taxi).returncode == 0
    store = SQLiteSessionStore.for_project(taxi)
    parent = store.list_sessions(limit=1)[0].session_id
    rerun = cli("sessions", "rerun", parent, "--params", "cleaning.max_fare=90", cwd=taxi)
    assert rerun.returncode == 0, rerun.stderr
    child = store.list_sessions(limit=1)[0].session_id
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        assert screen.current_id() == child
        await pilot.press("enter")
        await settle(pilot)
        assert f"parent     {parent}" in str(app.screen.query_one("#detail-overview").render())
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, SessionDetailScreen)
        assert app.screen.session_id == parent
        await pilot.press("escape")
        await pilot.press("d")  # nothing marked: pick the other side (the parent comes first)
        await settle(pilot)
        assert isinstance(app.screen, PickModal)
        assert app.screen.choices[0] == parent
        await pilot.press("enter")
        await settle(pilot)
        diff = app.screen
        assert isinstance(diff, SessionDiffScreen)
        assert (diff.left_id, diff.right_id) == (parent, child)
        keys = {(r.section, r.key) for r in diff.rows if r.changed}
        assert ("params", "cleaning.max_fare") in keys
        await pilot.press("O")  # the right side in full, asked of the app
        await until(pilot, lambda: isinstance(app.screen, SessionDetailScreen))
        assert isinstance(app.screen, SessionDetailScreen) and app.screen.session_id == child


async def test_parent_that_was_deleted_is_a_toast_not_an_empty_screen(
    taxi: Path, store: SQLiteSessionStore
) -> None:
    """P on a session whose parent is gone says so, and stays where it is (issue 18, item 6)."""
    parent = add_session(store, 1, project=taxi)
    child = add_session(store, 2, project=taxi, parent=parent)
    assert store.delete_sessions([parent]) == 1
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        assert screen.current_id() == child
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, SessionDetailScreen) and detail.session_id == child
        depth = len(app.screen_stack)
        await pilot.press("P")
        await settle(pilot)
        assert app.screen is detail and len(app.screen_stack) == depth
        assert not app.errors  # no error modal either
        assert any(f"{parent}, is no longer in the store" in m for m in app.said), app.said


async def test_mark_and_diff(taxi: Path, store: SQLiteSessionStore) -> None:
    a = add_session(store, 1, project=taxi, env="local", lr=0.01)
    b = add_session(store, 2, project=taxi, env="prod", lr=0.05, override=True, dirty=True)
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        assert screen.current_id() == b
        await pilot.press("d")  # nothing marked yet: says how
        assert not isinstance(app.screen, SessionDiffScreen)
        await pilot.press("down", "space")  # mark a
        assert list(screen.marked) == [a]
        table = screen.query_one(HistoryTable)
        assert "●" in table.line_text(table.ids().index(a))
        await pilot.press("up", "d")
        await settle(pilot)
        diff = app.screen
        assert isinstance(diff, SessionDiffScreen)
        table = diff.query_one("#diff-table")
        changed = {(r.section, r.key) for r in diff.rows if r.changed}
        assert {("session", "env"), ("params", "model.lr"), ("git", "dirty")} <= changed
        assert ("params", "seed") not in changed
        assert table.row_count == len(changed)  # type: ignore[attr-defined]
        await pilot.press("a")
        assert table.row_count == len(diff.rows)  # type: ignore[attr-defined]
        await pilot.press("s")
        await settle(pilot)
        assert (diff.left_id, diff.right_id) == (b, a)
        await pilot.press("escape")
        assert isinstance(app.screen, SessionsScreen)


async def test_pin_note_and_delete(taxi: Path, store: SQLiteSessionStore) -> None:
    ids = [add_session(store, i, project=taxi) for i in range(3)]
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        reads = screen.generation
        await pilot.press("p")
        await settle(pilot)
        assert store.get_session(ids[2]).pinned
        screen._poll()  # the poll sees the pin as already shown: no second read of the page
        assert screen.generation == reads + 1  # (a second one cancelled the first: the race)
        await until(pilot, lambda: screen.rows[ids[2]].pinned)
        table = screen.query_one(HistoryTable)
        assert "★" in table.line_text(table.ids().index(ids[2]))

        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NoteModal)
        await pilot.press(*"baseline run", "enter")
        await settle(pilot)
        assert store.get_session(ids[2]).note == "baseline run"
        await until(pilot, lambda: screen.rows[ids[2]].note == "baseline run")
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("escape")  # cancel leaves the note
        await settle(pilot)
        assert store.get_session(ids[2]).note == "baseline run"

        screen.query_one("#history-filter", Input).value = "is:pinned"
        await settle(pilot)
        assert table_ids(screen) == [ids[2]]
        screen.query_one("#history-filter", Input).value = ""
        await settle(pilot)

        await pilot.press("down", "space", "down", "space", "delete")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")  # declined: nothing deleted
        assert store.count_sessions() == 3
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert store.count_sessions() == 1
        await until(pilot, lambda: table_ids(screen) == [ids[2]])
        assert not screen.marked

        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("p")  # unpin from the detail
        await settle(pilot)
        assert not store.get_session(ids[2]).pinned
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert store.count_sessions() == 0
        assert isinstance(app.screen, SessionsScreen)
        await until(pilot, lambda: "No sessions recorded yet" in status_text(screen))


async def test_rerun_as_is_and_edited(taxi: Path) -> None:
    ran = cli(
        "run", "--pipeline", "data_processing", "--env", "prod", "--params",
        "cleaning.max_fare=90", cwd=taxi,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    store = SQLiteSessionStore.for_project(taxi)
    original = store.list_sessions(limit=1)[0].session_id
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        await pilot.press("r")
        tab = await finished_run_tab(app, pilot)
        assert tab.state.status == "succeeded"
        assert "--parent" in tab.argv and tab.argv[-2:] == ["--events", "json"]
        newest = store.get_session(store.list_sessions(limit=1)[0].session_id)
        assert newest.session_id != original and newest.parent_id == original
        assert newest.env == "prod" and newest.pipeline == "data_processing"
        assert newest.runtime_params == {"cleaning": {"max_fare": 90}}

        await pilot.press("4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        await until(pilot, lambda: screen.total == 2)
        assert table_ids(screen) == [newest.session_id, original]
        assert screen.current_id() == original  # the cursor stayed on the session it was on
        await pilot.press("e")  # the original, edited: Run setup prefilled
        await settle(pilot)
        assert app.current_mode == "setup"
        assert app.state.env == "prod" and app.state.pipeline == "data_processing"
        assert app.state.overrides == {"cleaning.max_fare": 90}
        assert "--params cleaning.max_fare=90" in app.state.spec().command()
        assert f"--parent {original}" in app.state.spec().command()

        await pilot.press("ctrl+r")  # run the edited setup: the new session names its parent
        await until(pilot, lambda: len(app.screen.query(RunTab)) == 2)
        tab = list(app.screen.query(RunTab))[-1]
        await until(pilot, lambda: not tab.live)
        assert tab.state.status == "succeeded"
        edited = store.get_session(store.list_sessions(limit=1)[0].session_id)
        assert edited.session_id not in (original, newest.session_id)
        assert edited.parent_id == original and edited.env == "prod"


async def test_rerun_sets_the_sessions_env_vars_and_says_where_a_secret_comes_from(
    taxi: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rerun is the same run: as-is (r) and edited (e) keep the variables the session was
    given; a redacted secret comes from the app's environment, never as "<redacted>", and the
    copied command names it instead of pasting a wrong value (issue 18, item 3)."""
    from proj_tui.tui.screens.modals import PromptModal

    token = {"API_TOKEN": "s3cret-token-value"}
    ran = cli(
        "run", "--pipeline", "data_processing", "--env-var", "REGION=eu", "--env-var",
        "API_TOKEN", cwd=taxi, env=token,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    store = SQLiteSessionStore.for_project(taxi)
    original = store.list_sessions(limit=1)[0].session_id
    monkeypatch.delenv("API_TOKEN", raising=False)
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        await pilot.press("r")  # API_TOKEN is not in the app's environment: refused, and why
        await settle(pilot)
        assert not app.runs.tabs
        assert any(
            f"Session {original} was given API_TOKEN, whose value the store does not keep" in m
            for m in app.said
        ), app.said
        assert len(store.list_sessions(limit=5)) == 1

        monkeypatch.setenv("API_TOKEN", "s3cret-token-value")
        await pilot.press("r")
        tab = await finished_run_tab(app, pilot)
        assert tab.state.status == "succeeded", tab.state.error
        assert any("API_TOKEN taken from the app's environment" in m for m in app.said)
        rerun = store.get_session(store.list_sessions(limit=1)[0].session_id)
        assert rerun.parent_id == original
        assert rerun.env_vars["REGION"] == "eu" and rerun.env_vars["API_TOKEN"] == "<redacted>"
        assert rerun.cli["flags"]["env_var"] == ["API_TOKEN", "REGION"]
        assert not any("<redacted>" in arg for arg in tab.argv)

        await pilot.press("4")
        await settle(pilot)
        await pilot.press("down", "e")  # the original, edited
        await settle(pilot)
        assert app.current_mode == "setup"
        assert app.state.env_vars == {"API_TOKEN": "", "REGION": "eu"}  # "": from the app's env
        assert app.state.problems() == []
        value = app.screen.query(".env-value")
        assert any(
            getattr(v, "placeholder", "") == "empty: from the app's environment" for v in value
        )
        await pilot.press("ctrl+y")
        copied = app.clipboard
        assert "--env-var API_TOKEN " in copied and "--env-var REGION=eu" in copied
        assert "<redacted>" not in copied
        monkeypatch.delenv("API_TOKEN")
        assert app.state.problems() == [
            "env var API_TOKEN: empty, and not set in the app's environment either; type its value"
        ]
        await pilot.press("ctrl+r")  # refused: "Cannot run / Fix first"
        await settle(pilot)
        assert app.current_mode == "setup"

        await pilot.press("ctrl+s")  # a preset keeps the name, not the value
        await settle(pilot)
        assert isinstance(app.screen, PromptModal)
        await pilot.press(*"with-token", "enter")
        await settle(pilot)
        preset = taxi / ".proj-tui" / "presets" / "with-token.yml"
        assert "API_TOKEN: ''" in preset.read_text()
        monkeypatch.setenv("API_TOKEN", "s3cret-token-value")
        app.apply_preset("with-token")
        await settle(pilot)
        assert app.state.env_vars == {"API_TOKEN": "", "REGION": "eu"}
        assert any("API_TOKEN taken from the app's environment" in m for m in app.said)
        assert app.state.problems() == []
    store.close()


async def test_rerun_keeps_from_inputs_and_to_outputs(taxi: Path) -> None:
    """A rerun, as-is or edited, runs the same slice: from-inputs and to-outputs included."""
    ran = cli(
        "run", "--pipeline", "data_processing", "--from-inputs", "trips_raw",
        "--to-outputs", "trips_typed", cwd=taxi,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    store = SQLiteSessionStore.for_project(taxi)
    original = store.get_session(store.list_sessions(limit=1)[0].session_id)
    sliced = {"from_inputs": ["trips_raw"], "to_outputs": ["trips_typed"]}
    assert original.filters == sliced
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        await pilot.press("r")
        tab = await finished_run_tab(app, pilot)
        assert tab.state.status == "succeeded"
        assert tab.spec.selection == replace(RunSelection.from_record(original), runner=None)
        assert tab.state.planned == ["ingest_trips"]  # the plan shown is the slice that ran
        newest = store.get_session(store.list_sessions(limit=1)[0].session_id)
        assert newest.parent_id == original.session_id and newest.filters == sliced
        assert [n.name for n in store.nodes(newest.session_id)] == ["ingest_trips"]

        await pilot.press("4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        await until(pilot, lambda: screen.total == 2)
        await pilot.press("down")  # back on the original
        await until(pilot, lambda: screen.current_id() == original.session_id)
        await pilot.press("e")
        await settle(pilot)
        assert app.current_mode == "setup"
        assert app.state.filters.from_inputs == {"trips_raw"}
        assert app.state.filters.to_outputs == {"trips_typed"}
        command = app.state.spec().command()
        assert "--from-inputs trips_raw" in command and "--to-outputs trips_typed" in command
        assert [n.name for n in app.state.planned()] == ["ingest_trips"]


async def test_resume_says_which_nodes_then_runs(taxi: Path) -> None:
    assert cli("run", "--params", "model_b.model_options.lr=7", cwd=taxi).returncode == 1
    store = SQLiteSessionStore.for_project(taxi)
    failed = store.list_sessions(limit=1)[0].session_id
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        question = app.screen.question  # type: ignore[attr-defined]
        assert "from model_a.split_data, model_b.split_data" in question
        assert "7 node(s) will run" in question and "compare_models" in question
        assert "ingest_trips" not in question
        await pilot.press("y")
        tab = await finished_run_tab(app, pilot)
        assert "--from-nodes" in tab.argv
        newest = store.get_session(store.list_sessions(limit=1)[0].session_id)
        assert newest.parent_id == failed
        assert newest.filters.get("from_nodes") == ["model_a.split_data", "model_b.split_data"]
        assert newest.status == "failed"  # the override that broke it is kept: same failure
        assert {n.name for n in store.nodes(newest.session_id)} >= {"compare_models"}


async def test_resume_error_is_a_message(taxi: Path) -> None:
    assert cli("run", "--params", "model_b.model_options.lr=7", cwd=taxi).returncode == 1
    registry = taxi / "src" / "taxi_fares" / "pipeline_registry.py"
    registry.write_text("import no_such_module_anywhere\n")
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        app.errors.clear()
        if isinstance(app.screen, ErrorModal):  # the project browser reports the import too
            await pilot.press("escape")
        screen.action_resume()
        await until(pilot, lambda: isinstance(app.screen, ErrorModal))
        assert any("no_such_module_anywhere" in e for e in app.errors)
        await pilot.press("escape")
        assert isinstance(app.screen, SessionsScreen)


async def test_list_follows_another_process(taxi: Path) -> None:
    assert cli("run", "--pipeline", "data_processing", cwd=taxi).returncode == 0
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        first = screen.current_id()
        assert first is not None and screen.total == 1
        proc = subprocess.Popen(
            [sys.executable, "-m", "proj_tui", "run", "--pipeline", "data_processing"],
            cwd=taxi,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            await until(pilot, lambda: screen.total == 2)
        finally:
            assert proc.wait(timeout=60) == 0
        await until(pilot, lambda: all(s.status != "running" for s in screen.rows.values()))
        ids = table_ids(screen)
        assert len(ids) == 2 and ids[1] == first
        assert screen.current_id() == first  # the cursor stayed on the same session


async def test_empty_project_then_first_run(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        assert "No sessions recorded yet" in status_text(screen)
        assert cli("run", "--pipeline", "data_processing", cwd=taxi).returncode == 0
        await until(pilot, lambda: screen.total == 1)


async def test_keys_in_footer_and_palette(taxi: Path, store: SQLiteSessionStore) -> None:
    add_session(store, 1, project=taxi, status="failed")
    add_session(store, 2, project=taxi)
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        ids = {b.id for b in SessionsScreen.BINDINGS if hasattr(b, "id")}
        assert {"history.diff", "history.rerun", "history.resume", "history.pin"} <= ids
        names = [name for name, _, _ in history_commands(app)]
        assert "History: Pin/unpin as a baseline" in names
        assert not any("Resume" in n for n in names)  # the newest succeeded
        assert not any("Diff" in n for n in names)  # nothing marked
        await pilot.press("down", "space", "up")
        names = [name for name, _, _ in history_commands(app)]
        assert any("Diff" in n for n in names)
        await pilot.press("down")
        names = [name for name, _, _ in history_commands(app)]
        assert any("Resume" in n for n in names)
        pin = next(cb for name, cb, _ in history_commands(app) if "Pin" in name)
        await pin()
        await settle(pilot)
        assert store.count_sessions(parse_query("is:pinned")) == 1
        await pilot.press("1")
        await settle(pilot)
        shortcuts = {name: cb for name, cb, _ in history_commands(app)}
        await shortcuts["History: failed sessions"]()
        await settle(pilot)
        assert app.screen is screen and screen.total == 1
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = app.screen.markdown  # type: ignore[attr-defined]
        assert "`detail.parent`" in help_text and "`diff.all`" in help_text


async def test_overview_values_wrap_under_their_column_at_80_columns(taxi: Path) -> None:
    """A long value (the flags) continues under the values, not under the keys at the edge."""
    params = "model_a.model_options.epochs=3,model_b.model_options.epochs=4,reporting.top_zones=2"
    assert cli("run", "--params", params, cwd=taxi).returncode == 0
    app = ProjTuiApp(taxi)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_history(pilot)
        await pilot.press("enter")
        await settle(pilot)
        overview = app.screen.query_one("#detail-overview")
        lines = str(overview.render()).splitlines()
        flags = next(i for i, line in enumerate(lines) if line.startswith("flags "))
        continued = lines[flags + 1]
        assert len(lines[flags]) > 60 and continued[:11] == " " * 11 and continued[11] != " "
        too_long = [line for line in lines if len(line) > overview.size.width]
        assert not too_long, (overview.size.width, too_long)
