"""Errors of the pipeline layer, one class per rule so callers can tell them apart."""

from __future__ import annotations

from proj_tui.errors import ProjTuiError


class PipelineError(ProjTuiError):
    """A node or pipeline breaks a rule: bad name, unknown node, wrong outputs from a function."""


class CircularDependencyError(PipelineError):
    """The nodes form a cycle, so no order can run them; the message names the cycle."""


class OutputNotUniqueError(PipelineError):
    """Two nodes write the same dataset, so the result would depend on which ran last."""
