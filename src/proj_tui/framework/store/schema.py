"""The database layout and its forward migrations.

``MIGRATIONS[i]`` takes a database from schema version ``i`` to ``i + 1`` inside one write
transaction, so an old store is upgraded in place the first time a newer proj-tui writes it, and a
store from a newer proj-tui is refused (``StoreVersionError``) rather than misread.

Layout, and why:
- ``sessions`` holds one slim row per session with the columns lists sort and filter on, so a scan
  of 100k rows stays small. ``rid`` (an integer alias of the rowid) is what the other session tables
  refer to: every index on ``sessions`` already carries it, so a filter can be checked without
  reading the row. ``runtime_params`` (compact JSON) lives here because lists show the overrides.
  ``search`` is a stored generated column joining what free text matches (id, pipeline, env, user,
  note, commit, runtime params), so a text filter is one LIKE per row, kept right by SQLite itself.
- ``session_data`` holds the bulky rest as one JSON document (params, cli, env vars, versions, git,
  error), read only when one session is opened.
- ``session_params`` holds the scalar leaves of the merged params (``model.lr`` -> 0.01), with key
  names interned in ``param_keys``, so ``model.lr>0.01`` is a range on a small partial index.
- ``nodes`` is keyed by (session id, name), clustered WITHOUT ROWID so one session's rows sit
  together on disk.
- Log lines (schema 2) live in ``log_lines`` keyed by (session rid, seq, part) packed in one integer,
  levels and loggers interned in ``log_sources``: see sqlite_logs.py for why. Schema 1 kept them in
  a WITHOUT ROWID ``logs`` table keyed by (session id, seq), where a line over ~1 KB took a 4 KB
  overflow page of its own; ``_v1_to_v2`` moves them over.
- Schema 3 adds what reproducing a session needs (issue 19): ``session_code`` (the code state),
  ``session_datasets`` (per-node dataset fingerprints) and ``blobs`` (patches, untracked files and
  small outputs, stored once by hash; ``session_blobs`` ties them to sessions): see
  sqlite_repro.py. ``_v2_to_v3`` only creates tables, so older proj-tui readers are unaffected.
- The run queue (schema 4) is the ``queue`` table: one row per queued run request (its argv-level
  request as JSON, the sweep it belongs to and the swept values), ordered by ``position`` among the
  ``queued`` ones, with the session it became once it runs; the worker's concurrency limit is a
  ``meta`` key. ``sessions.sweep_id`` (indexed where set) lets History find a sweep's sessions
  (``sweep:ID``) without reading their documents. See framework/store/sqlite_queue.py.
- Schema 5 adds the index of dataset names and small outputs' values that ``out:``/``in:``
  filter on (sqlite_outputs.py); schema 6 keys its value indexes on (key, name, value).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from proj_tui.framework.store.errors import StoreCorruptError
from proj_tui.framework.store.sqlite_logs import migrate_v1_logs
from proj_tui.framework.store.sqlite_outputs import (
    backfill,
    create_index,
    create_value_indexes,
)
from proj_tui.framework.store.sqlite_repro import create_v3_tables

_V1 = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sessions (
    rid INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL UNIQUE,
    started_at REAL NOT NULL,
    ended_at REAL,
    status TEXT NOT NULL,
    env TEXT,
    pipeline TEXT,
    user TEXT,
    host TEXT,
    pid INTEGER,
    heartbeat_at REAL,
    git_commit TEXT,
    git_dirty INTEGER,
    parent_id TEXT,
    note TEXT,
    pinned INTEGER NOT NULL DEFAULT 0,
    package_name TEXT,
    project_path TEXT,
    runtime_params TEXT NOT NULL DEFAULT '{}',
    search TEXT GENERATED ALWAYS AS (
        session_id || char(31) || coalesce(pipeline, '') || char(31) || coalesce(env, '')
        || char(31) || coalesce(user, '') || char(31) || coalesce(note, '') || char(31)
        || coalesce(git_commit, '') || char(31) || runtime_params
    ) STORED
);
CREATE INDEX sessions_started ON sessions (started_at);
CREATE INDEX sessions_env_started ON sessions (env, started_at);
CREATE INDEX sessions_status_started ON sessions (status, started_at);
CREATE INDEX sessions_pipeline_started ON sessions (pipeline, started_at);
CREATE INDEX sessions_user_started ON sessions (user, started_at);
CREATE INDEX sessions_duration ON sessions ((ended_at - started_at));
CREATE INDEX sessions_pinned ON sessions (started_at) WHERE pinned = 1;

CREATE TABLE session_data (
    rid INTEGER PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE param_keys (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
);

CREATE TABLE session_params (
    rid INTEGER NOT NULL,
    key_id INTEGER NOT NULL,
    num REAL,
    text TEXT,
    PRIMARY KEY (rid, key_id)
) WITHOUT ROWID;
CREATE INDEX session_params_num ON session_params (key_id, num) WHERE num IS NOT NULL;
CREATE INDEX session_params_text ON session_params (key_id, text) WHERE text IS NOT NULL;

CREATE TABLE nodes (
    session_id TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at REAL,
    ended_at REAL,
    error TEXT,
    PRIMARY KEY (session_id, name)
) WITHOUT ROWID;

CREATE TABLE logs (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ts REAL NOT NULL,
    level TEXT NOT NULL,
    logger TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
"""


def _v0_to_v1(conn: sqlite3.Connection) -> None:
    """Create the first layout in an empty database."""
    for statement in _V1.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Log lines from the ``logs`` table into ``log_lines`` (split into parts, sources interned)."""
    migrate_v1_logs(conn)


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """Tables for code states, dataset fingerprints and their blobs (sqlite_repro.py)."""
    create_v3_tables(conn)


_V4 = """
CREATE TABLE queue (
    id INTEGER PRIMARY KEY,
    position REAL NOT NULL,
    state TEXT NOT NULL,
    request TEXT NOT NULL,
    sweep_id TEXT,
    sweep_values TEXT,
    queued_by TEXT,
    queued_at REAL NOT NULL,
    pid INTEGER,
    started_at REAL,
    session_id TEXT,
    ended_at REAL,
    outcome TEXT,
    error TEXT
);
CREATE INDEX queue_waiting ON queue (position) WHERE state = 'queued';
ALTER TABLE sessions ADD COLUMN sweep_id TEXT;
CREATE INDEX sessions_sweep ON sessions (sweep_id, started_at) WHERE sweep_id IS NOT NULL
"""


def _v3_to_v4(conn: sqlite3.Connection) -> None:
    """The run queue and the sessions' sweep id (both empty in an older store)."""
    for statement in _V4.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v4_to_v5(conn: sqlite3.Connection) -> None:
    """The index of dataset names and small outputs' values that ``out:``/``in:`` filter on
    (sqlite_outputs.py), filled from the datasets recorded since schema 3."""
    create_index(conn)
    backfill(conn)


def _v5_to_v6(conn: sqlite3.Connection) -> None:
    """The ``out:NAME.KEY op value`` indexes on (key, name, value) instead of (key, value)
    (sqlite_outputs.py ``VALUE_INDEX_DDL``): a key like ``rmse`` is in every metrics file, so the
    old index read them all to keep one name's."""
    conn.execute("DROP INDEX IF EXISTS output_values_num")
    conn.execute("DROP INDEX IF EXISTS output_values_text")
    create_value_indexes(conn)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v0_to_v1,
    _v1_to_v2,
    _v2_to_v3,
    _v3_to_v4,
    _v4_to_v5,
    _v5_to_v6,
]
OLDEST_READABLE = 1
"""A read-only store (which cannot be migrated) of this schema or newer is still read, as it is."""
SCHEMA_VERSION = len(MIGRATIONS)


def read_version(conn: sqlite3.Connection, path: Path | None = None) -> int:
    """The schema version stored in ``meta`` (0 for an empty database); ``path`` names it in errors."""
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if has_meta is None:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        return 0
    try:
        return int(row[0])
    except (TypeError, ValueError):
        raise StoreCorruptError(
            f"The session store {path or ''} has schema version {row[0]!r}, not a number, so the file was "
            "not written by proj-tui or has been edited. Move it aside (proj-tui starts a new "
            "store) or restore it from a backup."
        ) from None


def migrate(
    conn: sqlite3.Connection,
    current: int,
    migrations: list[Callable[[sqlite3.Connection], None]] | None = None,
) -> None:
    """Apply every migration after ``current``; the caller holds a write transaction."""
    steps = MIGRATIONS if migrations is None else migrations
    for step in steps[current:]:
        step(conn)
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(len(steps)),),
    )
