"""Every use of a Textual private in the app, in one place, each with its own test.

Textual has no public call for these; each is what Textual itself does internally, and
``tests/tui/test_textual_compat.py`` has one test per function here that fails if an upgrade
renames, removes or changes what it touches. pyproject.toml pins Textual to the minor range those
tests passed on. Nothing here fails silently: a missing private raises ``AttributeError`` at the
first use rather than quietly turning a workaround off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.geometry import Size
    from textual.notifications import Notification
    from textual.screen import Screen
    from textual.scroll_view import ScrollView
    from textual.widgets import Footer, Log

WATCHERS_ATTRIBUTE = "__watchers"  # set by ``textual.reactive._watch`` (literally, not mangled)


def registered_nodes(app: App[Any]) -> Iterable[DOMNode]:
    """Every node the app has registered (mounted, and not yet unregistered): ``App._registry``."""
    return tuple(app._registry)


def watcher_table(node: object) -> dict[str, list[tuple[Any, Any]]] | None:
    """``watch()``/``data_bind()`` callbacks stored on a *watched* object, by attribute name.

    None when nothing ever watched ``node`` (Textual creates the table on the first watch).
    """
    table: dict[str, list[tuple[Any, Any]]] | None = getattr(node, WATCHERS_ATTRIBUTE, None)
    return table


def is_closed(node: object) -> bool:
    """Whether a message pump is closing or closed (removed): ``MessagePump._closing/_closed``.

    A watcher's owner may be any object; one that is not a message pump never closes.
    """
    from textual.message_pump import MessagePump

    if not isinstance(node, MessagePump):
        return False
    return bool(node._closing or node._closed)


def clear_styles_memo() -> None:
    """Empty ``StylesCache.get_inner_outer``'s ``lru_cache`` (its keys pin removed widgets)."""
    from textual._styles_cache import StylesCache

    StylesCache.get_inner_outer.cache_clear()


def mark_styles_current(screen: Screen[Any], app: App[Any]) -> None:
    """Tell a new screen that its styles match the app's stylesheet (``_css_update_count``).

    Textual marks a new mode's screen stale (-1), so showing it re-parses every stylesheet
    (~100 ms); styles are applied from the current sheet as it mounts, so they are current.
    """
    screen._css_update_count = app._css_update_count


def mode_prepared(app: App[Any], mode: str) -> bool:
    """Whether ``mode``'s screen stack exists (built already): ``App._screen_stacks``."""
    return mode in app._screen_stacks


def prepare_mode(app: App[Any], mode: str) -> None:
    """Build and mount a mode's screen without showing it: ``App._init_mode``, which is what
    ``switch_mode`` does first (there is no public call to prepare a mode). Never while the app
    shuts down: ``App._close_all`` iterates the stacks and awaits between them, so a stack built
    then is "dictionary changed size during iteration" (seen in CI)."""
    if app.is_running and not mode_prepared(app, mode):
        app._init_mode(mode)


def mode_screen(app: App[Any], mode: str) -> Screen[Any] | None:
    """The bottom screen of ``mode``'s stack, once built: ``App._screen_stacks``."""
    stack = app._screen_stacks.get(mode)
    return stack[0] if stack else None


def lay_out_unseen(screen: Screen[Any], size: Size) -> bool:
    """Lay out and draw a mounted screen that is not shown, into nothing: what showing it does
    first (``Screen._refresh_layout`` for the layout, ``Compositor.render_update`` for the
    lines, without ``App._display``). Its widgets keep their arrangement and line caches, so
    the first show draws like a second one (Run setup's ~180 widgets: ~290 ms -> ~120 ms of the
    UI thread). Showing it sends a full update as always (the screen is refreshed on resume).
    Returns whether it was laid out (not when shown already, or not mounted)."""
    if screen.is_current or not screen.is_mounted or not size:
        return False
    screen._refresh_layout(size)
    screen._compositor.render_update(full=True)
    return True


def keymap(app: App[Any]) -> Mapping[str, str]:
    """The user's remaps as ``set_keymap``/``update_keymap`` stored them: ``App._keymap``."""
    return app._keymap


def footer_ready(footer: Footer) -> bool:
    """Whether the footer has built its keys once: ``Footer._bindings_ready``."""
    return bool(footer._bindings_ready)


def styles_current(screen: Screen[Any]) -> bool:
    """Whether ``screen`` was styled from the app's current stylesheet: its
    ``Screen._css_update_count`` equals ``App._css_update_count`` (``switch_mode`` compares them
    and refreshes the CSS when they differ)."""
    return bool(screen._css_update_count == screen.app._css_update_count)


class FooterParts(NamedTuple):
    """The widgets Textual's ``Footer`` is built from (``textual.widgets._footer``)."""

    key: type[Any]
    group: type[Any]
    label: type[Any]


def footer_parts() -> FooterParts:
    """``FooterKey``, ``KeyGroup`` and ``FooterLabel``: a footer that lays the keys out itself
    (``KeyFooter``) reuses them, so it looks and reacts (clicks, tooltips) like Textual's."""
    from textual.widgets import _footer

    return FooterParts(_footer.FooterKey, _footer.KeyGroup, _footer.FooterLabel)


def notifications(app: App[Any]) -> list[Notification]:
    """The toasts the app holds now (for tests and benches): ``App._notifications``."""
    return list(app._notifications)


def append_log_lines(log: Log, lines: list[str], width: int) -> None:
    """``Log.write_lines`` for lines that need none of its per-line work.

    Each of ``lines`` must be one printable line (no line break, no control character but a
    tab) and ``width`` the widest one's cell width after tabs are expanded. ``write_lines``
    splits every line again and measures each in a worker thread of its own per call
    (``Log._update_size``): about 4 us a line, half of what a streaming run cost the app.
    The rest is what ``write_lines`` does: ``Log._lines``, ``_prune_max_lines`` and ``_width``,
    and a repaint of what changed on screen: the rows of the new lines (``ScrollView``'s
    ``refresh_lines``, not ``Log``'s, which forgets each new line's cached strip one by one:
    new lines have none), or the whole pane when older lines were pruned (every row moved up:
    a full pane that follows its tail showed the same lines until something else repainted).
    """
    from textual.geometry import Size
    from textual.scroll_view import ScrollView

    at_end = log.is_vertical_scroll_end
    start = len(log._lines)
    log._lines.extend(lines)
    pruned = log.max_lines is not None and len(log._lines) > log.max_lines
    if pruned:
        log._prune_max_lines()
    log._width = max(log._width, width)
    grow_virtual_size(log, Size(log._width, len(log._lines)))
    if log.auto_scroll and not log.is_vertical_scrollbar_grabbed and at_end:
        log.scroll_end(animate=False, immediate=True, x_axis=False)
    if pruned:
        log.refresh()
    else:
        ScrollView.refresh_lines(log, start, len(lines))


def grow_virtual_size(view: ScrollView, size: Size) -> None:
    """Set a scroll view's ``virtual_size`` without laying the whole screen out when it can.

    ``Widget.virtual_size`` is a reactive with ``layout=True``: every batch of lines a log got
    made Textual arrange and repaint every widget of the screen, about two thirds of what an
    app following a quiet session costs (benches/follow.py). A layout only matters when a
    scrollbar appears or goes; while the vertical one stays shown and the horizontal one keeps
    its state, the view's own ``_scroll_update`` (what ``ScrollView._size_updated`` runs in a
    layout) sets the scrollbars' sizes and clamps the scroll offsets, and a repaint is enough.
    """
    from textual.widget import Widget

    old = view.virtual_size
    if size == old:
        return
    if not (_bars(view, old) == _bars(view, size) == _shown_bars(view)):
        view.virtual_size = size
        return
    view.set_reactive(Widget.virtual_size, size)
    view._scroll_update(size)
    view.refresh()


def _shown_bars(view: ScrollView) -> tuple[bool, bool]:
    return view.show_vertical_scrollbar, view.show_horizontal_scrollbar


def _bars(view: ScrollView, size: Size) -> tuple[bool, bool] | None:
    """(vertical, horizontal) scrollbars shown for a virtual ``size``, as
    ``Widget._refresh_scrollbars`` decides; None when it is not that simple (let it decide)."""
    styles = view.styles
    width, height = view.container_size
    if not width or not height:
        return None

    def shown(overflow: str, needs: bool) -> bool | None:
        return {"scroll": True, "hidden": False}.get(
            overflow, needs if overflow == "auto" else None
        )

    vertical = shown(styles.overflow_y, size.height > height)
    horizontal = shown(styles.overflow_x, size.width > width - styles.scrollbar_size_vertical)
    if vertical is None or horizontal is None:
        return None
    if styles.overflow_y == "auto" and not vertical:
        return None  # the other bar then decides this one: leave it to Textual
    if styles.overflow_x == "auto" and width - styles.scrollbar_size_vertical < size.width <= width:
        return None  # shown only because the vertical one took the room: Textual's case
    return vertical, horizontal


def use_theme_before_css(app: App[Any], name: str) -> None:
    """Switch ``app`` to the registered theme ``name`` before its stylesheet is first parsed.

    What setting ``App.theme`` does (``App._watch_theme``: the theme's classes on the app, the
    ANSI colour filter, the stylesheet's variables) without what it schedules: a re-parse of
    every stylesheet and a restyle of every widget, which on mount was a fifth of start-up and
    has nothing to redo before the first parse. Only for ``on_load``.
    """
    from textual.app import App

    if name not in app.available_themes:
        raise ValueError(f"Theme {name!r} has not been registered.")
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    classes = {c: False for c in app.classes if c.startswith("-theme-")}
    classes[f"-theme-{theme.name}"] = True
    classes["-dark-mode"] = theme.dark
    classes["-light-mode"] = not theme.dark
    app.update_classes(classes, update=False)
    app._refresh_truecolor_filter(app.ansi_theme)
    app.stylesheet.set_variables(app.get_css_variables())


__all__ = [
    "append_log_lines",
    "clear_styles_memo",
    "footer_parts",
    "footer_ready",
    "grow_virtual_size",
    "is_closed",
    "keymap",
    "lay_out_unseen",
    "mark_styles_current",
    "mode_prepared",
    "mode_screen",
    "notifications",
    "prepare_mode",
    "registered_nodes",
    "styles_current",
    "use_theme_before_css",
    "watcher_table",
]
