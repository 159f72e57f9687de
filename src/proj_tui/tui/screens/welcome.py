"""First run: no project here, so offer to create the demo or open another path, in the app.

``proj-tui`` in a directory without a project starts :class:`WelcomeApp`; it exits with the
project the user picked (or ``None``) and the CLI then opens the main app on it. Keeping it a
separate small app means the main app always has a project and never needs a "no project" mode.
The CLI passes in how to create a project and where the shared demo lives (``proj-tui new`` and
``--demo`` semantics), since the tui layer does not import the cli layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Header, Input, Static

from proj_tui.tui.components.key_footer import KeyFooter

DEFAULT_NEW = "taxi-fares"


@dataclass(frozen=True)
class FirstRun:
    """What the choices do: ``create(path)`` copies the demo (refusing to overwrite) and returns
    the project; ``shared_demo()`` returns the shared demo, creating it if needed."""

    create: Callable[[Path], Path]
    shared_demo: Callable[[], Path]
    demo_location: Path


class NewProjectPath(Validator):
    """Where ``proj-tui new`` may write: a new path or an empty directory."""

    def __init__(self, base: Path) -> None:
        super().__init__()
        self.base = base

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.failure("Type a directory for the new project.")
        target = resolve(self.base, value)
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            return self.failure(f"{target} exists and is not empty: choose a new path.")
        return self.success()


class ProjectPath(Validator):
    """An existing proj-tui project (or a directory inside one)."""

    def __init__(self, base: Path) -> None:
        super().__init__()
        self.base = base

    def validate(self, value: str) -> ValidationResult:
        from proj_tui.framework.startup import find_project_root

        if not value.strip():
            return self.failure("Type the path of a project.")
        target = resolve(self.base, value)
        if not target.exists():
            return self.failure(f"{target} does not exist.")
        if find_project_root(target) is None:
            return self.failure(f"No proj-tui project at or above {target}.")
        return self.success()


def resolve(base: Path, value: str) -> Path:
    path = Path(value.strip()).expanduser()
    return (path if path.is_absolute() else base / path).resolve()


class WelcomeScreen(Screen[None]):
    """Three ways on: a new demo copy (``proj-tui new``), the shared demo, or another path."""

    BINDINGS = [
        Binding("ctrl+n", "create", "Create demo", id="welcome.create", tooltip="Create here"),
        Binding("ctrl+s", "shared_demo", "Shared demo", id="welcome.demo", tooltip="--demo"),
        Binding("ctrl+o", "open", "Open path", id="welcome.open", tooltip="Open the path"),
        Binding("escape", "app.quit", "Quit", id="welcome.quit", tooltip="Leave proj-tui"),
    ]

    def __init__(self, start: Path, actions: FirstRun) -> None:
        super().__init__()
        self.start = start.resolve()
        self.actions = actions

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="welcome"):
            yield Static(
                f"[b]Welcome to proj-tui.[/b] There is no project at or above "
                f"[b]{self.start}[/b].\nPick one of these to get going "
                "(tab moves between them, enter confirms).",
                id="welcome-intro",
                markup=True,
            )
            with Vertical(classes="welcome-choice", id="welcome-new") as box:
                box.border_title = "1 · Create the demo project (proj-tui new)"
                yield Static(
                    "A copy of the taxi-fares demo you can edit: three pipelines, params, envs.",
                    classes="welcome-help",
                )
                with Horizontal(classes="welcome-row"):
                    yield Input(
                        DEFAULT_NEW,
                        placeholder="directory for the new project",
                        validators=[NewProjectPath(self.start)],
                        id="new-path",
                    )
                    yield Button("Create", id="create", variant="primary")
                yield Static("", classes="welcome-error", id="new-error")
            with Vertical(classes="welcome-choice", id="welcome-demo") as box:
                box.border_title = "2 · Open the shared demo (proj-tui --demo)"
                yield Static(
                    f"Kept in {self.actions.demo_location}; created on first use.",
                    classes="welcome-help",
                )
                yield Button("Open the shared demo", id="shared-demo")
            with Vertical(classes="welcome-choice", id="welcome-open") as box:
                box.border_title = "3 · Open a project elsewhere"
                with Horizontal(classes="welcome-row"):
                    yield Input(
                        placeholder="path to a project (or a directory inside one)",
                        validators=[ProjectPath(self.start)],
                        validate_on=["submitted"],
                        id="open-path",
                    )
                    yield Button("Open", id="open")
                yield Static("", classes="welcome-error", id="open-error")
        yield KeyFooter(compact=False)

    def on_mount(self) -> None:
        self.query_one("#new-path", Input).focus()

    @on(Input.Changed, "#new-path")
    def _new_changed(self, event: Input.Changed) -> None:
        self._show_error("#new-error", event.validation_result)

    @on(Input.Submitted, "#new-path")
    @on(Button.Pressed, "#create")
    def action_create(self) -> None:
        from proj_tui.errors import ProjTuiError

        field = self.query_one("#new-path", Input)
        result = field.validate(field.value)
        if result is not None and not result.is_valid:
            self._show_error("#new-error", result)
            field.focus()
            return
        try:
            project = self.actions.create(resolve(self.start, field.value))
        except (ProjTuiError, OSError) as exc:
            self.query_one("#new-error", Static).update(str(exc))
            return
        self.app.exit(project)

    @on(Button.Pressed, "#shared-demo")
    def action_shared_demo(self) -> None:
        from proj_tui.errors import ProjTuiError

        try:
            self.app.exit(self.actions.shared_demo())
        except (ProjTuiError, OSError) as exc:
            self.notify(str(exc), title="Demo", severity="error")

    @on(Input.Submitted, "#open-path")
    @on(Button.Pressed, "#open")
    def action_open(self) -> None:
        from proj_tui.framework.startup import find_project_root

        field = self.query_one("#open-path", Input)
        result = field.validate(field.value)
        self._show_error("#open-error", result)
        if result is not None and not result.is_valid:
            field.focus()
            return
        self.app.exit(find_project_root(resolve(self.start, field.value)))

    def _show_error(self, selector: str, result: ValidationResult | None) -> None:
        text = "" if result is None or result.is_valid else " ".join(result.failure_descriptions)
        self.query_one(selector, Static).update(text)


class WelcomeApp(App[Path]):
    """The first-run app: returns the chosen project's path, or ``None`` when the user leaves."""

    CSS_PATH = Path(__file__).resolve().parent.parent / "app.tcss"
    TITLE = "proj-tui"
    SUB_TITLE = "no project here yet"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit_now")]

    def __init__(self, start: Path, actions: FirstRun, *, config_path: Path | None = None) -> None:
        super().__init__()
        self.start = start
        self.actions = actions
        self.config_path = config_path

    def get_theme_variable_defaults(self) -> dict[str, str]:
        from proj_tui.tui.themes import status_defaults

        return status_defaults(self.current_theme)

    def on_mount(self) -> None:
        from proj_tui.tui.themes import install_themes
        from proj_tui.tui.user_config import load_user_config

        config = load_user_config(self.config_path)
        for problem in [*config.problems, *install_themes(self, config.theme)]:
            self.log.warning(problem)
            self.notify(problem, title="Config", severity="warning", timeout=10)
        self.push_screen(WelcomeScreen(self.start, self.actions))


def run_welcome(start: Path, actions: FirstRun) -> Path | None:
    """Show the welcome app; the project the user chose, or ``None``."""
    result: Any = WelcomeApp(start, actions).run()
    return Path(result) if result else None


__all__ = ["FirstRun", "WelcomeApp", "WelcomeScreen", "run_welcome"]
