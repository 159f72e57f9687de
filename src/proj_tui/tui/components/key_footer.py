"""The footer of every screen: Textual's, rebuilt only when the keys it shows change.

Textual's ``Footer`` rebuilds all its key widgets whenever the screen's bindings *may* have
changed: each focus move, tab switch or mount. On the session detail that was nine rebuilds per
tab shown, each styling ~25 widgets: 160 of the Logs tab's 200 ms (design §5 budget: 100 ms).
Here a rebuild happens only when what the footer would show (keys, labels, enabled state,
groups) differs from what it shows now, so it looks and behaves exactly like Textual's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Footer

from proj_tui.tui.textual_compat import footer_ready

if TYPE_CHECKING:
    from textual.screen import Screen

Shown = tuple[tuple[Any, ...], ...]


class KeyFooter(Footer):
    """A compact ``Footer`` that skips rebuilds which would draw the same keys."""

    def __init__(self, *, compact: bool = True, id: str | None = None) -> None:
        super().__init__(compact=compact, id=id)
        self._shown: Shown | None = None

    def shown_keys(self, screen: Screen[Any]) -> Shown:
        """What ``Footer.compose`` draws from the screen's bindings, as comparable data."""
        shown = [
            (binding.key, binding.action, binding.description, binding.group, enabled, tooltip)
            for _node, binding, enabled, tooltip in screen.active_bindings.values()
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING
        ]
        return tuple(shown)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not (self.is_attached and screen is self.screen and screen.app.app_focus):
            super().bindings_changed(screen)
            return
        shown = self.shown_keys(screen)
        if shown == self._shown and footer_ready(self):
            return
        self._shown = shown
        super().bindings_changed(screen)
