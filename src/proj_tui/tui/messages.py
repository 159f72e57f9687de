"""Typed messages the app handles: what worker threads answer, and what screens ask for.

Worker threads talk to the UI only through these. Screens and components never call the app's
methods: they post an intent (a run requested, a setup to prefill, an env chosen …), which
bubbles up to the app; the app turns it into calls of :class:`~proj_tui.tui.state.AppState`'s
writers and into workers. A message only one widget posts is nested in that widget instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from proj_tui.tui.model import ProjectDescription, RunFilters
    from proj_tui.tui.params import ParamField
    from proj_tui.tui.run_spec import RunSpec
    from proj_tui.tui.state import ProjectConfig, RunSetup

# --- answers from worker threads -------------------------------------------------------------


@dataclass
class ProjectLoaded(Message):
    """Project metadata, settings and envs are known."""

    config: ProjectConfig


@dataclass
class PipelinesDescribed(Message):
    """The CLI described the project's pipelines (possibly with errors)."""

    description: ProjectDescription


@dataclass
class ParamsLoaded(Message):
    """The merged parameters of ``env`` are known."""

    env: str
    fields: list[ParamField]


@dataclass
class RunBatch(Message):
    """Events from one run's child process wait in its tab's inbox (one wake-up per drain)."""


@dataclass
class ExpectedDurations(Message):
    """Typical per-node durations from past runs, for the ETA."""

    durations: dict[str, float]


@dataclass
class BindingIdsKnown(Message):
    """Every binding id of the app's screens (read after the first paint to check the keymap)."""

    ids: set[str]


# --- intents: what screens and components ask the app for ------------------------------------


@dataclass
class PipelineChosen(Message):
    """The run is of this pipeline (the Project tree's cursor moved to it)."""

    name: str


@dataclass
class FiltersChosen(Message):
    """The run's filters are these (``RunFilters()`` clears them)."""

    filters: RunFilters


@dataclass
class FilterToggled(Message):
    """Each of ``values`` goes into the filter ``what`` (or out of it, when it is in)."""

    what: str
    values: tuple[str, ...]


@dataclass
class EnvChosen(Message):
    """The run's config env is this; ``announce`` says so in a toast (the palette)."""

    env: str
    announce: bool = False


@dataclass
class EnvVarsEdited(Message):
    """The Run setup's environment variables, and the rows that are not valid (by name)."""

    values: Mapping[str, str]
    problems: Mapping[str, str]


@dataclass
class PresetChosen(Message):
    """Fill Run setup from the preset of this name."""

    name: str


@dataclass
class SetupPrefill(Message):
    """Fill Run setup at once from ``setup`` (rerun edited); ``note`` is said in a toast, as a
    warning when ``warn``."""

    setup: RunSetup
    note: str = ""
    warn: bool = False


@dataclass
class RunRequested(Message):
    """Start a session as a new tab on the Runs screen.

    ``argv`` is the child's command line (a rerun's comes from the store record); ``planned``
    the nodes shown before the child reports its own (None: planned from ``spec``'s filters).
    """

    spec: RunSpec
    argv: list[str]
    planned: list[str] | None = None
    note: str = ""


@dataclass
class DescribeRequested(Message):
    """Describe the pipelines again (out of process: edited code is imported afresh)."""

    announce: bool = False


@dataclass
class StaleCheckRequested(Message):
    """Check again which nodes are stale (a run may have finished meanwhile)."""


@dataclass
class SessionOpenRequested(Message):
    """Show one past session in full (the diff screen opens either side this way)."""

    session_id: str
