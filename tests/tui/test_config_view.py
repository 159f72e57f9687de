"""Snapshots of the config view (blame, compare envs) and of the broken-config banner.

The demo is copied to a directory of the test's own that the snapshots show as a fixed path
(``shown_as`` in conftest.py: paths show on screen); toasts are cleared and cursors do not
blink. Update with ``pytest tests/tui/test_config_view.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.config_banner import ConfigBanner
from proj_tui.tui.components.param_form import ParamRow
from proj_tui.tui.screens.config_view import (
    ConfigViewScreen,
    clip_end,
    clip_key,
    clip_path,
    fit_widths,
    key_parts,
    open_config_view,
)
from tui.pilot_helpers import steady

SIZE = (120, 40)


@pytest.fixture
def project(snapshot_demo: Callable[[str], Path]) -> Path:
    return snapshot_demo("/tmp/proj-tui-snapshots-reload")


async def until(predicate: Callable[[], object], pilot: Pilot[Any], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached in time")


def test_config_view_compare(project: Path, snap_compare: Any) -> None:
    async def go(pilot: Pilot[Any]) -> None:
        app: ProjTuiApp = pilot.app  # type: ignore[assignment]
        await steady(pilot)
        open_config_view(app, "compare")
        await until(lambda: isinstance(app.screen, ConfigViewScreen), pilot)
        await steady(pilot)

    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=go)


def test_config_view_blame(project: Path, snap_compare: Any) -> None:
    async def go(pilot: Pilot[Any]) -> None:
        app: ProjTuiApp = pilot.app  # type: ignore[assignment]
        await steady(pilot)
        await pilot.press("2")
        await until(lambda: app.screen.query(ParamRow), pilot)
        row = next(
            r for r in app.screen.query(ParamRow) if r.field.key.endswith("a.model_options.epochs")
        )
        row.query_one(Input).focus()
        await pilot.press("ctrl+l")
        await until(lambda: isinstance(app.screen, ConfigViewScreen), pilot)
        await steady(pilot)

    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=go)


def test_config_view_blame_80_columns(project: Path, snap_compare: Any) -> None:
    """The blame fits 80 columns: cells cut with …, the highlighted row in full below."""

    async def go(pilot: Pilot[Any]) -> None:
        app: ProjTuiApp = pilot.app  # type: ignore[assignment]
        await steady(pilot)
        open_config_view(app, "blame", "parameters.model_b.model_options.features")
        await until(lambda: isinstance(app.screen, ConfigViewScreen), pilot)
        await steady(pilot)

    assert snap_compare(ProjTuiApp(project), terminal_size=(80, 30), run_before=go)


def test_broken_config_banner(project: Path, snap_compare: Any) -> None:
    params = project / "conf" / "base" / "parameters.yml"

    async def go(pilot: Pilot[Any]) -> None:
        app: ProjTuiApp = pilot.app  # type: ignore[assignment]
        await steady(pilot)
        await pilot.press("2")
        await until(lambda: app.screen.query(ParamRow), pilot)
        await until(lambda: app.live.watch_ready, pilot)
        params.write_text(params.read_text().replace("  max_fare: 250.0", "  max_fare: [250.0"))
        await until(lambda: app.screen.query_one(ConfigBanner).display, pilot)
        await steady(pilot)

    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=go)


# --- fitting 80-120 columns --------------------------------------------------------------------


def fits(table: DataTable[Any]) -> bool:
    """No sideways scrolling: the columns take at most the width the table shows."""
    return table.virtual_size.width <= table.scrollable_content_region.width


def cells_fit(table: DataTable[Any]) -> bool:
    """Every cell's text fits its column (cut with … rather than cropped by the table)."""
    widths = [column.width for column in table.ordered_columns]
    return all(
        cell_len(str(cell)) <= width
        for index in range(table.row_count)
        for cell, width in zip(table.get_row_at(index), widths, strict=True)
    )


async def open_view(pilot: Pilot[Any], mode: str, key: str | None = None) -> ConfigViewScreen:
    app: ProjTuiApp = pilot.app  # type: ignore[assignment]
    await steady(pilot)
    open_config_view(app, mode, key)
    await until(lambda: isinstance(app.screen, ConfigViewScreen) and app.screen._blame, pilot)
    await pilot.pause()
    assert isinstance(app.screen, ConfigViewScreen)
    return app.screen


def detail_text(screen: ConfigViewScreen, name: str = "#blame-detail") -> str:
    return str(screen.query_one(name, Static).render())


@pytest.mark.parametrize("width", [80, 120])
async def test_blame_fits_the_width_and_the_detail_has_the_row_in_full(
    taxi: Path, width: int
) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=(width, 30)) as pilot:
        screen = await open_view(pilot, "blame")
        table: DataTable[Any] = screen.query_one("#blame-table", DataTable)
        assert table.virtual_size.width > 0 and fits(table) and cells_fit(table)
        assert not table.show_horizontal_scrollbar

        keys = [str(key.value) for key in table.rows]
        longest = "parameters.model_b.model_options.features"
        for _ in range(keys.index(longest)):  # by keyboard, from the first row
            await pilot.press("down")
        await pilot.pause()
        assert table.cursor_row == keys.index(longest)
        value = "[distance_km, duration_min, passengers, is_rush, is_night]"
        cell = str(table.get_cell(longest, "value"))
        assert cell.endswith("…") and value.startswith(cell[:-1])  # cut in the table...
        detail = detail_text(screen)  # ...and whole below it, with the file's full path
        assert f"{longest} = {value}" in detail
        assert "set by base: conf/base/parameters/data_science.yml" in detail
        # files are shown inside their env's folder of conf/ (the env has its own column)
        assert str(table.get_cell(longest, "env")) == "base"
        assert str(table.get_cell(longest, "file")) in (
            "parameters/data_science.yml",
            "…/data_science.yml",
        )

        # a value that looks like Rich markup is shown, not swallowed as a tag
        assert str(table.get_cell("parameters.model_a.model_options.features", "value"))

        epochs = "parameters.model_a.model_options.epochs"
        table.move_cursor(row=keys.index(epochs))
        await pilot.pause()
        assert str(table.get_cell(epochs, "overrode")) == "300 (base)"
        detail = detail_text(screen)
        assert f"{epochs} = 200" in detail and "conf/local/parameters.yml" in detail
        assert "overrode 300 from conf/base/parameters/data_science.yml (env base)" in detail


async def test_blame_refits_on_resize_and_keeps_the_cursor(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=(120, 30)) as pilot:
        key = "catalog.features_table.filepath"
        screen = await open_view(pilot, "blame", key)  # the cursor starts on the key asked for
        table: DataTable[Any] = screen.query_one("#blame-table", DataTable)
        assert table.cursor_row == table.get_row_index(key)
        wide = str(table.get_cell(key, "key"))
        assert wide == key
        for width in (80, 100, 120):
            await pilot.resize_terminal(width, 30)
            await pilot.pause()
            assert fits(table) and cells_fit(table), width
            assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == key
            assert f"{key} = data/03_features/features.pkl" in detail_text(screen)
        await pilot.resize_terminal(80, 30)
        await pilot.pause()
        narrow = str(table.get_cell(key, "key"))
        assert narrow != key and "…" in narrow and narrow.endswith(".filepath")


@pytest.mark.parametrize("width", [80, 120])
async def test_compare_fits_the_width_and_the_detail_has_both_values(
    taxi: Path, width: int
) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=(width, 30)) as pilot:
        screen = await open_view(pilot, "compare")
        table: DataTable[Any] = screen.query_one("#compare-table", DataTable)
        assert fits(table) and cells_fit(table)
        await pilot.press("a")  # every key, the widest the table gets
        await pilot.pause()
        assert fits(table) and cells_fit(table)
        assert not screen.query_one("#blame-detail-scroll").display

        keys = [str(key.value) for key in table.rows]
        key = "model_b.model_options.features"
        assert keys.index(key) > table.cursor_row  # (the cursor stays on its key on "a")
        for _ in range(keys.index(key) - table.cursor_row):
            await pilot.press("down")
        await pilot.pause()
        value = "[distance_km, duration_min, passengers, is_rush, is_night]"
        detail = detail_text(screen, "#config-view-compare-detail")
        assert f"local: {value}  (set by env base)" in detail
        assert f"prod: {value}  (set by env base)" in detail
        assert str(table.get_cell(key, "left")).endswith("base")  # the env stays when cut

        await pilot.press("b")
        await pilot.pause()
        assert not screen.query_one("#compare-detail-scroll").display


async def test_a_long_detail_scrolls_with_the_keys(taxi: Path) -> None:
    params = taxi / "conf" / "base" / "parameters.yml"
    long = [f"column_{i:02d}_with_a_long_name" for i in range(40)]
    params.write_text(params.read_text() + f"\nwide_list: {long}\n")
    app = ProjTuiApp(taxi)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, "blame", "parameters.wide_list")
        scroll = screen.query_one("#blame-detail-scroll", VerticalScroll)
        assert "column_39_with_a_long_name" in detail_text(screen)
        assert scroll.max_scroll_y > 0  # taller than the pane: it must scroll
        await pilot.press("tab")  # from the table to the detail
        assert app.focused is scroll
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y


def test_clipping_helpers() -> None:
    assert clip_end("abcdef", 6) == "abcdef" and clip_end("abcdef", 4) == "abc…"
    assert clip_path("base/parameters/data_science.yml", 18) == "…/data_science.yml"
    common = key_parts(["model_a.model_options.lr", "model_b.model_options.lr", "a.b"])
    assert clip_key("model_a.model_options.random_state", 22, common) == "model_a.….random_state"
    assert clip_key("model_a.model_options.random_state", 15, common) == "…s.random_state"
    assert clip_key("catalog.trips.type", 40) == "catalog.trips.type"
    assert all(cell_len(clip_key("a.bbbbbbbb.cccccccc.dddddddd", n)) <= n for n in range(1, 30))


def test_fit_widths() -> None:
    steps = [([1], 10), ([0], 6), ([1], 6)]
    # fits: natural widths
    assert fit_widths([10, 20, 5], steps, 40) == [10, 20, 5]
    # the first step narrows its column as far as it needs to, down to its width
    assert fit_widths([10, 20, 5], steps, 30) == [10, 15, 5]
    # then the next step, then the next
    assert fit_widths([10, 20, 5], steps, 22) == [7, 10, 5]
    assert fit_widths([10, 20, 5], steps, 15) == [6, 6, 5]
    # a step's columns narrow evenly, widest first
    assert fit_widths([10, 20, 12], [([1, 2], 5)], 30) == [10, 10, 10]
    # the last widths are kept even when they do not fit (the table then scrolls)
    assert fit_widths([10, 20, 5], steps, 10) == [6, 6, 5]
