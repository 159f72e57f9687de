"""Environment variables for a run: key/value rows; secret-looking values are masked."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.widgets import Button, Input, Static

from proj_tui.tui.run_spec import env_var_problem, is_secret_name


def _value_placeholder(key: str) -> str:
    """Where an empty value comes from: a secret's from the app's environment (from_environment)."""
    return "empty: from the app's environment" if is_secret_name(key) else "value"


class EnvVarRow(Horizontal):
    """One KEY=VALUE pair; the value input becomes a password field when the key looks secret."""

    def __init__(self, key: str = "", value: str = "") -> None:
        super().__init__(classes="env-row")
        self._key, self._value = key, value

    def compose(self) -> ComposeResult:
        yield Input(self._key, placeholder="NAME", classes="env-key")
        yield Input(
            self._value,
            placeholder=_value_placeholder(self._key),
            classes="env-value",
            password=is_secret_name(self._key),
        )
        yield Button("✕", classes="env-remove", tooltip="Remove this variable")

    @property
    def key(self) -> str:
        return self.query_one(".env-key", Input).value.strip()

    @property
    def value(self) -> str:
        return self.query_one(".env-value", Input).value

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.has_class("env-key"):
            value = self.query_one(".env-value", Input)
            value.password = is_secret_name(event.value.strip())
            value.placeholder = _value_placeholder(event.value.strip())

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        form = self.query_ancestor(EnvVarsForm)
        await self.remove()  # gone before the form re-reads its rows
        form.post_message(EnvVarsForm.Changed())


class EnvVarsForm(Vertical):
    """The variables passed to the child (``--env-var`` args and its environment)."""

    class Changed(Message):
        """Rows were edited, added or removed."""

    def compose(self) -> ComposeResult:
        yield Static(
            "None. ctrl+n adds one: it is set in the run's environment and passed as "
            "--env-var (recorded in the store, redacted when the name looks secret).",
            id="env-empty",
        )
        yield Vertical(id="env-rows")
        yield Static("", id="env-problems")

    def load(self, env_vars: dict[str, str]) -> None:
        rows = self.query_one("#env-rows", Vertical)
        rows.remove_children()
        rows.mount_all([EnvVarRow(k, v) for k, v in env_vars.items()])
        self.query_one("#env-empty").display = not env_vars

    def add_row(self) -> None:
        row = EnvVarRow()
        self.query_one("#env-empty").display = False
        self.query_one("#env-rows", Vertical).mount(row)
        self.call_after_refresh(lambda: row.query_one(".env-key", Input).focus())

    def values(self) -> tuple[dict[str, str], dict[str, str]]:
        """(variables, problems by name); empty rows are ignored."""
        out: dict[str, str] = {}
        problems: dict[str, str] = {}
        for row in self.query(EnvVarRow):
            if not row.is_attached or not row.query(Input):
                continue  # being removed
            key, value = row.key, row.value
            if not key and not value:
                continue
            problem = env_var_problem(key)
            if problem:
                problems[key or "(empty)"] = problem
            elif key in out:
                problems[key] = "set twice"
            else:
                out[key] = value
        self.query_one("#env-empty").display = not self.query(EnvVarRow)
        shown = "\n".join(f"[$error]✗ {escape(k)}: {escape(v)}[/]" for k, v in problems.items())
        self.query_one("#env-problems", Static).update(shown)
        return out, problems

    def on_input_changed(self, event: Input.Changed) -> None:
        self.post_message(self.Changed())
