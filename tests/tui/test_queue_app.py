"""The queue and sweeps in the app: Queue screen, Run setup's Sweep field and ctrl+z, History's sweep.

Queued runs are real: ``proj-tui run --queue`` children and the detached worker, polled in the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from proj_tui.framework.store import SQLiteSessionStore, default_store_path
from proj_tui.framework.store.sqlite_queue import QueueStore
from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.history_table import HistoryTable
from proj_tui.tui.screens.queue import QueueScreen
from proj_tui.tui.screens.sweep import SweepScreen
from queue_helpers import by_id, drained, items, queued, stop_worker, wait_for
from tui.pilot_helpers import settle
from tui.test_history import open_history, until

from helpers import cli


@pytest.fixture
def project(taxi: Path) -> Iterator[Path]:
    yield taxi
    stop_worker(taxi)


def order(project: Path) -> list[int]:
    """The queued items' ids in the order the worker takes them, read from the store."""
    with SQLiteSessionStore(default_store_path(project)) as store:
        return [i.id for i in QueueStore(store).items() if i.state == "queued"]


def _rows(table: DataTable[Any]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def _sweep(project: Path) -> tuple[str, list[int]]:
    result = cli(
        "run",
        "--sweep",
        "cleaning.max_fare=100,200",
        "--sweep",
        "model_a.model_options.epochs=[3, 5, 7]",
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    ids = [int(line) for line in result.stdout.split()]
    wait_for(lambda: drained(project), "the sweep to run")
    [sweep_id] = {by_id(project)[i]["sweep_id"] for i in ids}
    return sweep_id, ids


@pytest.mark.timeout(600)
async def test_a_2x3_sweep_is_grouped_in_history_with_its_swept_values(project: Path) -> None:
    sweep_id, ids = _sweep(project)
    with SQLiteSessionStore(default_store_path(project)) as store:  # one session outside it
        other = store.create_session({"env": "local", "pipeline": "__default__"})
        store.finish_session(other, "succeeded")
    app = ProjTuiApp(project)
    async with app.run_test(size=(120, 40)) as pilot:
        history = await open_history(pilot)
        table = history.query_one(HistoryTable)
        assert len(table.ids()) == 7
        await pilot.press("slash", *f"sweep:{sweep_id}", "enter")
        await settle(pilot)
        members = table.ids()
        assert len(members) == 6 and other not in members
        assert set(members) == {by_id(project)[i]["session_id"] for i in ids}

        await pilot.press("w")  # the sweep side by side
        await until(pilot, lambda: isinstance(app.screen, SweepScreen))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SweepScreen)
        grid: DataTable[Any] = screen.query_one(DataTable)
        headers = [str(c.label) for c in grid.columns.values()]
        assert headers[1:] == [
            "session", "status", "duration", "cleaning.max_fare", "model_a.model_options.epochs"
        ]  # fmt: skip
        rows = _rows(grid)
        assert [(r[4], r[5], r[2]) for r in rows] == [
            (fare, epochs, "succeeded") for fare in ("100", "200") for epochs in ("3", "5", "7")
        ]
        assert all(r[3].endswith("s") for r in rows)  # each run's duration
        assert all(r[1].startswith("20") for r in rows)  # each run's session id
        assert f"sweep {sweep_id} · 6 runs · 6 succeeded" in str(
            screen.query_one("#sweep-head").render()
        )

        # the diff works across the sweep: mark one, diff with another
        await pilot.press("space", "down", "d")
        await settle(pilot)
        from proj_tui.tui.screens.session_diff import SessionDiffScreen

        diff = app.screen
        assert isinstance(diff, SessionDiffScreen)
        assert (diff.left_id, diff.right_id) == (rows[0][1], rows[1][1])
        cells = [" ".join(r) for r in _rows(diff.query_one(DataTable))]
        assert any("model_a.model_options.epochs" in c and "3" in c and "5" in c for c in cells)


@pytest.mark.timeout(600)
async def test_history_says_when_a_session_is_not_in_a_sweep(project: Path) -> None:
    assert cli("run", cwd=project).returncode == 0
    app = ProjTuiApp(project)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_history(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert not isinstance(app.screen, SweepScreen)
        assert any("is not part of a sweep" in str(n.message) for n in app._notifications)


@pytest.mark.timeout(600)
async def test_queue_screen_lists_reorders_and_removes(project: Path) -> None:
    a, b, c = (queued(project, "--no-worker", "--params", f"cleaning.max_fare={n}")[0]
               for n in (150, 160, 170))  # fmt: skip
    app = ProjTuiApp(project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table: DataTable[Any] = screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 3)
        assert [r[0] for r in _rows(table)] == [str(a), str(b), str(c)]
        assert "no worker running" in str(screen.query_one("#queue-head").render())

        await pilot.press("J")  # a moves down: b, a, c
        await settle(pilot)
        assert order(project) == [b, a, c]
        await until(pilot, lambda: [r[0] for r in _rows(table)] == [str(b), str(a), str(c)])
        assert table.cursor_row == 1  # the cursor stays on the moved item

        await pilot.press("down")
        await settle(pilot)
        assert screen.current_id() == c
        await pilot.press("t")  # c to the top
        await settle(pilot)
        assert order(project) == [c, b, a]
        await until(pilot, lambda: _rows(table)[0][0] == str(c))
        table.move_cursor(row=1)
        await settle(pilot)
        assert screen.current_id() == b
        await pilot.press("x")  # b removed
        await settle(pilot)
        assert order(project) == [c, a]
        await until(pilot, lambda: table.row_count == 2)

        await pilot.press("w")  # start the worker: the queue drains with the screen open
        await settle(pilot)
        wait_for(lambda: drained(project), "the queue to drain")
        await until(pilot, lambda: table.row_count == 0, timeout=30)
        await pilot.press("a")  # finished items too
        await until(pilot, lambda: table.row_count == 3)
        states = {r[0]: r[1] for r in _rows(table)}
        assert states == {str(a): "succeeded", str(b): "removed", str(c): "succeeded"}
        await pilot.press("escape")
        assert not isinstance(app.screen, QueueScreen)


@pytest.mark.timeout(600)
async def test_run_setup_queues_a_sweep_with_ctrl_z(project: Path) -> None:
    app = ProjTuiApp(project)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        sweep = app.screen.query_one("#sweep", Input)
        sweep.focus()
        await pilot.press(*"cleaning.max_far=1,2")
        await settle(pilot)
        problem = str(app.screen.query_one("#sweep-problem").render())
        assert "no parameter 'cleaning.max_far'" in problem and "cleaning.max_fare" in problem
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert not items(project) if default_store_path(project).exists() else True

        sweep.value = "cleaning.max_fare=100,200; model_a.model_options.epochs=[3, 4]"
        await settle(pilot)
        assert "4 run(s)" in str(app.screen.query_one("#sweep-problem").render())
        command = str(app.screen.query_one("#command").render())
        assert "--sweep cleaning.max_fare=100,200" in command
        await pilot.press("ctrl+z")
        await settle(pilot)
        await until(
            pilot, lambda: default_store_path(project).exists() and len(items(project)) == 4
        )
        assert any("Queued sweep" in str(n.message) for n in app._notifications)
    wait_for(lambda: drained(project), "the queued sweep to run")
    done = items(project)
    assert {i["outcome"] for i in done} == {"succeeded"} and len({i["sweep_id"] for i in done}) == 1


async def test_a_sweep_item_leads_with_its_swept_values_at_80_columns(project: Path) -> None:
    """The run column said "[sw-…] no filters (who" at 80 columns: the swept values were cut."""
    queued(project, "--no-worker", "--sweep", "cleaning.max_fare=100,200")
    app = ProjTuiApp(project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        table: DataTable[Any] = app.screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 2)
        runs = [str(row[-1]) for row in _rows(table)]
        assert [run.split(" · ")[0] for run in runs] == [
            "cleaning.max_fare=100",
            "cleaning.max_fare=200",
        ]
        assert all(" · sweep sw-" in run for run in runs)


async def test_the_sweep_fields_example_is_one_this_project_takes(project: Path) -> None:
    """Its placeholder was "model.lr=0.01,0.1; depth=[3, 5]", no key of the demo: typed as
    shown, it was refused."""
    app = ProjTuiApp(project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        sweep = app.screen.query_one("#sweep", Input)
        example = str(sweep.placeholder)
        assert example == "runtime.latency_s=0.0,1"  # the demo's first numeric parameter
        sweep.focus()
        await pilot.press(*example)
        await settle(pilot)
        assert "2 run(s)" in str(app.screen.query_one("#sweep-problem").render())
