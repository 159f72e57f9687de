"""The parameter form: one typed field per leaf parameter, grouped by parent key.

Each row shows the value the env gives (its base), the file it comes from, what it overrode, and
the user's override; it validates as you type and reports the reason under the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widget import AwaitMount
from textual.widgets import Input, Label, Static, Switch

from proj_tui.tui.params import InvalidValue, ParamField, parse, short, to_text

if TYPE_CHECKING:
    from textual.dom import DOMNode


class KindValidator(Validator):
    """Validates a field's text against the type of its base value."""

    def __init__(self, field: ParamField) -> None:
        super().__init__()
        self.field = field

    def validate(self, value: str) -> ValidationResult:
        try:
            parse(value, self.field.kind, self.field.value)
        except InvalidValue as exc:
            return self.failure(str(exc))
        return self.success()


def _same(a: Any, b: Any) -> bool:
    """Equal and of one type (``1`` and ``1.0`` are shown differently)."""
    return type(a) is type(b) and bool(a == b)


class ParamRow(Vertical):
    """One parameter: label, editor, provenance line, error line."""

    @dataclass
    class Changed(Message):
        """The row's value changed: ``value`` is set when valid, ``error`` when not;
        ``overridden`` when it differs from the env's value (the run is given it)."""

        key: str
        value: Any
        error: str | None
        overridden: bool

    def _changed(self, value: Any, error: str | None) -> None:
        self.post_message(self.Changed(self.field.key, value, error, self.has_override))

    def __init__(
        self, field: ParamField, override: Any, has_override: bool, vanished: str | None = None
    ) -> None:
        super().__init__(classes="param-row")
        self.field = field
        self._initial = override if has_override else field.value
        self.override: Any = override
        self.has_override = has_override
        self.vanished = vanished  # why the override's key is gone from the config (after a reload)

    def compose(self) -> ComposeResult:
        f = self.field
        with Horizontal(classes="param-line"):
            yield Label(escape(f.leaf), classes="param-key")
            if f.kind == "bool":
                yield Switch(bool(self._initial), classes="param-editor")
            else:
                yield Input(
                    to_text(self._initial, f.kind),
                    validators=[KindValidator(f)],
                    validate_on=["changed"],
                    classes="param-editor",
                    placeholder=f.kind,
                )
            kind = ("true" if self._initial else "false") if f.kind == "bool" else f.kind
            yield Label(kind, classes="param-kind")
        yield Static(self._info(), classes="param-info")
        yield Static("", classes="param-error")

    def _info(self) -> Content:
        """``= value from file · base … · override → …``; values go in as variables, not markup."""
        f = self.field
        if self.vanished is not None:
            return Content.from_markup(
                "[$error]✗ key vanished[/]: $why · override → [b]$override[/b] kept (ctrl+b drops it)",
                why=self.vanished,
                override=short(self.override),
            )
        markup = "= [b]$value[/b]"
        values: dict[str, str] = {"value": short(f.value)}
        if f.source:
            markup += " from $source"
            values["source"] = f.source
        if f.overrode:
            markup += " · base $overrode"
            values["overrode"] = f.overrode
        if f.type_name:
            markup += " · type $type"
            values["type"] = f.type_name
        if self.has_override:
            markup += " · [$warning]override → [b]$override[/b][/]"
            values["override"] = short(self.override)
        return Content.from_markup(markup, **values)

    def _set(self, value: Any, error: str | None) -> None:
        message = self.query_one(".param-error", Static)
        message.update(Content.from_markup("[$error]✗ $error[/]", error=error) if error else "")
        message.display = error is not None
        if self.field.kind == "bool" and error is None:
            self.query_one(".param-kind", Label).update("true" if value else "false")
        self.set_class(error is not None, "-invalid")
        if error is None and self.vanished is not None:
            self.has_override, self.override = True, value
        elif error is None:
            self.has_override = value != self.field.value or type(value) is not type(
                self.field.value
            )
            self.override = value if self.has_override else None
        else:  # an invalid text overrides nothing (the run is blocked until it is fixed)
            self.has_override, self.override = False, None
        self.set_class(self.has_override and error is None, "-overridden")
        self.query_one(".param-info", Static).update(self._info())
        self._changed(value, error)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        result = event.validation_result
        if result is not None and not result.is_valid:
            self._set(None, "; ".join(result.failure_descriptions))
            return
        self._set(parse(event.value, self.field.kind, self.field.value), None)

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self._set(event.value, None)

    def on_mount(self) -> None:
        self.set_class(self.has_override, "-overridden")
        self.set_class(self.vanished is not None, "-vanished")
        self.query_one(".param-error", Static).display = False

    def rebase(self, field: ParamField) -> None:
        """The env's value changed on disk: follow it, keeping the user's override and focus."""
        self.field = field
        editor = self.query_one(".param-editor")
        if isinstance(editor, Input):
            for validator in editor.validators:
                if isinstance(validator, KindValidator):
                    validator.field = field
        if self.has_override:
            same = self.override == field.value and type(self.override) is type(field.value)
            if same:  # the file now says what the user typed: no longer an override
                self.has_override, self.override = False, None
                self.set_class(False, "-overridden")
                self._changed(field.value, None)
        elif not self.has_class("-invalid"):
            if isinstance(editor, Switch):
                editor.value = bool(field.value)
            elif isinstance(editor, Input):
                text = to_text(field.value, field.kind)
                if editor.value != text:
                    editor.value = text
        self.query_one(".param-info", Static).update(self._info())

    def refill(self, field: ParamField, override: Any, has_override: bool) -> None:
        """Show another setup's value for the same key (a prefill, a preset) without rebuilding.

        Rebuilding the form's ~150 widgets is what made rerun-edited and a preset load take
        a second or more; the app already holds these overrides, so the editors change
        quietly (no ``Changed`` goes back to it).
        """
        override = override if has_override else None
        unchanged = (
            field == self.field
            and has_override == self.has_override
            and _same(override, self.override)
            and not self.has_class("-invalid")
        )
        if unchanged:
            return  # nothing to redraw: most rows of a prefill show what they showed
        self.field = field
        self.override, self.has_override = override, has_override
        shown = override if has_override else field.value
        editor = self.query_one(".param-editor")
        with self.prevent(Input.Changed, Switch.Changed):
            if isinstance(editor, Switch):
                editor.value = bool(shown)
                self.query_one(".param-kind", Label).update("true" if shown else "false")
            elif isinstance(editor, Input):
                for validator in editor.validators:
                    if isinstance(validator, KindValidator):
                        validator.field = field
                text = to_text(shown, field.kind)
                if editor.value != text:
                    editor.value = text
        error = self.query_one(".param-error", Static)
        error.update("")
        error.display = False
        self.set_class(False, "-invalid")
        self.set_class(has_override, "-overridden")
        self.query_one(".param-info", Static).update(self._info())

    def reset(self) -> None:
        """Back to the env's value (drops the override)."""
        if self.vanished is not None:  # nothing to go back to: drop the override and the row
            self.has_override, self.override = False, None
            self._changed(None, None)
            self.remove()
            return
        if self.field.kind == "bool":
            self.query_one(Switch).value = bool(self.field.value)
        else:
            self.query_one(Input).value = to_text(self.field.value, self.field.kind)


class ParamForm(VerticalScroll):
    """All parameters of the chosen env; groups follow the nesting of the YAML."""

    def load(
        self,
        fields: list[ParamField],
        overrides: dict[str, Any],
        error: str | None = None,
        vanished: Mapping[str, str] | None = None,
        loading: str | None = None,
    ) -> AwaitMount:
        """Rows for ``fields``; ``loading`` (an env's name, or "") says they are still on the way."""
        self.remove_children()
        widgets: list[Static | ParamRow] = []
        if error:
            widgets.append(Static(f"[$error]✗ {escape(error)}[/]", classes="param-load-error"))
        group: str | None = None
        for f in fields:
            if f.group != group:
                group = f.group
                if group:
                    widgets.append(Static(escape(group), classes="param-group"))
            row = ParamRow(f, overrides.get(f.key), f.key in overrides)
            if f.group:
                row.add_class("-nested")
            widgets.append(row)
        if not fields and not error:
            if loading is None:
                empty = "This env defines no parameters."
            else:
                empty = f"Loading the parameters{f' of env {escape(loading)}' if loading else ''}…"
            widgets.append(Static(empty, classes="param-empty"))
        gone = [k for k in (vanished or {}) if k in overrides]
        if gone:
            widgets.append(Static("overrides of vanished keys", classes="param-group -vanished"))
        for key in gone:
            value = overrides[key]
            widgets.append(ParamRow(ParamField(key, value), value, True, (vanished or {})[key]))
        return self.mount_all(widgets)

    def show(
        self,
        fields: list[ParamField],
        overrides: dict[str, Any],
        error: str | None = None,
        vanished: Mapping[str, str] | None = None,
        loading: str | None = None,
    ) -> None:
        """``load``, but refill the rows in place when they are the same keys of the same kinds."""
        rows = self.rows()
        same = (
            error is None
            and not any(k in overrides for k in vanished or {})
            and bool(fields)
            and all(r.vanished is None for r in rows)
            and not self.query(".param-load-error, .param-empty")
            and [(r.field.key, r.field.kind) for r in rows] == [(f.key, f.kind) for f in fields]
        )
        if not same:
            self.load(fields, overrides, error, vanished, loading)
            return
        for row, f in zip(rows, fields, strict=True):
            row.refill(f, overrides.get(f.key), f.key in overrides)

    def update_fields(
        self, fields: list[ParamField], overrides: dict[str, Any], vanished: Mapping[str, str]
    ) -> None:
        """After a reload: update rows in place when the keys and kinds are the same (focus and
        scroll stay), else rebuild and put focus and scroll back where they were."""
        rows = self.rows()
        live = {r.field.key: r for r in rows if r.vanished is None}
        marked = {r.field.key for r in rows if r.vanished is not None}
        same = (
            [r.field.key for r in rows if r.vanished is None] == [f.key for f in fields]
            and all(live[f.key].field.kind == f.kind for f in fields)
            and marked == {k for k in vanished if k in overrides}
        )
        if same:
            for f in fields:
                live[f.key].rebase(f)
            return
        focused = self.focused_row()
        key = focused.field.key if focused is not None else None
        scroll_y = self.scroll_y
        mounted = self.load(fields, overrides, None, vanished)

        async def restore() -> None:
            await mounted
            self.scroll_to(y=scroll_y, animate=False, immediate=True)
            for row in self.rows():
                if key is not None and row.field.key == key:
                    row.query_one(".param-editor").focus(scroll_visible=False)

        self.call_after_refresh(restore)

    def rows(self) -> list[ParamRow]:
        return list(self.query(ParamRow))

    def focused_row(self) -> ParamRow | None:
        node: DOMNode | None = self.app.focused
        while node is not None and not isinstance(node, ParamRow):
            node = node.parent
        return node

    def reset_all(self) -> None:
        for row in self.rows():
            row.reset()
