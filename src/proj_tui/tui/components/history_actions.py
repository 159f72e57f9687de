"""What both History screens (list and detail) can do to a session: rerun, resume, pin, note, delete.

Reruns and resumes go through the Runs screen's ``start_run`` — the same path the Run key uses —
as a child ``proj-tui run … --events json --parent ID`` built by ``framework.replay.run_argv``,
so a rerun from the app and ``proj-tui sessions rerun`` do exactly the same thing. Where a resume
starts is computed by ``proj-tui sessions resume --dry-run --json`` in a child process: it imports
the project's pipeline code, which must never run (or crash, or be cached stale) inside the app.
Every store write runs in a worker and answers with a :class:`HistoryChanged` message.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from proj_tui.tui.components.history_messages import HistoryChanged, ResumePlanned
from proj_tui.tui.components.history_store import HistoryStore, require_reader
from proj_tui.tui.model import DEFAULT_PIPELINE, RunFilters, plan
from proj_tui.tui.run_spec import RunSpec
from proj_tui.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from proj_tui.framework.store import SessionRecord
    from proj_tui.tui.app import ProjTuiApp

RESUMABLE = ("failed", "cancelled", "crashed")
_RUN_FILTER_KEYS = {
    "tags": "tags",
    "node_names": "node_names",
    "node_namespaces": "namespaces",
    "from_nodes": "from_nodes",
    "to_nodes": "to_nodes",
}


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


def run_filters(filters: dict[str, Any] | None) -> RunFilters:
    """A stored session's filters as the app's run filters (the ones Run setup can edit)."""
    given = filters or {}
    return RunFilters(
        **{ours: frozenset(given.get(theirs) or ()) for theirs, ours in _RUN_FILTER_KEYS.items()}
    )


def resume_filters(record: SessionRecord, from_nodes: list[str]) -> dict[str, Any]:
    """The filters a resume runs with: the session's own, starting at ``from_nodes``."""
    filters = {**(record.filters or {}), "from_nodes": list(from_nodes)}
    filters.pop("node_names", None)
    return filters


class HistoryActions(ReportsWorkerErrors):
    """Mixed into the History list and detail screens (both are ``Screen`` subclasses).

    Their workers' failures go to the app's error modal through :class:`ReportsWorkerErrors`.
    """

    @property
    def papp(self) -> ProjTuiApp:
        return self.app  # type: ignore[attr-defined]

    @property
    def history(self) -> HistoryStore:
        return HistoryStore.of(self.papp)

    # --- rerun / resume ----------------------------------------------------------------------

    async def launch_session(
        self, record: SessionRecord, *, filters: dict[str, Any] | None = None,
        planned: list[str] | None = None,
    ) -> None:  # fmt: skip
        """Start ``record`` again (with ``filters`` if given) as a new tab on the Runs screen."""
        from proj_tui.config import flatten
        from proj_tui.framework.replay import run_argv
        from proj_tui.tui.screens.runs import RunsScreen

        app = self.papp
        here = replace(record, project_path=str(app.state.project_path))
        chosen = dict(record.filters or {}) if filters is None else filters
        argv = [*app.cli, *run_argv(here, filters=chosen), "--events", "json"]
        spec = RunSpec(
            project_path=app.state.project_path,
            pipeline=record.pipeline or DEFAULT_PIPELINE,
            env=record.env,
            overrides=flatten(record.runtime_params or {}),
            filters=run_filters(chosen),
        )
        if planned is None:
            description = app.state.description
            nodes = description.pipelines.get(spec.pipeline) if description else None
            planned = [n.name for n in plan(nodes, spec.filters)] if nodes else []
        await app.switch_mode("runs")
        screen = app.screen
        if isinstance(screen, RunsScreen):
            await screen.start_run(spec, argv, planned)
            app.notify(f"Rerunning {record.session_id} (parent recorded)", timeout=3)

    async def rerun_edited(self, record: SessionRecord) -> None:
        """Prefill Run setup with the session's pipeline, env, overrides and filters."""
        from proj_tui.config import flatten

        app = self.papp
        state = app.state
        state.overrides = flatten(record.runtime_params or {})
        state.invalid.clear()
        state.filters = run_filters(record.filters)
        state.parent = record.session_id  # runs from this setup record it as their parent
        pipeline = record.pipeline or DEFAULT_PIPELINE
        if state.description is None or pipeline in state.description.pipelines:
            state.pipeline = pipeline
        app.state_changed.publish("preset")
        if record.env and record.env != state.env:
            app.set_env(record.env)
        elif state.config is not None and state.env:
            app.load_params(state.env)
        await app.switch_mode("setup")
        lost = [k for k in ("from_inputs", "to_outputs") if (record.filters or {}).get(k)]
        extra = f" (Run setup has no {', '.join(lost)} filter: dropped)" if lost else ""
        app.notify(
            f"Run setup filled from {record.session_id}: edit, then ctrl+r "
            f"(the new session records it as its parent){extra}",
            title="Rerun edited",
            severity="warning" if lost else "information",
        )

    def start_resume(self, record: SessionRecord) -> None:
        """Ask the CLI where a resume starts; a :class:`ResumePlanned` answer opens the confirm."""
        if record.status not in RESUMABLE:
            self.papp.notify(
                f"Session {record.session_id} {record.status}: only failed, cancelled or crashed "
                "sessions can be resumed (r reruns it).",
                severity="warning",
            )
            return
        self.papp.notify(f"Working out where {record.session_id} stopped…", timeout=2)
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

        app = self.papp
        project = app.state.project_path
        argv = [*app.cli, "sessions", "resume", record.session_id, "--project", str(project)]
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
        self.post_message(  # type: ignore[attr-defined]
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

        async def answer(yes: bool | None) -> None:
            if yes:
                filters = resume_filters(record, message.from_nodes)
                await self.launch_session(record, filters=filters, planned=message.nodes)

        self.papp.push_screen(ConfirmModal("Resume session", question, yes="Resume"), answer)

    # --- pin / note / delete -------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="history-write", description="Pin session")
    def write_pinned(self, session_id: str, pinned: bool) -> None:
        require_reader(self.history).set_pinned(session_id, pinned)
        verb = "Pinned" if pinned else "Unpinned"
        self.post_message(HistoryChanged(f"{verb} {session_id}", (session_id,)))  # type: ignore[attr-defined]

    def edit_note(self, session_id: str, note: str | None) -> None:
        def save(text: str | None) -> None:
            if text is not None and text != (note or ""):
                self.write_note(session_id, text)

        self.papp.push_screen(NoteModal(session_id, note), save)

    @work(thread=True, exit_on_error=False, group="history-write", description="Save note")
    def write_note(self, session_id: str, text: str) -> None:
        require_reader(self.history).set_note(session_id, text or None)
        done = f"Note saved on {session_id}" if text else f"Note removed from {session_id}"
        self.post_message(HistoryChanged(done, (session_id,)))  # type: ignore[attr-defined]

    def confirm_delete(self, ids: list[str], running: list[str]) -> None:
        """Ask, then delete ``ids`` (never a running session: its process still writes)."""
        from proj_tui.tui.screens.modals import ConfirmModal

        if running:
            self.papp.notify(
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

        self.papp.push_screen(ConfirmModal("Delete sessions", question, yes="Delete"), answer)

    @work(thread=True, exit_on_error=False, group="history-write", description="Delete sessions")
    def write_delete(self, ids: list[str]) -> None:
        count = require_reader(self.history).delete_sessions(ids)
        changed = HistoryChanged(f"Deleted {count} session(s)", tuple(ids), deleted=True)
        self.post_message(changed)  # type: ignore[attr-defined]
