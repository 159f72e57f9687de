"""Errors of the pipeline layer, one class per rule so callers can tell them apart.

They subclass the built-in exceptions Kedro raises for the same mistakes (``ValueError`` for a bad
node or pipeline, ``TypeError`` for inputs that do not fit the function), so code written against
Kedro's ``except ValueError:`` still catches them.
"""

from __future__ import annotations

from proj_tui.errors import ProjTuiError


class PipelineError(ProjTuiError, ValueError):
    """A node or pipeline breaks a rule: bad name, unknown node, wrong outputs from a function."""


class NodeSignatureError(PipelineError, TypeError):
    """A node's inputs do not fit its function's parameters; found when the node is made."""


class CircularDependencyError(PipelineError):
    """The nodes form a cycle, so no order can run them; the message names the cycle."""


class OutputNotUniqueError(PipelineError):
    """Two nodes write the same dataset, so the result would depend on which ran last."""
