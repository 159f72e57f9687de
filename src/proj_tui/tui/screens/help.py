"""``?``: every key binding of the app, as markdown in a modal, with the user's remaps applied."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen


def _bindings(cls: type) -> list[Binding]:
    raw: Iterable[BindingType] = getattr(cls, "BINDINGS", [])
    out: list[Binding] = []
    for b in raw:
        if isinstance(b, Binding):
            out.append(b)
        else:
            out.append(Binding(*b))
    return out


def _key_text(app: App[Any], binding: Binding) -> str:
    from proj_tui.tui.textual_compat import keymap as user_keymap

    keymap = user_keymap(app)
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return " / ".join(f"`{app.get_key_display(Binding(k.strip(), ''))}`" for k in keys.split(","))


def help_markdown(app: App[Any], sections: list[tuple[str, type]]) -> str:
    """A table per section of its class's bindings (key, what it does, binding id for remaps)."""
    lines = [
        "# Keys",
        "",
        "Every binding has an id; remap it in `~/.config/proj-tui/config.toml` "
        '(`[keymap]` table, e.g. `"app.run" = "f5"`). `ctrl+p` opens the command palette.',
    ]
    for title, cls in sections:
        bindings = [b for b in _bindings(cls) if b.description or b.id]
        if not bindings:
            continue
        lines += ["", f"## {title}", "", "| key | action | id |", "|---|---|---|"]
        for b in bindings:
            desc = b.tooltip or b.description or b.action
            lines.append(f"| {_key_text(app, b)} | {desc} | `{b.id or ''}` |")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """Markdown help; escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close")]

    def __init__(self, markdown: str) -> None:
        super().__init__(classes="modal")
        self.markdown = markdown

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # markdown-it costs ~30 ms: only when help opens

        with Vertical(classes="modal-box help-box") as box:
            box.border_title = "Help"
            yield Markdown(self.markdown)
