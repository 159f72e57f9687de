"""Small modal screens: error, confirm, quit with live runs, prompt and pick-one."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option


class ErrorModal(ModalScreen[None]):
    """An error, with the file and line it names; the app carries on after it is closed."""

    BINDINGS = [
        Binding("escape,enter", "dismiss", "Close", id="modal.close"),
    ]

    def __init__(self, title: str, message: str) -> None:
        super().__init__(classes="modal")
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box -error") as box:
            box.border_title = self.title_text
            yield Static(escape(self.message), classes="modal-body")
            yield Button("Close", variant="error", id="close")

    def on_button_pressed(self) -> None:
        self.dismiss()


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question; y/enter confirms, n/escape declines."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="modal.yes"),
        Binding("n,escape", "answer(False)", "No", id="modal.no"),
    ]

    def __init__(self, title: str, question: str, yes: str = "Yes") -> None:
        super().__init__(classes="modal")
        self.title_text, self.question, self.yes = title, question, yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box") as box:
            box.border_title = self.title_text
            yield Static(escape(self.question), classes="modal-body")
            with Horizontal(classes="modal-buttons"):
                yield Button(self.yes, variant="warning", id="yes")
                yield Button("No", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class QuitModal(ModalScreen[str | None]):
    """Quitting with runs live in tabs: keep them running (the default), or cancel them.

    Each session is a process of its own that records itself, so keeping it is safe and is what
    enter does; cancelling is a choice of its own key. Answers ``"keep"``, ``"cancel"`` or None
    (stay in the app).
    """

    BINDINGS = [
        Binding(
            "k,enter",
            "answer('keep')",
            "Keep running",
            id="quit.keep",
            tooltip="Quit and leave the runs going (each is recorded in full)",
        ),
        Binding(
            "c",
            "answer('cancel')",
            "Cancel runs",
            id="quit.cancel",
            tooltip="Cancel every live run in a tab, quit once each has recorded its ending",
        ),
        Binding("escape,n", "answer(None)", "Stay", id="quit.stay", tooltip="Back to the app"),
    ]

    def __init__(self, live: int) -> None:
        super().__init__(classes="modal")
        self.live = live

    def compose(self) -> ComposeResult:
        runs = "1 run is" if self.live == 1 else f"{self.live} runs are"
        with Vertical(classes="modal-box") as box:
            box.border_title = "Quit?"
            yield Static(
                f"{runs} still live in this app's tabs. Quit and keep them running (each goes "
                "on by itself and is recorded in full: History shows it, another app can "
                "attach), or cancel them first?",
                classes="modal-body",
            )
            with Horizontal(classes="modal-buttons"):
                yield Button("Keep (k)", variant="primary", id="keep")
                yield Button("Cancel runs (c)", variant="warning", id="cancel")
                yield Button("Stay (esc)", id="stay")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        choice = event.button.id
        self.dismiss(choice if choice in ("keep", "cancel") else None)

    def action_answer(self, choice: str | None) -> None:
        self.dismiss(choice)


class PromptModal(ModalScreen[str | None]):
    """Ask for one line of text (a preset name …).

    ``check`` says what is wrong with a value (or None): the problem shows under the field as
    you type, and enter on a bad value keeps the dialog open with what was typed.
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="modal.cancel")]

    def __init__(
        self,
        title: str,
        label: str,
        value: str = "",
        check: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__(classes="modal")
        self.title_text, self.label, self.value = title, label, value
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box") as box:
            box.border_title = self.title_text
            yield Label(self.label)
            yield Input(self.value, id="prompt-input")
            yield Static("", id="prompt-problem", classes="modal-problem")

    def on_mount(self) -> None:
        self.query_one("#prompt-problem").display = False

    def _problem(self, value: str) -> str | None:
        return self.check(value) if self.check is not None and value else None

    def _show(self, problem: str | None) -> None:
        shown = self.query_one("#prompt-problem", Static)
        shown.update(escape(problem or ""))
        shown.display = problem is not None
        self.query_one("#prompt-input", Input).set_class(problem is not None, "-invalid")

    def on_input_changed(self, event: Input.Changed) -> None:
        self._show(self._problem(event.value.strip()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        problem = self._problem(value)
        if problem is not None:
            self._show(problem)
            return
        self.dismiss(value or None)


class PickModal(ModalScreen[str | None]):
    """Pick one of a list of names (a preset to load …)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="modal.cancel")]

    def __init__(self, title: str, choices: list[str]) -> None:
        super().__init__(classes="modal")
        self.title_text, self.choices = title, choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box") as box:
            box.border_title = self.title_text
            yield OptionList(*(Option(escape(c), id=c) for c in self.choices), id="pick-list")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
