"""Typed messages that worker threads post to the UI (the only way threads talk to widgets)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from proj_tui.tui.model import ProjectDescription
    from proj_tui.tui.params import ParamField
    from proj_tui.tui.state import ProjectConfig
    from proj_tui.tui.supervisor import Event


class ProjectLoaded(Message):
    """Project metadata, settings and envs are known."""

    def __init__(self, config: ProjectConfig) -> None:
        super().__init__()
        self.config = config


class PipelinesDescribed(Message):
    """The CLI described the project's pipelines (possibly with errors)."""

    def __init__(self, description: ProjectDescription) -> None:
        super().__init__()
        self.description = description


class ParamsLoaded(Message):
    """The merged parameters of ``env`` are known."""

    def __init__(self, env: str, fields: list[ParamField]) -> None:
        super().__init__()
        self.env = env
        self.fields = fields


class RunBatch(Message):
    """A batch of events from one run's child process (at most every ~50 ms)."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = events


class ExpectedDurations(Message):
    """Typical per-node durations from past runs, for the ETA."""

    def __init__(self, durations: dict[str, float]) -> None:
        super().__init__()
        self.durations = durations


class SessionsLoaded(Message):
    """A page of the store's sessions, newest first."""

    def __init__(self, rows: list[Any], total: int, path: str) -> None:
        super().__init__()
        self.rows = rows
        self.total = total
        self.path = path


class BindingIdsKnown(Message):
    """Every binding id of the app's screens (read after the first paint to check the keymap)."""

    def __init__(self, ids: set[str]) -> None:
        super().__init__()
        self.ids = ids
