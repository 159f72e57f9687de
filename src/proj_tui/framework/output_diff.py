"""How two sessions' outputs differ: by digest, and for small JSON/YAML/CSV files key by key.

Feeds ``sessions diff`` and the app's diff view with ``DiffRow``s (the rows ``diff_sessions``
makes), so both show the same thing. What a key is comes from ``framework.output_content``. A diff is
bounded (``MAX_CHANGES`` keys or cells per output, the rest counted), so a changed 64 KB CSV is a
summary and a few cells, not thousands of rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from proj_tui.framework.diff import DiffRow, diff_sessions
from proj_tui.framework.output_content import (
    ContentError,
    Scalar,
    content_format,
    content_leaves,
    csv_rows,
    csv_table,
)
from proj_tui.framework.store.repro_records import DatasetRecord

if TYPE_CHECKING:
    from proj_tui.framework.store import SessionRecord, SQLiteSessionStore

MAX_CHANGES = 20
"""Changed keys (or CSV cells) listed per output in a diff; the rest are counted."""


@dataclass(frozen=True)
class ContentDiff:
    """How one output's content changed: up to ``MAX_CHANGES`` changed keys, and a count."""

    changes: tuple[tuple[str, Scalar, Scalar], ...]
    """``(key, old, new)``; a key only on one side has ``None`` on the other."""
    total: int
    """Changed leaves (or CSV cells) in all, listed or not."""
    summary: str = ""
    """For CSV: rows and columns added, removed and changed; empty for JSON/YAML."""
    error: str | None = None
    """Set when a side's content did not parse: the diff is by digest only."""

    @property
    def hidden(self) -> int:
        return self.total - len(self.changes)


def diff_content(left: str, right: str, fmt: str) -> ContentDiff:
    """The changed keys between two contents of one file (CSV cell by cell, summarised)."""
    try:
        if fmt == "csv":
            return _diff_csv(left, right)
        old, new = content_leaves(left, fmt), content_leaves(right, fmt)
    except ContentError as exc:
        return ContentDiff((), 0, error=str(exc))
    changed = [(k, old.get(k), new.get(k)) for k in _keys(old, new) if _differs(old, new, k)]
    return ContentDiff(tuple(changed[:MAX_CHANGES]), len(changed))


def _keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Keys in file order (old's, then new's new ones), as people read the file."""
    return [*old, *(k for k in new if k not in old)]


def _differs(old: Mapping[str, Any], new: Mapping[str, Any], key: str) -> bool:
    return key not in old or key not in new or old[key] != new[key]


def _diff_csv(left: str, right: str) -> ContentDiff:
    (lhead, lrows), (rhead, rrows) = csv_rows(left), csv_rows(right)
    old, new = csv_table(lhead, lrows), csv_table(rhead, rrows)
    added = [r for r in new if r not in old]
    removed = [r for r in old if r not in new]
    changes: list[tuple[str, Scalar, Scalar]] = []
    changed_rows = 0
    for row in old:
        if row not in new:
            continue
        cells = [(f"{row}.{c}", old[row].get(c), new[row].get(c))
                 for c in _keys(old[row], new[row]) if _differs(old[row], new[row], c)]  # fmt: skip
        changed_rows += bool(cells)
        changes += cells
    parts = [f"{changed_rows} of {len(old)} row(s) changed ({len(changes)} cell(s))"]
    if added:
        parts.append(f"{len(added)} added ({_names(added)})")
    if removed:
        parts.append(f"{len(removed)} removed ({_names(removed)})")
    new_columns = [c for c in rhead if c not in lhead]
    gone_columns = [c for c in lhead if c not in rhead]
    if new_columns:
        parts.append(f"column(s) added: {_names(new_columns)}")
    if gone_columns:
        parts.append(f"column(s) removed: {_names(gone_columns)}")
    return ContentDiff(tuple(changes[:MAX_CHANGES]), len(changes), "; ".join(parts))


def _names(names: Sequence[str], shown: int = 3) -> str:
    more = f", … {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def short_digest(digest: str | None, length: int = 10) -> str | None:
    """The digest as shown: its algorithm prefix dropped, cut to ``length`` (enough to tell apart)."""
    if not digest:
        return None
    return digest.split(":", 1)[-1][:length]


def by_name(datasets: Iterable[DatasetRecord], role: str) -> dict[str, DatasetRecord]:
    """One entry per dataset name for ``role`` (an input loaded by two nodes is one input)."""
    chosen: dict[str, DatasetRecord] = {}
    for dataset in datasets:
        if dataset.role == role:
            chosen.setdefault(dataset.name, dataset)
    return chosen


def output_rows(left: Sequence[DatasetRecord], right: Sequence[DatasetRecord]) -> list[DiffRow]:
    """Diff rows for two sessions' datasets: each output and input by digest, then for a changed
    small JSON/YAML/CSV output the changed keys (section ``output NAME``), old and new values.

    Rows are returned for every dataset (``changed`` tells which differ), as ``diff_sessions``
    does, so the app's "all" toggle and ``sessions diff --all`` show the unchanged ones too.
    """
    rows: list[DiffRow] = []
    for role, section in (("save", "outputs"), ("load", "inputs")):
        old, new = by_name(left, role), by_name(right, role)
        for name in sorted(old.keys() | new.keys()):
            a, b = old.get(name), new.get(name)
            rows.append(DiffRow(section, name, _digest(a), _digest(b)))
            if role == "save" and a is not None and b is not None and a.digest != b.digest:
                rows += _content_rows(name, a, b)
    return rows


def _digest(dataset: DatasetRecord | None) -> str | None:
    if dataset is None:
        return None
    return short_digest(dataset.digest) or "(no digest)"


def _content_rows(name: str, left: DatasetRecord, right: DatasetRecord) -> list[DiffRow]:
    fmt = content_format(right.path) or content_format(left.path)
    if fmt is None or left.content is None or right.content is None:
        return []
    diff = diff_content(left.content, right.content, fmt)
    section = f"output {name}"
    if diff.error is not None:
        return [DiffRow(section, "(content)", "", f"cannot compare: {diff.error}")]
    rows = [DiffRow(section, "(rows)", "", diff.summary)] if diff.summary else []
    rows += [DiffRow(section, key, old, new) for key, old, new in diff.changes]
    if diff.hidden:
        rows.append(DiffRow(section, "…", "", f"{diff.hidden} more change(s) not listed"))
    return rows


def compare_sessions(
    store: SQLiteSessionStore, left: SessionRecord, right: SessionRecord
) -> list[DiffRow]:
    """Every compared row of two sessions — ``diff_sessions``'s, then their datasets' — as the app's
    diff view and ``proj-tui sessions diff`` show them."""
    left_id, right_id = left.session_id, right.session_id
    rows = diff_sessions(left, right, store.nodes(left_id), store.nodes(right_id))
    return rows + output_rows(store.datasets(left_id), store.datasets(right_id))


def output_summary(rows: Sequence[DiffRow]) -> str:
    """``2 of 7 outputs changed`` (or ``all 7 outputs identical``); "" when none were recorded."""
    outputs = [row for row in rows if row.section == "outputs"]
    if not outputs:
        return ""
    changed = sum(row.changed for row in outputs)
    if not changed:
        return f"all {len(outputs)} output(s) identical"
    return f"{changed} of {len(outputs)} output(s) differ"


def changed_names(rows: Sequence[DiffRow]) -> tuple[list[str], list[str]]:
    """The outputs, then the inputs, whose digests differ in ``output_rows``'s rows (for a
    reproduction: what came out differently, and what it was given differently)."""
    outputs = [row.key for row in rows if row.section == "outputs" and row.changed]
    inputs = [row.key for row in rows if row.section == "inputs" and row.changed]
    return outputs, inputs
