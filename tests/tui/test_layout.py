"""Issue 18's layout and keyboard items, through Pilot on the real demo at 80x24 (and wider).

Every screen usable at 80x24: the footer wraps instead of cutting `?` and `q`, every shown key
is there, a node's source reads whole, History leads with what tells sessions apart; plus the
env picker, the preset-name prompt, the no-match line, log wrap and zoom, closing ended run
tabs, the lineage view, ``delete`` on the cursor row and keys typed right after ``/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Select, Static

from proj_tui.framework.store import SQLiteSessionStore
from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.history_table import HistoryTable
from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.components.log_pane import INDENT, LogPane
from proj_tui.tui.components.node_detail import NodeDetail
from proj_tui.tui.components.node_tree import NodeTree
from proj_tui.tui.components.run_tab import RunTab
from proj_tui.tui.components.timeline import Timeline
from proj_tui.tui.screens.modals import ConfirmModal, PromptModal
from proj_tui.tui.screens.runs import RunsScreen
from proj_tui.tui.screens.session_detail import SessionDetailScreen
from tui.pilot_helpers import settle
from tui.test_history import add_session, open_history, table_ids, until

from helpers import cli

SMALL = (80, 24)


@pytest.fixture
def store(taxi: Path) -> SQLiteSessionStore:
    path = taxi / ".proj-tui" / "sessions.db"
    path.parent.mkdir(exist_ok=True)
    return SQLiteSessionStore(path)


def footer(app: ProjTuiApp) -> str:
    return " | ".join(app.screen.query_one(KeyFooter).line_texts())


# --- 80x24: footers, keys ---------------------------------------------------------------------


async def test_every_footer_shows_help_quit_and_every_key_at_80x24(
    taxi: Path, store: SQLiteSessionStore
) -> None:
    add_session(store, 0, project=taxi)
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        seen = {}
        for mode in ("1", "2", "3", "4"):
            await pilot.press(mode)
            await settle(pilot)
            seen[mode] = footer(app)
        await pilot.press("enter")  # the session's detail
        await settle(pilot)
        assert isinstance(app.screen, SessionDetailScreen)
        seen["detail"] = footer(app)
        for mode, text in seen.items():
            assert "? Help" in text and "q Quit" in text, (mode, text)
            assert "1 2 3 4 5 Modes" in text, (mode, text)  # 5, the queue, with the modes
            assert len(app.screen.query_one(KeyFooter).line_texts()) <= 3
        assert "s NS" in seen["1"]  # Project: the namespace filter
        for key in ("p Pin", "n Note", "del Delete", "R Resume", "s Sort"):
            assert key in seen["4"], key  # History
        for key in ("p Pin", "n Note", "del Delete", "v Wrap"):
            assert key in seen["detail"], key


async def test_a_wide_footer_is_one_line(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert len(app.screen.query_one(KeyFooter).line_texts()) == 1


async def test_ctrl_t_is_the_theme_on_run_setup_too_and_ctrl_f_picks_the_env(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        theme = app.theme
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme != theme  # the theme, as on every other screen
        select = app.screen.query_one("#env", Select)
        assert not select.expanded
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert select.expanded


async def test_the_env_picker_lists_only_envs(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert not app.screen.query_one("#env-loading").display
        await pilot.press("ctrl+f")
        await pilot.pause()
        options = app.screen.query_one("#env", Select).query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert prompts == ["local", "prod"]  # no "loading…" (or blank) entry


async def test_envs_shown_twice_before_the_new_picker_is_built(taxi: Path) -> None:
    """Config read twice in one frame at start-up (seen at load 10 on a big store): the second
    render finds the Select it just mounted, not built yet (``NoMatches: '#label'``)."""
    from proj_tui.tui.screens.run_setup import RunSetupScreen

    app = ProjTuiApp(taxi)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunSetupScreen)
        await screen.query_one("#env", Select).remove()
        screen._render_envs()
        screen._render_envs()  # the Select mounted by the first is not composed yet
        await settle(pilot)
        select = screen.query_one("#env", Select)
        assert select.is_mounted and select.value == "local"


async def test_a_rejected_preset_name_keeps_the_dialog_and_what_was_typed(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PromptModal)
        await pilot.press(*"my preset!", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PromptModal)  # still open
        field = app.screen.query_one("#prompt-input", Input)
        assert field.value == "my preset!"
        problem = app.screen.query_one("#prompt-problem", Static)
        assert problem.display and "letters, digits" in str(problem.render())
        await pilot.press("ctrl+u", *"my-preset", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, PromptModal)
        assert (taxi / ".proj-tui" / "presets" / "my-preset.yml").is_file()


async def test_a_filter_that_matches_nothing_says_so(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"zzz")
        await pilot.pause()
        tree = app.screen.query_one(NodeTree)
        assert tree.no_matches
        assert "No node matches zzz" in str(tree.root.children[0].label)
        await pilot.press("backspace", "backspace", "backspace")
        await pilot.pause()
        assert not tree.no_matches


async def test_the_source_line_reads_whole_at_80_columns(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")
        await pilot.pause()
        detail = app.screen.query_one(NodeDetail)
        lines = str(detail.render()).splitlines()
        width = detail.content_size.width
        assert all(len(line) <= width for line in lines), (width, lines)
        start = lines.index("source")
        path = "".join(line.strip() for line in lines[start + 1 :])
        assert path.startswith("src/taxi_fares/pipelines/data_processing/nodes.py:")


async def test_keys_typed_right_after_slash_reach_the_filter(
    taxi: Path, store: SQLiteSessionStore
) -> None:
    add_session(store, 0, project=taxi)
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_history(pilot)
        # a fast typist: all four keys are queued before the first is handled
        for key, char in (("slash", "/"), ("r", "r"), ("e", "e"), ("d", "d")):
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert screen.query_one("#history-filter", Input).value == "red"
        assert app.screen is screen  # r (rerun) and e (edit) never reached the list


# --- History: columns, parent, lineage, delete, empty results --------------------------------


async def test_history_rows_lead_with_status_and_show_the_parent(
    taxi: Path, store: SQLiteSessionStore
) -> None:
    first = add_session(store, 0, project=taxi, status="failed")
    add_session(store, 1, project=taxi, parent=first)
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_history(pilot)
        table = screen.query_one(HistoryTable)
        header = table.render_line(0).text
        assert "started" not in header  # the id is the start time: no column repeats it
        assert header.split()[:4] == ["session", "(UTC", "start)", "status"]
        child = table.line_text(0)
        assert child.split()[1] == "succeeded"
        assert "↳" + first[11:] in child  # the parent, without the shared date
        assert "↳" not in table.line_text(1)
        # 80 columns show the id, status, duration, pipeline and env
        visible = table.render_line(1).text
        assert "succeeded" in visible and "__default__" in visible and "local" in visible


async def test_lineage_shows_ancestors_and_reruns(taxi: Path, store: SQLiteSessionStore) -> None:
    root = add_session(store, 0, project=taxi, status="failed")
    middle = add_session(store, 1, project=taxi, status="failed", parent=root)
    child_a = add_session(store, 2, project=taxi, parent=middle)
    child_b = add_session(store, 3, project=taxi, parent=middle)
    add_session(store, 4, project=taxi)  # unrelated
    app = ProjTuiApp(taxi)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(pilot)
        screen.query_one("#history-filter", Input).value = f"parent:{middle}"
        await settle(pilot)
        assert sorted(table_ids(screen)) == sorted([child_a, child_b])
        screen.query_one("#history-filter", Input).value = f"id:{middle}"
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, SessionDetailScreen)
        await pilot.press(*"]" * 5)  # Overview → … → Lineage
        await settle(pilot)
        text = str(detail.query_one("#detail-lineage", Static).render())
        order = [text.index(sid) for sid in (root, middle, child_a, child_b)]
        assert order == sorted(order)
        this = next(line for line in text.splitlines() if middle in line)
        assert this.lstrip().startswith("▶")


async def test_delete_acts_on_the_cursor_row_not_an_old_mark(
    taxi: Path, store: SQLiteSessionStore
) -> None:
    ids = [add_session(store, i, project=taxi) for i in range(3)]
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SMALL) as pilot:
        await open_history(pilot)
        newest, middle = ids[2], ids[1]
        await pilot.press("space")  # mark the newest (for a diff, say) ...
        await pilot.press("down", "delete")  # ... then delete another row
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert middle in app.screen.question and newest not in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert {s.session_id for s in store.list_sessions()} == {ids[0], newest}


async def test_an_empty_result_says_why_it_may_be_empty(
    taxi: Path, store: SQLiteSessionStore
) -> None:
    add_session(store, 0, project=taxi)
    app = ProjTuiApp(taxi)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(pilot)
        screen.query_one("#history-filter", Input).value = "lr>abc"
        await settle(pilot)
        status = str(screen.query_one("#history-status", Static).render())
        assert "No sessions match" in status and "compares text" in status
        screen.query_one("#history-filter", Input).value = "lr>5"  # a real key, no such value
        await settle(pilot)
        status = str(screen.query_one("#history-status", Static).render())
        assert "No sessions match" in status and "key is recorded" in status
        assert "dotted name" not in status  # it was told to check the key's name
        screen.query_one("#history-filter", Input).value = "lr>0.005"  # the tail of model.lr
        await settle(pilot)
        assert len(table_ids(screen)) == 1


async def test_the_timeline_lists_nodes_in_run_order(taxi: Path) -> None:
    failed = cli("run", "--params", "model_a.model_options.lr=oops", cwd=taxi)
    assert failed.returncode != 0
    app = ProjTuiApp(taxi)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_history(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("]", "]")
        await settle(pilot)
        names = [n.name for n in app.screen.query_one(Timeline).nodes]
        assert names[-4:] == [
            "model_b.train_model",
            "model_a.evaluate_model",
            "model_b.evaluate_model",
            "compare_models",
        ]


# --- Runs: wrap, zoom, close ended tabs ------------------------------------------------------


async def _ended_runs(app: ProjTuiApp, pilot: Pilot[Any], count: int) -> RunsScreen:
    for _ in range(count):
        await pilot.press("ctrl+r")
        await settle(pilot, skip=("runs",))
    screen = app.screen
    assert isinstance(screen, RunsScreen)
    await until(
        pilot,
        lambda: (
            len(screen.query(RunTab)) == count and not any(t.live for t in screen.query(RunTab))
        ),
        timeout=60,
    )
    await settle(pilot)
    return screen


async def test_the_run_log_wraps_and_zooms_to_full_width(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = await _ended_runs(app, pilot, 1)
        log = screen.query_one(LogPane)
        nodes = screen.query_one(".run-nodes", DataTable)
        assert log.size.width >= 36  # was 28 at 80 columns
        longest = max(len(line) for line in log.lines)
        assert longest > log.size.width  # some lines are cut ...
        await pilot.press("v")
        await pilot.pause()
        assert log.wrap and max(len(line) for line in log.lines) <= log.size.width  # ... or wrap
        assert any(line.startswith(INDENT) for line in log.lines)
        await pilot.press("z")
        await pilot.pause()
        assert not nodes.display and log.size.width >= 78  # the log alone, full width
        await pilot.press("v", "z")
        await pilot.pause()
        assert not log.wrap and nodes.display and max(map(len, log.lines)) == longest


async def test_ended_run_tabs_close_together(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        screen = await _ended_runs(app, pilot, 3)
        await pilot.press("W")
        await settle(pilot)
        assert not screen.query(RunTab)
        assert screen.query_one("#runs-empty").display
        assert not app.runs.live()


def test_run_tab_labels_are_short() -> None:
    from proj_tui.tui.components.run_tab import RunTab as Tab
    from proj_tui.tui.run_spec import RunSpec

    spec = RunSpec(project_path=Path("/p"), pipeline="a_rather_long_pipeline_name", env="prod")
    label = Tab._label(12, spec.pipeline, "succeeded")
    assert label == "✓ 12 a_rather_long…" and len(label) <= 20


@pytest.mark.parametrize("size", [SMALL, (140, 45)])
async def test_the_node_table_shows_status_and_time_whole(
    taxi: Path, size: tuple[int, int]
) -> None:
    """At 80 columns the node names give way (cut with "…"), never the status or the time."""
    app = ProjTuiApp(taxi)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = await _ended_runs(app, pilot, 1)
        table = screen.query_one(".run-nodes", DataTable)
        room = table.content_region.width - table.styles.scrollbar_size_vertical
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= room
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows and all(status == "succeeded" for _, status, _ in rows)
        node = next(c for c in table.columns.values() if str(c.label) == "node")
        longest = max(len(name) for name, _, _ in rows)
        if size == SMALL:
            assert node.get_render_width(table) - 2 * table.cell_padding < longest
        else:  # room for every name
            assert node.get_render_width(table) - 2 * table.cell_padding == longest
