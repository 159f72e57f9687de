"""Keys typed right after a key that focuses a text field land in the field, not on bindings.

Textual hands each key to the widget focused when the app reads it, through that widget's
queue, and checks bindings when the key comes back up to the app. Typing ``/red`` fast in
History sent all four keys to the list before ``/`` had moved the focus; back at the app, ``r``
and ``e`` then ran History's bindings (rerun, edit) with the filter box focused, and nothing
reached the box. A focused text field consumes every printable key, so a printable key that
comes up to the app while one is focused went past it: it was meant for the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.widgets import Input

if TYPE_CHECKING:
    from textual.screen import Screen


def send_to_field(screen: Screen[object], event: events.Key) -> bool:
    """Hand ``event`` to the screen's focused ``Input`` if it missed it; True when it did."""
    field = screen.focused
    if not (isinstance(field, Input) and event.is_printable and event.character):
        return False
    event.stop()
    event.prevent_default()  # no bindings for it: it is text
    field.post_message(events.Key(event.key, event.character))
    return True
