"""One test per Textual private the app touches (``proj_tui.tui.textual_compat``).

Each fails if a Textual upgrade renames, removes or changes the private; pyproject.toml pins
Textual to the minor range these passed on. Plain small apps, so they run in a blink.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.containers import HorizontalGroup
from textual.screen import Screen
from textual.widgets import Footer, Label, Log, Static

from proj_tui.tui import textual_compat as compat


class _Small(App[None]):
    MODES = {"main": lambda: Screen(), "other": lambda: _Other()}
    DEFAULT_MODE = "main"

    def compose(self) -> ComposeResult:
        yield Static("x", id="x")


class _Other(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Label("other", id="other-label")


async def test_registered_nodes_lists_mounted_widgets_only() -> None:
    app = _Small()
    async with app.run_test() as pilot:
        label = Label("new")
        await app.screen.mount(label)
        assert label in compat.registered_nodes(app)
        await label.remove()
        await pilot.pause()
        assert label not in compat.registered_nodes(app)


async def test_watcher_table_holds_the_owner_of_a_watch() -> None:
    app = _Small()
    async with app.run_test():
        label = Label("watcher")
        await app.screen.mount(label)
        assert compat.watcher_table(Label("never watched")) is None
        label.watch(app, "title", lambda _value: None)
        table = compat.watcher_table(app)
        assert table is not None
        assert any(owner is label for owner, _callback in table["title"])


async def test_is_closed_follows_removal() -> None:
    app = _Small()
    async with app.run_test() as pilot:
        label = Label("closing")
        await app.screen.mount(label)
        assert not compat.is_closed(label)
        await label.remove()
        await pilot.pause()
        assert compat.is_closed(label)
        assert not compat.is_closed(object())  # a watcher owner that is no message pump


async def test_clear_styles_memo_empties_the_lru_cache() -> None:
    from textual._styles_cache import StylesCache

    app = _Small()
    async with app.run_test() as pilot:
        await pilot.pause()
        memo: Any = StylesCache.get_inner_outer
        assert memo.cache_info().currsize > 0  # the first paint filled it
        compat.clear_styles_memo()
        assert memo.cache_info().currsize == 0


async def test_mark_styles_current_sets_the_count_switch_mode_compares() -> None:
    app = _Small()
    async with app.run_test():
        screen = _Other()
        assert screen._css_update_count == -1  # Textual marks a new screen stale
        assert isinstance(app._css_update_count, int)
        compat.mark_styles_current(screen, app)
        assert screen._css_update_count == app._css_update_count


async def test_prepare_mode_mounts_a_mode_without_showing_it() -> None:
    app = _Small()
    async with app.run_test() as pilot:
        assert not compat.mode_prepared(app, "other")
        compat.prepare_mode(app, "other")
        await pilot.pause()
        assert compat.mode_prepared(app, "other")
        assert app.current_mode == "main"
        await app.switch_mode("other")
        assert isinstance(app.screen, _Other) and app.screen.query_one("#other-label")
        compat.prepare_mode(app, "other")  # prepared already: nothing happens


async def test_lay_out_unseen_arranges_a_prepared_mode_that_is_not_shown() -> None:
    app = _Small()
    async with app.run_test(size=(40, 10)) as pilot:
        compat.prepare_mode(app, "other")
        await pilot.pause()
        screen = compat.mode_screen(app, "other")
        assert isinstance(screen, _Other) and compat.mode_screen(app, "nowhere") is None
        label = Label("late")
        await screen.mount(label)  # as Run setup's rows come after its first (empty) layout
        assert label.size.width == 0  # mounted, never laid out
        assert compat.lay_out_unseen(screen, app.size)
        assert label.size.width > 0 and app.current_mode == "main"
        assert not compat.lay_out_unseen(app.screen, app.size)  # the shown screen: no
        await app.switch_mode("other")
        await pilot.pause()
        assert "late" in app.export_screenshot()


async def test_keymap_is_what_set_keymap_stored() -> None:
    app = _Small()
    async with app.run_test():
        assert dict(compat.keymap(app)) == {}
        app.set_keymap({"app.run": "f5"})
        app.update_keymap({"app.help": "f1"})
        assert dict(compat.keymap(app)) == {"app.run": "f5", "app.help": "f1"}


async def test_footer_ready_once_the_footer_built_its_keys() -> None:
    class WithFooter(App[None]):
        BINDINGS = [("f2", "bell", "Bell")]

        def compose(self) -> ComposeResult:
            yield Footer()

    assert not compat.footer_ready(Footer())
    app = WithFooter()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert compat.footer_ready(app.query_one(Footer))


async def test_footer_parts_are_what_the_footer_is_built_from() -> None:
    class WithFooter(App[None]):
        BINDINGS = [("f2", "bell", "Bell"), ("f3", "bell", "Ring")]

        def compose(self) -> ComposeResult:
            yield Footer()

    parts = compat.footer_parts()
    app = WithFooter()
    async with app.run_test() as pilot:
        await pilot.pause()
        keys = app.query_one(Footer).query(parts.key)
        assert [k.key for k in keys if "-command-palette" not in k.classes] == ["f2"]
        assert issubclass(parts.group, HorizontalGroup)
        assert issubclass(parts.label, Label)


async def test_styles_current_until_the_stylesheet_changes() -> None:
    class Two(App[None]):
        MODES = {"a": Screen, "b": Screen}
        DEFAULT_MODE = "a"

    app = Two()
    async with app.run_test() as pilot:
        await pilot.pause()
        compat.mark_styles_current(app.screen, app)
        assert compat.styles_current(app.screen)
        first = app.screen
        await app.switch_mode("b")
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        assert compat.styles_current(app.screen)  # refresh_css restyled the shown one
        assert not compat.styles_current(first)  # switch_mode refreshes it when shown again
        await app.switch_mode("a")
        await pilot.pause()
        assert compat.styles_current(first)


async def test_notifications_lists_the_toasts_shown() -> None:
    app = _Small()
    async with app.run_test() as pilot:
        app.notify("hello", title="Greeting")
        await pilot.pause()
        shown = compat.notifications(app)
        assert [(n.title, n.message) for n in shown] == [("Greeting", "hello")]


class _Logs(App[None]):
    def compose(self) -> ComposeResult:
        yield Log(max_lines=5, id="ours")
        yield Log(max_lines=5, id="textual")


async def test_append_log_lines_does_what_write_lines_does() -> None:
    """Lines, pruning, width and following the tail come out as ``Log.write_lines`` makes them."""
    app = _Logs()
    async with app.run_test(size=(40, 4)) as pilot:
        ours, theirs = app.query_one("#ours", Log), app.query_one("#textual", Log)
        batches = [[f"line {i}" for i in range(3)], ["a much longer line than the others", "x"]]
        batches.append([f"tail {i}" for i in range(4)])
        for batch in batches:
            compat.append_log_lines(ours, batch, max(map(len, batch)))
            theirs.write_lines(batch)
            await pilot.pause()
        await app.workers.wait_for_complete()  # write_lines measures widths in a worker
        await pilot.pause()
        assert list(ours.lines) == list(theirs.lines) == ["x", *(f"tail {i}" for i in range(4))]
        assert ours.virtual_size == theirs.virtual_size
        assert ours.scroll_offset == theirs.scroll_offset and ours.is_vertical_scroll_end


def _count_layouts(log: Log) -> list[bool]:
    """Every ``refresh`` of ``log`` from now on, as whether it asked for a layout."""
    layouts: list[bool] = []
    refresh = log.refresh

    def counting(*regions: Any, **kwargs: Any) -> Any:
        layouts.append(bool(kwargs.get("layout")))
        return refresh(*regions, **kwargs)

    log.refresh = counting  # type: ignore[method-assign]
    return layouts


async def test_grow_virtual_size_repaints_a_growing_log_without_a_layout() -> None:
    """``Log`` always shows its scrollbars: growing never needs a layout of the screen, and
    its scrollbar, scroll offset and tail follow all the same."""
    app = _Logs()
    async with app.run_test(size=(40, 4)) as pilot:
        log, theirs = app.query_one("#ours", Log), app.query_one("#textual", Log)
        log.max_lines = theirs.max_lines = None
        await pilot.pause()
        layouts = _count_layouts(log)
        for batch in range(3):
            lines = [f"line {batch}.{i}" for i in range(10)]
            compat.append_log_lines(log, lines, 8)
            theirs.write_lines(lines)  # laid out by Textual, for comparison
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert layouts and not any(layouts)
        assert log.virtual_size == theirs.virtual_size and log.virtual_size.height == 30
        assert log.vertical_scrollbar.window_virtual_size == 30
        assert log.scroll_y == log.max_scroll_y == theirs.scroll_y == theirs.max_scroll_y > 0


async def test_grow_virtual_size_lays_out_when_a_scrollbar_appears() -> None:
    app = _Logs()
    async with app.run_test(size=(40, 4)) as pilot:
        log = app.query_one("#ours", Log)
        log.max_lines = None
        log.styles.overflow_x = log.styles.overflow_y = "auto"
        await pilot.pause()
        layouts = _count_layouts(log)
        compat.append_log_lines(log, ["one"], 3)  # fits: no scrollbar
        await pilot.pause()
        assert not log.show_vertical_scrollbar
        compat.append_log_lines(log, [f"line {i}" for i in range(10)], 7)
        await pilot.pause()
        assert any(layouts) and log.show_vertical_scrollbar  # it appeared: laid out
        layouts.clear()
        compat.append_log_lines(log, [f"more {i}" for i in range(10)], 7)
        await pilot.pause()
        assert layouts and not any(layouts)  # it stays: repainted only
        compat.append_log_lines(log, ["w" * 80], 80)  # a horizontal one appears: laid out
        await pilot.pause()
        assert any(layouts) and log.show_horizontal_scrollbar


class _Themed(App[None]):
    def on_load(self) -> None:
        compat.use_theme_before_css(self, "textual-light")

    def compose(self) -> ComposeResult:
        yield Static("themed", id="x")


async def test_use_theme_before_css_themes_the_first_frame_as_setting_theme_would() -> None:
    """The theme, its classes and variables are those ``App.theme = name`` gives, unparsed."""
    app = _Themed()
    async with app.run_test() as pilot:
        assert app.theme == "textual-light"
        assert app.has_class("-theme-textual-light", "-light-mode")
        assert not app.has_class("-dark-mode", "-theme-textual-dark")
        light = dict(app.theme_variables)
        static = app.query_one("#x", Static)
        background = static.styles.background
        app.theme = "textual-dark"
        await pilot.pause()
        app.theme = "textual-light"
        await pilot.pause()
        assert app.theme_variables == light and static.styles.background == background
    with pytest.raises(ValueError, match="not been registered"):
        compat.use_theme_before_css(_Themed(), "no-such-theme")
