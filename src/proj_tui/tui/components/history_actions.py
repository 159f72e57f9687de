"""What both History screens (list and detail) can do to a session: rerun, resume, pin, note, delete.

Reruns and resumes are asked of the app (a :class:`~proj_tui.tui.messages.RunRequested`, the
same path the Run key takes) as a child ``proj-tui run … --events json --parent ID`` built by
``framework.replay.run_argv``,
so a rerun from the app and ``proj-tui sessions rerun`` do exactly the same thing. Where a resume
starts is computed by ``proj-tui sessions resume --dry-run --json`` in a child process: it imports
the project's pipeline code, which must never run (or crash, or be cached stale) inside the app.
Every store write runs in a worker and answers with a :class:`HistoryChanged` message.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from proj_tui.framework.replay import replay_env_vars, replay_selection, resume_selection
from proj_tui.tui.components.history_messages import HistoryChanged, ResumePlanned
from proj_tui.tui.components.history_store import require_reader
from proj_tui.tui.messages import RunRequested, SetupPrefill
from proj_tui.tui.screens.mode_screen import ModeScreen
from proj_tui.tui.state import RunSetup, app_state
from proj_tui.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from proj_tui.framework.selection import RunSelection
    from proj_tui.framework.store import SessionRecord
    from proj_tui.tui.components.history_store import HistoryStore

RESUMABLE = ("failed", "cancelled", "crashed")


class NoteModal(ModalScreen[str | None]):
    """Edit a session's note: enter saves (empty removes it), escape leaves it as it was."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="history.note_cancel")]

    def __init__(self, session_id: str, note: str | None) -> None:
        super().__init__(classes="modal")
        self.session_id, self.note = session_id, note or ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box") as box:
            box.border_title = f"Note on {self.session_id}"
            yield Label("enter saves · an empty note removes it · escape cancels")
            yield Input(self.note, id="note-input", placeholder="e.g. baseline for the paper")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())


def record_setup(record: SessionRecord, selection: RunSelection | None = None) -> RunSetup:
    """A past session as a run setup (with ``selection`` instead of its own, for a resume): the
    one conversion behind rerun, rerun edited and resume. The selection is kept whole, so a
    rerun runs exactly what the session ran. The variables it was given come back with their
    recorded values; a redacted one comes back empty, which Run setup takes from the app's
    environment (``run_spec.from_environment``), never as ``<redacted>``. The session becomes
    the parent of what runs from it."""
    import os

    from proj_tui.config import flatten
    from proj_tui.tui.run_spec import is_secret_name

    chosen = replay_selection(record) if selection is None else selection
    env_vars = {
        name: value
        if value is not None
        else ""
        if is_secret_name(name)
        else os.environ.get(name, "")
        for name, value in replay_env_vars(record).items()
    }
    return RunSetup(
        pipeline=chosen.pipeline,
        filters=chosen,
        env=record.env,
        overrides=flatten(record.runtime_params or {}),
        env_vars=env_vars,
        parent=record.session_id,
    )


def secrets_note(record: SessionRecord, where: str = "the app's environment") -> str:
    """Where a replay of ``record`` takes its redacted variables from, for the toast; "" if none."""
    names = [n for n, v in replay_env_vars(record).items() if v is None]
    return f"; {', '.join(names)} taken from {where}" if names else ""


class HistoryActions(ReportsWorkerErrors, ModeScreen):
    """The base of the History list and detail screens.

    Their workers' failures go to the app's error modal through :class:`ReportsWorkerErrors`;
    runs and Run setup are asked of the app with :class:`RunRequested` and :class:`SetupPrefill`.
    """

    @property
    def history(self) -> HistoryStore:
        return app_state(self).history

    # --- rerun / resume ----------------------------------------------------------------------

    def launch_session(
        self, record: SessionRecord, *, selection: RunSelection | None = None,
        planned: list[str] | None = None,
    ) -> None:  # fmt: skip
        """Start ``record`` again (with ``selection`` if given) as a new tab on the Runs screen."""
        import os

        from proj_tui.framework.replay import missing_env_message, missing_env_vars, run_argv

        state = app_state(self)
        missing = missing_env_vars(record, os.environ)
        if missing:  # the child would stop at once; say why and how instead
            why = missing_env_message(record, missing, "the app's environment")
            self.notify(
                f"{why} Or e: Run setup filled from it, where you type the value.",
                title="Cannot run",
                severity="error",
                timeout=10,
            )
            return
        here = replace(record, project_path=str(state.project_path))
        chosen = replay_selection(record) if selection is None else selection
        argv = [*state.cli, *run_argv(here, selection=chosen), "--events", "json"]
        spec = record_setup(record, chosen).spec(state.project_path)
        note = f"Rerunning {record.session_id} (parent recorded){secrets_note(record)}"
        self.post_message(RunRequested(spec, argv, planned, note=note))

    def rerun_edited(self, record: SessionRecord) -> None:
        """Prefill Run setup with the session's pipeline, env, overrides and whole selection."""
        setup = record_setup(record)
        # Run setup picks the pipeline on its own: the rest of the selection becomes its filters
        setup = replace(setup, filters=replace(setup.filters, pipeline_names=frozenset()))
        note = (
            f"Run setup filled from {record.session_id}: edit, then ctrl+r "
            f"(the new session records it as its parent){secrets_note(record)}"
        )
        self.post_message(SetupPrefill(setup, note=note))

    def start_resume(self, record: SessionRecord) -> None:
        """Ask the CLI where a resume starts; a :class:`ResumePlanned` answer opens the confirm."""
        if record.status not in RESUMABLE:
            self.notify(
                f"Session {record.session_id} {record.status}: only failed, cancelled or crashed "
                "sessions can be resumed (r reruns it).",
                severity="warning",
            )
            return
        self.notify(f"Working out where {record.session_id} stopped…", timeout=2)
        self._plan_resume(record)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="history-resume",
        description="Plan the resume",
    )
    def _plan_resume(self, record: SessionRecord) -> None:
        from proj_tui.errors import ProjTuiError

        state = app_state(self)
        project = state.project_path
        argv = [*state.cli, "sessions", "resume", record.session_id, "--project", str(project)]
        proc = subprocess.run(
            [*argv, "--dry-run", "--json"],
            capture_output=True,
            text=True,
            cwd=project,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            lines = [ln.removeprefix("Error: ") for ln in proc.stderr.strip().splitlines()]
            raise ProjTuiError("\n".join(lines[-20:]) or f"exit code {proc.returncode}")
        data = json.loads(proc.stdout)
        self.post_message(
            ResumePlanned(record, list(data["from_nodes"]), list(data["nodes"]), data["argv"])
        )

    def confirm_resume(self, message: ResumePlanned) -> None:
        """Say which nodes the resume will run, and launch it on yes."""
        from proj_tui.tui.screens.modals import ConfirmModal

        record = message.record
        shown = message.nodes if len(message.nodes) <= 20 else [*message.nodes[:20], "…"]
        question = (
            f"Resume {record.session_id} ({record.status}) from "
            f"{', '.join(message.from_nodes)}.\n\n"
            f"{len(message.nodes)} node(s) will run:\n  " + "\n  ".join(shown)
        )

        def answer(yes: bool | None) -> None:
            if yes:
                selection = resume_selection(record, message.from_nodes)
                self.launch_session(record, selection=selection, planned=message.nodes)

        self.app.push_screen(ConfirmModal("Resume session", question, yes="Resume"), answer)

    # --- pin / note / delete -------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="history-write", description="Pin session")
    def write_pinned(self, session_id: str, pinned: bool) -> None:
        require_reader(self.history).set_pinned(session_id, pinned)
        verb = "Pinned" if pinned else "Unpinned"
        self.post_message(HistoryChanged(f"{verb} {session_id}", (session_id,)))

    def edit_note(self, session_id: str, note: str | None) -> None:
        def save(text: str | None) -> None:
            if text is not None and text != (note or ""):
                self.write_note(session_id, text)

        self.app.push_screen(NoteModal(session_id, note), save)

    @work(thread=True, exit_on_error=False, group="history-write", description="Save note")
    def write_note(self, session_id: str, text: str) -> None:
        require_reader(self.history).set_note(session_id, text or None)
        done = f"Note saved on {session_id}" if text else f"Note removed from {session_id}"
        self.post_message(HistoryChanged(done, (session_id,)))

    def confirm_delete(self, ids: list[str], running: list[str]) -> None:
        """Ask, then delete ``ids`` (never a running session: its process still writes)."""
        from proj_tui.tui.screens.modals import ConfirmModal

        if running:
            self.notify(
                f"Not deleting {', '.join(running)}: still running (cancel it first).",
                severity="warning",
            )
        ids = [i for i in ids if i not in running]
        if not ids:
            return
        listed = "\n  ".join(ids[:10]) + ("\n  …" if len(ids) > 10 else "")
        question = f"Delete {len(ids)} session(s) with their nodes and logs?\n  {listed}"

        def answer(yes: bool | None) -> None:
            if yes:
                self.write_delete(ids)

        self.app.push_screen(ConfirmModal("Delete sessions", question, yes="Delete"), answer)

    @work(thread=True, exit_on_error=False, group="history-write", description="Delete sessions")
    def write_delete(self, ids: list[str]) -> None:
        count = require_reader(self.history).delete_sessions(ids)
        changed = HistoryChanged(f"Deleted {count} session(s)", tuple(ids), deleted=True)
        self.post_message(changed)
