"""What a session's small JSON/YAML/CSV outputs said, as flat leaves, and how two of them differ.

A session records the content of its small structured outputs (metrics files, reports; see
docs/store.md). Three readers use it and must agree on what a "key" is, so it is defined once here:
- JSON and YAML: nested mappings become dotted keys (``scores.rmse``); list items are numbered from
  0 (``zones.0.average_fare``);
- CSV: the first row is the header; a data row is named by its first column when those values are
  unique and non-empty (``model_a.rmse`` for a row ``model_a,1.2``), else by its number from 1
  (``3.fare``); the cells of the naming column are not leaves themselves.
Text that parses as a number is a number (so ``rmse<1.5`` compares numerically, as for params).
Values under a secret-looking key are redacted and secret-shaped text is masked
(``framework.redact``), whatever the recording did, since this text reaches the screen.

``content_leaves`` feeds the History query index (``out:metrics.rmse<1.5``) and the detail's
Outputs tab; ``diff_content`` and ``output_rows`` feed ``sessions diff`` and the app's diff view,
bounded so a changed 64 KB CSV is a summary and a few cells, not thousands of rows.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Protocol

from proj_tui.framework.diff import DiffRow
from proj_tui.framework.redact import REDACTED, is_secret_name, redact_params, redact_value

FORMATS: dict[str, str] = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
"""The file suffixes whose content is read as structured (others compare by digest only)."""
MAX_LEAVES = 1000
"""Leaves kept per file: a metrics file has a handful; a 64 KB table is summarised, not indexed."""
MAX_CHANGES = 20
"""Changed keys (or CSV cells) listed per output in a diff; the rest are counted."""
Scalar = float | int | str | bool | None


class ContentError(ValueError):
    """Recorded content that is not valid for its format (the message says where)."""


class _Dataset(Protocol):
    """What the diff needs of a recorded dataset (the store's ``DatasetRecord``)."""

    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def path(self) -> str | None: ...
    @property
    def digest(self) -> str | None: ...
    @property
    def content(self) -> str | None: ...


def content_format(path: str | None) -> str | None:
    """``json``, ``yaml`` or ``csv`` from a file's suffix (any case); None for anything else."""
    if not path:
        return None
    return FORMATS.get(PurePosixPath(path).suffix.lower())


def file_stem(path: str | None) -> str | None:
    """``model_a_metrics`` for ``data/05_reporting/model_a_metrics.json`` (what ``out:`` also matches)."""
    return PurePosixPath(path).stem if path else None


def content_leaves(content: str, fmt: str) -> dict[str, Scalar]:
    """The flat ``key -> value`` leaves of one file's content, at most ``MAX_LEAVES``.

    Raises ``ContentError`` for content that does not parse as ``fmt``.
    """
    if fmt == "csv":
        leaves = _csv_leaves(content)
    else:
        leaves = dict(_tree_leaves(redact_params(_load(content, fmt)), ""))
    return dict(_bounded(leaves.items(), MAX_LEAVES))


def _load(content: str, fmt: str) -> Any:
    if fmt == "json":
        try:
            return json.loads(content)
        except ValueError as exc:
            raise ContentError(f"not valid JSON: {exc}") from None
    if fmt == "yaml":
        import yaml

        try:
            return yaml.safe_load(content)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ContentError(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    raise ContentError(f"unknown format {fmt!r}: use one of json, yaml, csv")


def _tree_leaves(value: Any, prefix: str) -> Iterable[tuple[str, Scalar]]:
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from _tree_leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _tree_leaves(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix or "(value)", _scalar(value)


def _scalar(value: Any) -> Scalar:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return redact_value(value)
    return redact_value(json.dumps(value, default=str))  # {} / [] / a date


def _csv_rows(content: str) -> tuple[list[str], list[list[str]]]:
    try:
        rows = [row for row in csv.reader(io.StringIO(content)) if row]
    except csv.Error as exc:
        raise ContentError(f"not valid CSV: {exc}") from None
    if not rows:
        return [], []
    return rows[0], rows[1:]


def _csv_leaves(content: str) -> dict[str, Scalar]:
    header, rows = _csv_rows(content)
    return {f"{row}.{column}": value for row, cells in _csv_table(header, rows).items()
            for column, value in cells.items()}  # fmt: skip


def _csv_table(header: list[str], rows: list[list[str]]) -> dict[str, dict[str, Scalar]]:
    """Rows by name (first column when unique, else number from 1) -> column -> typed cell."""
    firsts = [row[0] if row else "" for row in rows]
    named = bool(rows) and len(header) > 1 and all(firsts) and len(set(firsts)) == len(firsts)
    columns = header[1:] if named else header
    table: dict[str, dict[str, Scalar]] = {}
    for number, row in enumerate(rows, start=1):
        cells = row[1:] if named else row
        name = redact_value(row[0]) if named else str(number)
        table[name] = {
            column: REDACTED if is_secret_name(column) else _typed(cell)
            for column, cell in zip(columns, cells, strict=False)
        }
    return table


def _typed(cell: str) -> Scalar:
    """A CSV cell as a number when it reads as one (``1.20`` == ``1.2``), else masked text."""
    try:
        number = float(cell)
    except ValueError:
        return redact_value(cell)
    if not math.isfinite(number):
        return cell
    return (
        int(number)
        if number.is_integer() and "." not in cell and "e" not in cell.lower()
        else number
    )


def _bounded(items: Iterable[tuple[str, Scalar]], limit: int) -> Iterable[tuple[str, Scalar]]:
    for index, item in enumerate(items):
        if index >= limit:
            return
        yield item


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
    (lhead, lrows), (rhead, rrows) = _csv_rows(left), _csv_rows(right)
    old, new = _csv_table(lhead, lrows), _csv_table(rhead, rrows)
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


def by_name(datasets: Iterable[_Dataset], role: str) -> dict[str, _Dataset]:
    """One entry per dataset name for ``role`` (an input loaded by two nodes is one input)."""
    chosen: dict[str, _Dataset] = {}
    for dataset in datasets:
        if dataset.role == role:
            chosen.setdefault(dataset.name, dataset)
    return chosen


def output_rows(left: Sequence[_Dataset], right: Sequence[_Dataset]) -> list[DiffRow]:
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


def _digest(dataset: _Dataset | None) -> str | None:
    if dataset is None:
        return None
    return short_digest(dataset.digest) or "(no digest)"


def _content_rows(name: str, left: _Dataset, right: _Dataset) -> list[DiffRow]:
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
