"""The index behind ``out:NAME``, ``in:NAME`` and ``out:NAME.KEY<1.5`` in the History filter.

The datasets a session loaded and saved are recorded with it (docs/store.md); filtering 100k
sessions on them must not parse 100k metrics files, so when a session's datasets are recorded this
module also writes, in the same transaction:
- ``session_outputs``: one row per (session, role, name) — the dataset name, and its file's stem as
  a second name — so ``out:NAME`` is a probe on a tiny key, or a range scan of one name;
- ``output_values``: the scalar leaves of each small JSON/YAML/CSV output's content, as
  ``framework.output_content`` defines them (``zones.0.average_fare``), numbers apart from text,
  like ``session_params``, so ``out:metrics.rmse<1.5`` is a range on a partial index of
  (key, name, value).
Names and keys are interned (``output_names``, ``output_keys``) so rows stay a few integers. Which
names match a term is decided on those small tables: see ``output_condition``.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from proj_tui.framework.output_content import (
    ContentError,
    content_format,
    content_leaves,
    file_stem,
)
from proj_tui.framework.store.records import OutputFilter
from proj_tui.framework.store.repro_records import DatasetRecord
from proj_tui.framework.store.sqlite_repro import read_datasets
from proj_tui.framework.store.sqlite_rows import intern_words

OUTPUT_INDEX_DDL = """
CREATE TABLE output_names (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE session_outputs (
    rid INTEGER NOT NULL,
    role TEXT NOT NULL,
    name_id INTEGER NOT NULL,
    PRIMARY KEY (rid, role, name_id)
) WITHOUT ROWID;
CREATE INDEX session_outputs_name ON session_outputs (name_id, role);
CREATE TABLE output_keys (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
);
CREATE TABLE output_values (
    rid INTEGER NOT NULL,
    name_id INTEGER NOT NULL,
    key_id INTEGER NOT NULL,
    num REAL,
    text TEXT,
    PRIMARY KEY (rid, name_id, key_id)
) WITHOUT ROWID;
"""
VALUE_INDEX_DDL = """
CREATE INDEX output_values_key_name_num ON output_values (key_id, name_id, num)
    WHERE num IS NOT NULL;
CREATE INDEX output_values_key_name_text ON output_values (key_id, name_id, text)
    WHERE text IS NOT NULL;
"""
"""The value indexes (schema 6): ``out:model_a.metrics.rmse<1.5`` is one range of (key, name,
value). Schema 5 had them on (key, value) alone, where a key every metrics file has (``rmse``)
made the range hold every name's values, to be filtered by name one row at a time."""
INDEX_TABLES: tuple[str, ...] = ("session_outputs", "output_values")
"""The per-session tables (keyed by ``rid``): a deleted session's rows go with it."""
_MAX_TEXT = 200
"""Text values are cut to this in the index (the content itself is kept whole)."""


def create_index(conn: sqlite3.Connection) -> None:
    """Create the tables (the migration to schema 5, with ``backfill``)."""
    for statement in OUTPUT_INDEX_DDL.split(";"):
        if statement.strip():
            conn.execute(statement)


def create_value_indexes(conn: sqlite3.Connection) -> None:
    """Create the value indexes (the migration to schema 6)."""
    for statement in VALUE_INDEX_DDL.split(";"):
        if statement.strip():
            conn.execute(statement)


def backfill(conn: sqlite3.Connection) -> None:
    """Index the datasets recorded before the index existed (schema 3 and 4 stores): a migration step."""
    rids = [row[0] for row in conn.execute("SELECT DISTINCT rid FROM session_datasets")]
    for rid in rids:
        index_datasets(conn, rid, read_datasets(conn, rid), replace=True)


def index_datasets(
    conn: sqlite3.Connection, rid: int, datasets: Iterable[DatasetRecord], *, replace: bool
) -> None:
    """Add session ``rid``'s recorded datasets to the index (``replace``: instead of its rows),
    in the caller's write transaction, as ``write_datasets`` records them."""
    if replace:
        delete_rows(conn, [rid])
    names: set[tuple[str, str]] = set()
    values: list[tuple[str, str, float | None, str | None]] = []
    for dataset in datasets:
        role = "save" if dataset.role == "save" else "load"
        stem = file_stem(dataset.path)
        names.add((role, dataset.name))
        if stem and stem != dataset.name:
            names.add((role, stem))
        fmt = content_format(dataset.path)
        if role != "save" or dataset.content is None or fmt is None:
            continue
        try:
            leaves = content_leaves(dataset.content, fmt)
        except ContentError:
            continue  # shown as "cannot compare" in a diff; nothing to filter on
        for name in {dataset.name, stem or dataset.name}:  # out:model_a_metrics.rmse too
            values += [(name, key, *_columns(value)) for key, value in leaves.items()]
    if not names:
        return
    name_ids = intern_words(conn, "output_names", "name", {n for _, n in names})
    conn.executemany(
        "INSERT OR IGNORE INTO session_outputs VALUES (?, ?, ?)",
        [(rid, role, name_ids[name]) for role, name in sorted(names)],
    )
    if values:
        key_ids = intern_words(conn, "output_keys", "key", {key for _, key, _, _ in values})
        conn.executemany(
            "INSERT OR REPLACE INTO output_values VALUES (?, ?, ?, ?, ?)",
            [(rid, name_ids[n], key_ids[k], num, text) for n, k, num, text in values],
        )


def delete_rows(conn: sqlite3.Connection, rids: Sequence[int]) -> None:
    """Forget sessions ``rids`` in the index (names and keys stay interned: they are shared)."""
    for table in INDEX_TABLES:
        conn.executemany(f"DELETE FROM {table} WHERE rid = ?", [(rid,) for rid in rids])


def _columns(value: Any) -> tuple[float | None, str | None]:
    """(num, text) as ``session_params`` holds them: booleans and None as text."""
    if isinstance(value, bool):
        return None, "true" if value else "false"
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value), None
    if value is None:
        return None, "null"
    return None, str(value)[:_MAX_TEXT]


def _ids(conn: sqlite3.Connection, table: str, column: str, word: str) -> list[int]:
    """Ids of ``word`` itself and of every interned dotted word ending in ``.word``."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [
        row[0]
        for row in conn.execute(
            f"SELECT id FROM {table} WHERE {column} = ? OR {column} LIKE ? ESCAPE '\\'",
            (word, "%." + escaped),
        )
    ]


def output_condition(
    conn: sqlite3.Connection, term: OutputFilter, alias: str
) -> tuple[str, str, list[Any], bool]:
    """(table, SQL on ``table AS alias``, arguments, whether a session may match twice).

    ``out:NAME``/``in:NAME``: NAME is a recorded dataset name, its last dotted parts, or a file
    stem. ``out:NAME.KEY op value``: every split of the dotted path into a NAME prefix and a KEY
    rest is tried (dataset names have dots too: ``model_a.metrics.rmse``), KEY matching a key in
    the content or its tail. The condition is ``0`` when nothing recorded can match.
    """
    if term.op is None:
        names = _ids(conn, "output_names", "name", term.path)
        if not names:
            return "session_outputs", "0", [], False
        marks = ", ".join("?" * len(names))
        cond = f"{alias}.role = ? AND {alias}.name_id IN ({marks})"
        return "session_outputs", cond, [term.role, *names], len(names) > 1
    parts = term.path.split(".")
    pairs: list[tuple[list[int], list[int]]] = []
    for cut in range(1, len(parts)):
        names = _ids(conn, "output_names", "name", ".".join(parts[:cut]))
        keys = _ids(conn, "output_keys", "key", ".".join(parts[cut:])) if names else []
        if names and keys:
            pairs.append((names, keys))
    if not pairs:
        return "output_values", "0", [], False
    column = f"{alias}.num" if isinstance(term.value, float) else f"{alias}.text"
    negated = term.op == "!="  # a value of the other type (text vs number) differs too
    compare = f"({column} IS NULL OR {column} != ?)" if negated else f"{column} {term.op} ?"
    alternatives, args = [], []
    for names, keys in pairs:
        alternatives.append(
            f"({alias}.key_id IN ({', '.join('?' * len(keys))}) "
            f"AND {alias}.name_id IN ({', '.join('?' * len(names))}))"
        )
        args += [*keys, *names]
    every_key = sorted({key for _, keys in pairs for key in keys})
    several = len(pairs) > 1 or any(len(n) > 1 or len(k) > 1 for n, k in pairs)
    cond = (  # the leading key_id IN lets the (key_id, name_id, num) index drive
        f"{alias}.key_id IN ({', '.join('?' * len(every_key))}) "
        f"AND ({' OR '.join(alternatives)}) AND {compare}"
    )
    return "output_values", cond, [*every_key, *args, term.value], several
