"""Typed messages the History workers post to their screens (threads never touch widgets).

Each carries the ``generation`` of the request that produced it, so an answer to an outdated
request (the user typed on, or paged again) is dropped instead of overwriting a newer one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from proj_tui.framework.diff import DiffRow
    from proj_tui.framework.store import LogLine, NodeRun, SessionRecord, SessionSummary


class HistoryPageLoaded(Message):
    """One page of sessions matching the filter (``total`` when already counted, else None)."""

    def __init__(
        self,
        generation: int,
        rows: list[SessionSummary],
        total: int | None,
        offset: int,
        hints: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.rows = rows
        self.total = total
        self.offset = offset
        self.hints = hints or []  # why nothing matched (``empty_result_hints``), when nothing did


class HistoryCounted(Message):
    """How many sessions match, sent after the page (counting can take longer than listing)."""

    def __init__(self, generation: int, total: int) -> None:
        super().__init__()
        self.generation = generation
        self.total = total


class HistoryChanged(Message):
    """A note, pin or deletion was written: the list reloads its page.

    ``ids`` are the sessions written, so a detail screen (reused for another session since)
    acts only on news about the session it shows.
    """

    def __init__(self, text: str, ids: tuple[str, ...] = (), *, deleted: bool = False) -> None:
        super().__init__()
        self.text = text
        self.ids = ids
        self.deleted = deleted


class SessionLoaded(Message):
    """A session's full record and node runs, for the detail screen."""

    def __init__(self, record: SessionRecord, nodes: list[NodeRun]) -> None:
        super().__init__()
        self.record = record
        self.nodes = nodes


class LogsLoaded(Message):
    """A chunk of a session's log lines (``done`` on the last one)."""

    def __init__(self, generation: int, lines: list[LogLine], done: bool, reset: bool) -> None:
        super().__init__()
        self.generation = generation
        self.lines = lines
        self.done = done
        self.reset = reset


class DiffLoaded(Message):
    """Two sessions compared field by field."""

    def __init__(self, left: SessionRecord, right: SessionRecord, rows: list[DiffRow]) -> None:
        super().__init__()
        self.left = left
        self.right = right
        self.rows = rows


class ResumePlanned(Message):
    """What a resume of a session will run, computed by the CLI against the current code."""

    def __init__(
        self, record: SessionRecord, from_nodes: list[str], nodes: list[str], argv: list[str]
    ) -> None:
        super().__init__()
        self.record = record
        self.from_nodes = from_nodes
        self.nodes = nodes
        self.argv = argv


class DiffCandidates(Message):
    """Sessions offered to compare with the one shown (parent, pinned, recent)."""

    def __init__(self, session_id: str, choices: list[str]) -> None:
        super().__init__()
        self.session_id = session_id
        self.choices = choices


class LineageLoaded(Message):
    """A session's ancestors (oldest first; None for one deleted since) and its children."""

    def __init__(
        self,
        session_id: str,
        ancestors: list[tuple[str, SessionRecord | None]],
        children: list[SessionSummary],
    ) -> None:
        super().__init__()
        self.session_id = session_id
        self.ancestors = ancestors
        self.children = children
