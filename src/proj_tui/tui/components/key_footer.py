"""The footer of every screen: every key the screen shows, on as many lines as the width needs.

Textual's ``Footer`` is one line that cuts what does not fit: at 80 columns the Project screen
lost ``? Help`` and ``q Quit``, and screens hid keys they have to stay within 120 columns. This
footer lays the same key widgets out in rows (up to ``MAX_ROWS``), breaking between keys, so
every shown key is visible at 80x24 and a wide terminal still gets one line.

It is also rebuilt only when what it would show (keys, labels, enabled state, groups, the rows
the width allows) differs from what it shows now: Textual's ``Footer`` rebuilds on each focus
move, tab switch or mount, which on the session detail was nine rebuilds per tab shown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Any

from textual.containers import HorizontalGroup
from textual.widgets import Footer

from proj_tui.tui.textual_compat import footer_parts, footer_ready

if TYPE_CHECKING:
    from textual import events
    from textual.app import ComposeResult
    from textual.binding import Binding
    from textual.screen import Screen
    from textual.widget import Widget

Shown = tuple[tuple[Any, ...], ...]
MAX_ROWS = 3
PALETTE_ROOM = 13  # "▏^p palette" docked right on the first row, with a margin


@dataclass(frozen=True)
class _Item:
    """One footer entry: a key, or a group of keys with one label (``[] Page``)."""

    keys: tuple[tuple[Binding, bool, str], ...]
    label: str | None  # the group's label; None for a single key with its own description

    def width(self, display: Any) -> int:
        """Cells it takes in the compact style, with the margin that follows it."""
        if self.label is None:
            binding = self.keys[0][0]
            text = display(binding)
            return len(text) + (1 + len(binding.description) if binding.description else 0) + 1
        return sum(len(display(b)) for b, _, _ in self.keys) + 1 + len(self.label) + 1


class FooterRow(HorizontalGroup):
    """One line of the footer."""


class KeyFooter(Footer):
    """A compact ``Footer`` that wraps onto more lines instead of cutting keys off."""

    def __init__(self, *, compact: bool = True, id: str | None = None) -> None:
        super().__init__(compact=compact, id=id)
        self._shown: Shown | None = None
        self._width = 0

    # --- what is shown ---------------------------------------------------------------------

    def _items(self, screen: Screen[Any]) -> list[_Item]:
        """The screen's shown bindings as footer entries, in Textual's order and grouping."""
        by_action: defaultdict[str, list[tuple[Binding, bool, str]]] = defaultdict(list)
        for _node, binding, enabled, tooltip in screen.active_bindings.values():
            if binding.show:
                by_action[binding.action].append((binding, enabled, tooltip))
        items: list[_Item] = []
        for group, entries in groupby(by_action.values(), lambda e: e[0][0].group):
            listed = list(entries)
            if group is not None and len(listed) > 1:
                items.append(_Item(tuple(e[0] for e in listed), group.description))
            else:
                items.extend(_Item((e[0],), None) for e in listed)
        return items

    def rows(self, screen: Screen[Any], width: int) -> list[list[_Item]]:
        """The entries broken into lines of ``width`` cells (the first leaves room for ctrl+p)."""
        display = self.app.get_key_display
        rows: list[list[_Item]] = [[]]
        room = width - PALETTE_ROOM
        for item in self._items(screen):
            need = item.width(display)
            if rows[-1] and need > room:
                if len(rows) == MAX_ROWS:
                    break  # more would squeeze the screen: `?` lists every key anyway
                rows.append([])
                room = width
            rows[-1].append(item)
            room -= need
        return rows

    def shown_keys(self, screen: Screen[Any]) -> Shown:
        """What ``compose`` draws, as comparable data (a rebuild is skipped when it is equal)."""
        shown = [
            (binding.key, binding.action, binding.description, binding.group, enabled, tooltip)
            for _node, binding, enabled, tooltip in screen.active_bindings.values()
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING
        ]
        return (*shown, ("width", self._width))

    def line_texts(self) -> list[str]:
        """Each footer line as plain text (for tests): ``/ Filter  t Tags …``."""
        parts = footer_parts()
        lines = []
        for row in self.query(FooterRow):
            words = []
            for widget in row.query("*"):
                if isinstance(widget, parts.key):
                    words.append(f"{widget.key_display} {widget.description}".strip())
                elif isinstance(widget, parts.label):
                    words.append(str(widget.render()))
            lines.append(" ".join(words))
        return lines

    # --- building --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        if not footer_ready(self):
            return
        screen = self.screen
        width = self._width or self.app.size.width
        parts = footer_parts()
        display = self.app.get_key_display
        rows = self.rows(screen, width)
        self.styles.height = len(rows)
        # Born with the class ``data_bind(compact=...)`` would add: adding it after mounting
        # restyled each key once more (a footer rebuild was ~300 restyles on the first screens).
        compact = " -compact" if self.compact else ""
        for index, row in enumerate(rows):
            children: list[Widget] = []
            for item in row:
                if item.label is None:
                    binding, enabled, tooltip = item.keys[0]
                    children.append(
                        parts.key(
                            binding.key,
                            display(binding),
                            binding.description,
                            binding.action,
                            disabled=not enabled,
                            tooltip=tooltip,
                            classes=compact.strip(),
                        ).data_bind(compact=Footer.compact)
                    )
                    continue
                keys = [
                    parts.key(
                        binding.key,
                        display(binding),
                        "",
                        binding.action,
                        disabled=not enabled,
                        tooltip=tooltip or binding.description,
                        classes="-grouped" + compact,
                    ).data_bind(compact=Footer.compact)
                    for binding, enabled, tooltip in item.keys
                ]
                group = parts.group(*keys, classes="-compact")
                children += [group, parts.label(item.label)]
            if index == 0:
                palette = self._palette_key(screen)
                if palette is not None:
                    children.append(palette)
            yield FooterRow(*children)

    def _palette_key(self, screen: Screen[Any]) -> Widget | None:
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return None
        try:
            _node, binding, enabled, _tooltip = screen.active_bindings[
                self.app.COMMAND_PALETTE_BINDING
            ]
        except KeyError:
            return None
        key: Widget = footer_parts().key(
            binding.key,
            self.app.get_key_display(binding),
            binding.description,
            binding.action,
            classes="-command-palette -compact",  # FooterKey.compact starts True: its class
            disabled=not enabled,
            tooltip=binding.tooltip or binding.description,
        )
        return key

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not (self.is_attached and screen is self.screen and screen.app.app_focus):
            super().bindings_changed(screen)
            return
        shown = self.shown_keys(screen)
        if shown == self._shown and footer_ready(self):
            return
        self._shown = shown
        super().bindings_changed(screen)

    def on_resize(self, event: events.Resize) -> None:
        """Another width may need another number of lines."""
        if event.size.width != self._width:
            self._width = event.size.width
            if footer_ready(self) and self.is_attached:
                self.bindings_changed(self.screen)
