"""Outputs in History, on real runs of the demo: the Data tab, the outputs diff, ``out:``/``in:``.

Two real ``proj-tui run`` sessions of a fresh demo (``proj-tui new`` under tmp_path), the second
with model_a's learning rate changed, so its ``model_a.metrics`` JSON differs and model_b's
does not; the app is driven through Pilot and checked against what the store recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, TabbedContent

from proj_tui.framework.store import SQLiteSessionStore, parse_query
from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.screens.session_detail import SessionDetailScreen
from proj_tui.tui.screens.session_diff import SessionDiffScreen
from proj_tui.tui.textual_compat import notifications
from tui.pilot_helpers import settle
from tui.test_history import SIZE, finished_run_tab, open_history, status_text, table_ids, until

from helpers import cli

CHANGED = "model_a.model_options.lr=0.2"


def _two_runs(taxi: Path) -> tuple[str, str, SQLiteSessionStore]:
    first = cli("run", cwd=taxi)
    assert first.returncode == 0, first.stderr
    second = cli("run", "--params", CHANGED, cwd=taxi)
    assert second.returncode == 0, second.stderr
    store = SQLiteSessionStore.for_project(taxi)
    newest, older = (s.session_id for s in store.list_sessions(limit=2))
    return older, newest, store


def _metrics(store: SQLiteSessionStore, session_id: str, name: str) -> dict[str, float]:
    (dataset,) = [d for d in store.datasets(session_id) if d.name == name and d.role == "save"]
    assert dataset.content is not None, "the demo's metrics JSON is small: its content is kept"
    return dict(json.loads(dataset.content))


async def test_detail_lists_outputs_and_the_diff_shows_the_changed_metric(taxi: Path) -> None:
    older, newest, store = _two_runs(taxi)
    before, after = (_metrics(store, s, "model_a.metrics") for s in (older, newest))
    changed = sorted(k for k in before if before[k] != after.get(k))
    assert changed, "a different learning rate gives model_a different metrics"
    saved = {d.name: d for d in store.datasets(newest) if d.role == "save"}
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        assert screen.current_id() == newest
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, SessionDetailScreen)
        await pilot.press("left_square_bracket")  # from the Overview back round to the last tab
        await settle(pilot)
        assert detail.query_one(TabbedContent).active == "tab-data"
        shown = str(detail.query_one("#detail-data").render())
        for name, dataset in saved.items():
            assert name in shown
            assert dataset.digest is not None and dataset.digest[:10] in shown
        assert "trips_raw" in shown.split("Inputs", 1)[1]  # an input, under Inputs
        key = changed[0]
        assert f"{key} = {after[key]}" in shown  # a small output's values

        await pilot.press("escape", "down", "space", "up", "d")  # mark the older one, diff
        await settle(pilot)
        diff = app.screen
        assert isinstance(diff, SessionDiffScreen)
        assert (diff.left_id, diff.right_id) == (older, newest)
        rows = {(r.section, r.key): (r.left, r.right) for r in diff.rows if r.changed}
        assert ("outputs", "model_a.metrics") in rows
        assert ("outputs", "model_b.metrics") not in rows  # model_b's options did not change
        for key in changed:
            assert rows[("output model_a.metrics", key)] == (before[key], after[key])
        assert ("params", "model_a.model_options.lr") in rows
        status = str(diff.query_one("#diff-status").render())
        assert "output(s) differ" in status


async def test_out_filters_to_the_right_session_and_a_bad_term_says_why(taxi: Path) -> None:
    older, newest, store = _two_runs(taxi)
    old_rmse = _metrics(store, older, "model_a.metrics")["rmse"]
    new_rmse = _metrics(store, newest, "model_a.metrics")["rmse"]
    assert old_rmse != new_rmse
    between = (old_rmse + new_rmse) / 2
    lower = older if old_rmse < new_rmse else newest
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        field = screen.query_one("#history-filter", Input)
        await pilot.press("slash")
        await pilot.press(*f"out:model_a.metrics.rmse<{between}")  # typed, as a user would
        await settle(pilot)
        assert table_ids(screen) == [lower]
        assert status_text(screen).startswith("rows 1-1 of 1")

        field.value = f"out:model_a_metrics.rmse>={between}"  # the file's stem names it too
        await settle(pilot)
        assert table_ids(screen) == [older if lower == newest else newest]

        field.value = "in:trips_raw out:zone_report"
        await settle(pilot)
        assert sorted(table_ids(screen)) == sorted([older, newest])

        shown = table_ids(screen)
        field.value = "out:metrics<1.5"
        await settle(pilot)
        error = screen.query_one("#history-error")
        assert error.display
        assert "name a key inside it after a dot, like out:metrics.rmse<1.5" in str(error.render())
        assert table_ids(screen) == shown  # the last good page stays
        assert not app.errors

        field.value = "out:no_such_output"
        await settle(pilot)
        assert table_ids(screen) == []
    both = store.list_sessions(parse_query(f"out:metrics.rmse<{between} out:metrics.rmse>0"))
    model_b = _metrics(store, older, "model_b.metrics")["rmse"]  # "metrics": model_a's or model_b's
    assert len(both) == (2 if model_b < between else 1)


def test_sessions_diff_prints_the_changed_key_old_and_new(taxi: Path) -> None:
    older, newest, store = _two_runs(taxi)
    before, after = (_metrics(store, s, "model_a.metrics") for s in (older, newest))
    key = next(k for k in before if before[k] != after.get(k))
    out = cli("sessions", "diff", older, newest, cwd=taxi)
    assert out.returncode == 0, out.stderr
    rows = [line.split("\t") for line in out.stdout.splitlines()]  # piped: tab-separated
    assert ["output model_a.metrics", key, json.dumps(before[key]), json.dumps(after[key])] in rows
    assert "Outputs:" in out.stdout and "output(s) differ" in out.stdout
    as_json = json.loads(cli("sessions", "diff", older, newest, "--json", cwd=taxi).stdout)
    wanted = {"section": "output model_a.metrics", "key": key, "left": before[key],
              "right": after[key], "changed": True}  # fmt: skip
    assert wanted in as_json["rows"]


async def test_reproduce_from_history_is_followed_and_says_all_outputs_identical(
    taxi: Path,
) -> None:
    """x on a real session: a Runs tab follows ``sessions reproduce``; the toast gives its verdict."""
    first = cli("run", cwd=taxi)
    assert first.returncode == 0, first.stderr
    store = SQLiteSessionStore.for_project(taxi)
    original = store.list_sessions(limit=1)[0].session_id
    outputs = {d.name for d in store.datasets(original) if d.role == "save"}
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        await pilot.press("x")
        tab = await finished_run_tab(app, pilot)
        wanted_argv = [
            "sessions",
            "reproduce",
            original,
            "--project",
            str(taxi),
            "--events",
            "json",
        ]
        assert tab.argv[-7:] == wanted_argv
        assert tab.state.session_id not in (None, original)  # it followed the new session
        wanted = f"{len(outputs)} of {len(outputs)} outputs identical"
        await until(pilot, lambda: any(wanted in str(n.message) for n in notifications(app)), 120)
        toast = next(str(n.message) for n in notifications(app) if wanted in str(n.message))
        assert toast.startswith(f"{original} reproduced as {tab.state.session_id}")
        # its Data tab names the project's files, as the original's does, not the gone worktree
        history = await open_history(pilot)
        await until(pilot, lambda: table_ids(history)[:1] == [tab.state.session_id], 30)
        for _ in range(3):  # the cursor stayed on the original, one row down
            if history.current_id() == tab.state.session_id:
                break
            await pilot.press("up")
            await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, SessionDetailScreen)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        shown = str(detail.query_one("#detail-data").render())
        assert str(taxi / "data" / "01_raw" / "trips.csv") in shown
        assert "proj-tui-reproduce" not in shown
    new = store.get_session(str(tab.state.session_id))
    assert new.parent_id == original
