"""The parameter form: one typed field per leaf parameter, grouped by parent key.

Each row shows the value the env gives (its base), the file it comes from, what it overrode, and
the user's override; it validates as you type and reports the reason under the field.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Static, Switch

from proj_tui.tui.params import InvalidValue, ParamField, parse, short, to_text


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


class ParamRow(Vertical):
    """One parameter: label, editor, provenance line, error line."""

    class Changed(Message):
        """The row's value changed: ``value`` is set when valid, ``error`` when not."""

        def __init__(self, row: ParamRow, value: Any, error: str | None) -> None:
            super().__init__()
            self.row = row
            self.key = row.field.key
            self.value = value
            self.error = error

    def __init__(self, field: ParamField, override: Any, has_override: bool) -> None:
        super().__init__(classes="param-row")
        self.field = field
        self._initial = override if has_override else field.value
        self.override: Any = override
        self.has_override = has_override

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
        markup = "= [b]$value[/b]"
        values: dict[str, str] = {"value": short(f.value)}
        if f.source:
            markup += " from $source"
            values["source"] = f.source
        if f.overrode:
            markup += " · base $overrode"
            values["overrode"] = f.overrode
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
        if error is None:
            self.has_override = value != self.field.value or type(value) is not type(
                self.field.value
            )
            self.override = value if self.has_override else None
        else:  # an invalid text overrides nothing (the run is blocked until it is fixed)
            self.has_override, self.override = False, None
        self.set_class(self.has_override and error is None, "-overridden")
        self.query_one(".param-info", Static).update(self._info())
        self.post_message(self.Changed(self, value, error))

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
        self.query_one(".param-error", Static).display = False

    def reset(self) -> None:
        """Back to the env's value (drops the override)."""
        if self.field.kind == "bool":
            self.query_one(Switch).value = bool(self.field.value)
        else:
            self.query_one(Input).value = to_text(self.field.value, self.field.kind)


class ParamForm(VerticalScroll):
    """All parameters of the chosen env; groups follow the nesting of the YAML."""

    def load(
        self, fields: list[ParamField], overrides: dict[str, Any], error: str | None = None
    ) -> None:
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
            widgets.append(Static("This env defines no parameters.", classes="param-empty"))
        self.mount_all(widgets)

    def rows(self) -> list[ParamRow]:
        return list(self.query(ParamRow))

    def focused_row(self) -> ParamRow | None:
        node = self.app.focused
        while node is not None and not isinstance(node, ParamRow):
            node = node.parent  # type: ignore[assignment]
        return node

    def reset_all(self) -> None:
        for row in self.rows():
            row.reset()
