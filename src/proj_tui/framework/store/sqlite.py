"""The default session store: one SQLite file per project, safe for one writer and many readers.

Why it is built this way:
- WAL mode lets the app and any number of CLIs read while a running session writes. Writes take
  ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of failing half-way, and a
  "database is locked" that outlives the timeout is retried before it becomes ``StoreLockedError``.
- A damaged file is reported, never reset: the history is the user's record of what ran.
- One connection per store object, guarded by a lock, so a store can be shared between threads;
  after a fork (process runner) the child opens its own instead of reusing the parent's.

This module holds the store's API; the rest of it is split by job: the file on disk
(sqlite_file.py), the connection and its retries (sqlite_connection.py), error messages
(sqlite_errors.py), query planning (sqlite_plan.py), records to rows and back (sqlite_rows.py),
crash reaping (sqlite_reap.py) and process facts (process.py).
"""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from proj_tui.errors import did_you_mean
from proj_tui.framework.store.errors import StoreCorruptError, StoreError
from proj_tui.framework.store.ids import (
    live_session_id,
    new_session_id,
    next_session_id,
    note_issued,
)
from proj_tui.framework.store.process import _hostname, _pid_started, _username
from proj_tui.framework.store.records import (
    FINISHED_STATUSES,
    STATUSES,
    LogLine,
    NodeRun,
    SessionQuery,
    SessionRecord,
    SessionSummary,
)
from proj_tui.framework.store.repro_records import CodeState, DatasetRecord
from proj_tui.framework.store.schema import SCHEMA_VERSION, read_version
from proj_tui.framework.store.sqlite_connection import SQLiteConnection
from proj_tui.framework.store.sqlite_errors import _transient
from proj_tui.framework.store.sqlite_file import default_store_path
from proj_tui.framework.store.sqlite_logs import (
    SESSION_SHIFT,
    SourceIds,
    insert_lines,
    last_key,
    read_lines,
    seq_of,
    session_range,
)
from proj_tui.framework.store.sqlite_outputs import delete_rows as delete_output_rows
from proj_tui.framework.store.sqlite_outputs import index_datasets
from proj_tui.framework.store.sqlite_plan import (
    _ORDER_BY,
    _like,
    _plan,
    _probes,
    param_key_ids,
)
from proj_tui.framework.store.sqlite_reap import (
    HEARTBEAT_STALE_SECONDS,
    _dead_sessions,
    _mark_crashed,
    _present_dead,
    _present_dead_nodes,
    _running_sessions,
)
from proj_tui.framework.store.sqlite_repro import (
    delete_repro_rows,
    read_blob,
    read_code_state,
    read_datasets,
    write_code_state,
    write_datasets,
)
from proj_tui.framework.store.sqlite_rows import (
    _DATA_DEFAULTS,
    _SUMMARY_COLUMNS,
    _clean_text,
    _dumps,
    _flatten_params,
    _merge_data,
    _record,
    _split_fields,
    _summary,
    intern_words,
)

_T = TypeVar("_T")

MAX_INDEXED_PARAMS = 5000
"""Parameter leaves per session that History filters (``model.lr>0.01``) can find."""

_HEAD_SQL = (
    "SELECT rid, status, (SELECT max(l.id) FROM log_lines AS l "
    f"WHERE l.id >= s.rid << {SESSION_SHIFT} AND l.id < (s.rid + 1) << {SESSION_SHIFT}) "
    "FROM sessions AS s WHERE session_id = ?"
)
"""A session's rid, status and last log line key (``record_progress``)."""

_OWNED_BY_STORE = ("session_id", "status", "started_at", "ended_at", "heartbeat_at")


class SQLiteSessionStore(SQLiteConnection):
    """Sessions, node runs and log lines in one SQLite file (see docs/store.md)."""

    def __init__(
        self, path: str | Path, *, readonly: bool = False, busy_timeout: float = 5.0
    ) -> None:
        self._log_sources = SourceIds()
        self._progress_beats: dict[str, float] = {}  # session -> last heartbeat by a flush
        super().__init__(path, readonly=readonly, busy_timeout=busy_timeout)

    @classmethod
    def for_project(cls, project_path: Path, **kwargs: Any) -> SQLiteSessionStore:
        """The store of the project at ``project_path``."""
        return cls(default_store_path(project_path), **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, readonly={self.readonly})"

    def __enter__(self) -> SQLiteSessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing

    def _require(self, conn: sqlite3.Connection, session_id: str) -> tuple[int, str]:
        """``(rid, status)`` of ``session_id``, or a StoreError that suggests a near id."""
        row = conn.execute(
            "SELECT rid, status FROM sessions WHERE session_id = ?", (session_id,)
        ).fetchone()
        if row is None:
            raise self._not_found(conn, session_id)
        return int(row[0]), str(row[1])

    def _not_found(self, conn: sqlite3.Connection, session_id: str) -> StoreError:
        """ "No session" with the ids next to it in sort order as suggestions (cheap at 100k)."""
        after = conn.execute(
            "SELECT session_id FROM sessions WHERE session_id >= ? ORDER BY session_id LIMIT 3",
            (session_id,),
        ).fetchall()
        before = conn.execute(
            "SELECT session_id FROM sessions WHERE session_id < ? ORDER BY session_id DESC LIMIT 3",
            (session_id,),
        ).fetchall()
        candidates = [r[0] for r in after + before]
        prefixed = sorted(c for c in candidates if c.startswith(session_id))
        if prefixed:
            hint = " Did you mean " + " or ".join(repr(c) for c in prefixed) + "?"
        else:
            hint = did_you_mean(session_id, candidates) or " List them with: proj-tui sessions list"
        return StoreError(f"No session '{session_id}' in {self.path}.{hint}")

    def _param_rows(
        self, conn: sqlite3.Connection, rid: int, params: Mapping[str, Any]
    ) -> list[tuple[int, int, float | None, str | None]]:
        """Rows for ``session_params``, interning new key names in ``param_keys``.

        Only the first ``MAX_INDEXED_PARAMS`` leaves are indexed: a 10 MB parameter file made
        38 MB of index rows per session; its values stay in the record all the same.
        """
        flat = _flatten_params(params)[:MAX_INDEXED_PARAMS]
        if not flat:
            return []
        ids = intern_words(conn, "param_keys", "key", (key for key, _, _ in flat))
        return [(rid, ids[key], num, text) for key, num, text in flat]

    # ------------------------------------------------------------------ writer side

    def create_session(self, record: Mapping[str, Any], *, now: float | None = None) -> str:
        """Insert a running session; return its id, unique and sortable (+1 ms while taken)."""
        owned = sorted(set(record) & set(_OWNED_BY_STORE))
        if owned:
            raise StoreError(
                f"create_session() sets {', '.join(owned)} itself: leave it out of the record "
                "(pass now= to choose the start time)."
            )
        started = time.time() if now is None else float(now)
        fields = dict(record)
        for name, default in (("pid", os.getpid), ("host", _hostname), ("user", _username)):
            if fields.get(name) is None:
                fields[name] = default()
        columns, data = _split_fields(fields)
        if fields["host"] == _hostname() and "pid_started" not in data:
            data["pid_started"] = _pid_started(int(fields["pid"]))
        columns.update(status="running", started_at=started, heartbeat_at=started)
        full_data = {**_DATA_DEFAULTS, **data}
        data_json = _dumps(full_data)
        params = full_data.get("params") or {}
        first_id = live_session_id(started) if now is None else new_session_id(started)

        def work(conn: sqlite3.Connection) -> str:
            session_id = first_id
            cursor = conn.execute(
                "SELECT session_id FROM sessions WHERE session_id >= ? ORDER BY session_id",
                (session_id,),
            )
            for (taken,) in cursor:
                if taken != session_id:
                    break
                session_id = next_session_id(session_id)
            cursor.close()
            names = ["session_id", *columns]
            cursor = conn.execute(
                f"INSERT INTO sessions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [session_id, *columns.values()],
            )
            rid = cursor.lastrowid
            assert rid is not None
            # a rid is reused once the newest session is deleted: lines a writer of another
            # version left under it (see schema.LOGS_VIEW) must not become this session's
            conn.execute("DELETE FROM log_lines WHERE id >= ? AND id < ?", session_range(rid))
            conn.execute("INSERT INTO session_data (rid, data) VALUES (?, ?)", (rid, data_json))
            conn.executemany(
                "INSERT INTO session_params VALUES (?, ?, ?, ?)",
                self._param_rows(conn, rid, params),
            )
            return session_id

        session_id: str = self._write(work)
        if now is None:
            note_issued(session_id)
        return session_id

    def update_session(self, session_id: str, **fields: Any) -> None:
        """Merge ``fields`` into the record (top-level keys replace); new params are re-indexed."""
        if "status" in fields and fields["status"] not in STATUSES:
            raise StoreError(_bad_status(fields["status"], STATUSES))
        columns, data = _split_fields(fields)

        def work(conn: sqlite3.Connection) -> None:
            rid, _ = self._require(conn, session_id)
            if columns:
                assignments = ", ".join(f"{name} = ?" for name in columns)
                conn.execute(
                    f"UPDATE sessions SET {assignments} WHERE rid = ?", [*columns.values(), rid]
                )
            if data:
                _merge_data(conn, rid, data)
            if "params" in data:
                conn.execute("DELETE FROM session_params WHERE rid = ?", (rid,))
                conn.executemany(
                    "INSERT INTO session_params VALUES (?, ?, ?, ?)",
                    self._param_rows(conn, rid, data["params"] or {}),
                )

        self._write(work)

    def record_nodes(self, session_id: str, nodes: list[NodeRun]) -> None:
        """Upsert node runs by (session, name); a later event may leave ``started_at`` out.

        Multi-row statements, not executemany, for the reason ``insert_lines`` gives: the
        recorder's thread would give up the GIL and wait to take it back once per node row,
        which cost a Kedro run of 1000 nodes thousands of thread switches
        (``benches/kedro_overhead.py``). Rows of one name keep their order within a statement.
        """
        values = _node_values(session_id, nodes)
        now = time.time()

        def work(conn: sqlite3.Connection) -> None:
            self._touch(conn, session_id, now)
            _upsert_nodes(conn, values)

        self._write(work)

    def record_progress(
        self,
        session_id: str,
        nodes: list[NodeRun],
        lines: Sequence[tuple[float, str, str, str]],
    ) -> None:
        """``record_nodes`` and ``append_logs`` in one transaction: a running session's flush.

        ``lines`` are ``(ts, level, logger, message)`` with ``ts`` set and the message already
        valid UTF-8 (the recorder cleans each line as it logs it). One transaction, not two,
        every flush tick: each statement gives up the GIL and takes it back, which a node's
        thread pays in thread switches (``benches/kedro_overhead.py``). Not part of the
        ``SessionStore`` protocol: the recorder uses it where a store has it.

        Fewer statements than the two writes: the session's row and its last line are one
        query, and the write counts as a heartbeat at most once a second (``heartbeat_at`` is
        judged stale after a minute). 5 statements a flush, not 7: while the run's thread holds
        the GIL, taking it back after each one makes the flusher wait and be woken again by
        every log line the run writes to its console (~30 thread switches a flush).
        """
        values = _node_values(session_id, nodes)
        now = time.time()
        beat = now - self._progress_beats.get(session_id, 0.0) >= 1.0

        def work(conn: sqlite3.Connection) -> dict[tuple[str, str], int]:
            rid, status, last = self._require_with_last_line(conn, session_id, bool(lines))
            if beat and status == "running":
                conn.execute("UPDATE sessions SET heartbeat_at = ? WHERE rid = ?", (now, rid))
            _upsert_nodes(conn, values)
            return insert_lines(conn, rid, lines, self._log_sources, last=last) if lines else {}

        self._log_sources.remember(self._write(work))  # committed: the new source ids are real
        if beat:
            self._progress_beats[session_id] = now

    def _require_with_last_line(
        self, conn: sqlite3.Connection, session_id: str, lines: bool
    ) -> tuple[int, str, int | None]:
        """``_require``'s ``(rid, status)`` and, with ``lines``, the key of the session's last
        log line (None: it has none), in one query."""
        if not lines:
            return (*self._require(conn, session_id), None)
        row = conn.execute(_HEAD_SQL, (session_id,)).fetchone()
        if row is None:
            raise self._not_found(conn, session_id)
        return int(row[0]), str(row[1]), row[2]

    def append_logs(self, session_id: str, lines: list[LogLine]) -> None:
        """Append log lines in order; the store numbers them (``seq``) after the last one."""
        if not lines:
            return
        now = time.time()
        prepared = [
            (line.ts or now, str(line.level), str(line.logger), _clean_text(line.message))
            for line in lines
        ]

        def work(conn: sqlite3.Connection) -> dict[tuple[str, str], int]:
            rid = self._touch(conn, session_id, now)
            return insert_lines(conn, rid, prepared, self._log_sources)

        self._log_sources.remember(self._write(work))  # committed: the new source ids are real

    def _touch(self, conn: sqlite3.Connection, session_id: str, now: float) -> int:
        """Check the session exists (its rid), and count the write as a heartbeat while it runs."""
        rid, status = self._require(conn, session_id)
        if status == "running":
            conn.execute("UPDATE sessions SET heartbeat_at = ? WHERE rid = ?", (now, rid))
        return rid

    def heartbeat(self, session_id: str) -> None:
        """Say the process is alive; revives a session wrongly reaped (e.g. after a suspend)."""
        now = time.time()

        def work(conn: sqlite3.Connection) -> None:
            rid, _ = self._require(conn, session_id)
            conn.execute(
                "UPDATE sessions SET heartbeat_at = ?, status = 'running', ended_at = NULL "
                "WHERE rid = ? AND (status = 'running' OR "
                "(status = 'crashed' AND pid = ? AND host = ?))",
                (now, rid, os.getpid(), _hostname()),
            )

        self._write(work)

    def finish_session(
        self,
        session_id: str,
        status: str,
        *,
        error: dict[str, Any] | None = None,
        ended_at: float | None = None,
    ) -> None:
        """Record the outcome; ``succeeded`` clears an error left by an earlier failed attempt."""
        if status not in FINISHED_STATUSES:
            raise StoreError(_bad_status(status, FINISHED_STATUSES))
        end = time.time() if ended_at is None else float(ended_at)

        def work(conn: sqlite3.Connection) -> None:
            rid, _ = self._require(conn, session_id)
            conn.execute(
                "UPDATE sessions SET status = ?, ended_at = ?, heartbeat_at = ? WHERE rid = ?",
                (status, end, end, rid),
            )
            if error is not None or status == "succeeded":
                _merge_data(conn, rid, {"error": error})

        self._write(work)

    def set_note(self, session_id: str, note: str | None) -> None:
        """Attach a free-text note (None or "" removes it)."""
        self._set_column(session_id, "note", note or None)

    def set_pinned(self, session_id: str, pinned: bool) -> None:
        """Pin a session so it is easy to find again (``is:pinned``)."""
        self._set_column(session_id, "pinned", int(bool(pinned)))

    def _set_column(self, session_id: str, column: str, value: Any) -> None:
        def work(conn: sqlite3.Connection) -> None:
            rid, _ = self._require(conn, session_id)
            conn.execute(f"UPDATE sessions SET {column} = ? WHERE rid = ?", (value, rid))

        self._write(work)

    def delete_sessions(self, session_ids: list[str]) -> int:
        """Delete sessions with their data, params, nodes and logs; returns how many existed."""
        unique = list(dict.fromkeys(session_ids))

        def work(conn: sqlite3.Connection) -> int:
            found = []
            for session_id in unique:
                row = conn.execute(
                    "SELECT rid FROM sessions WHERE session_id = ?", (session_id,)
                ).fetchone()
                if row is not None:
                    found.append((row[0], session_id))
            rids = [(rid,) for rid, _ in found]
            ids = [(sid,) for _, sid in found]
            for table in ("sessions", "session_data", "session_params"):
                conn.executemany(f"DELETE FROM {table} WHERE rid = ?", rids)
            conn.executemany("DELETE FROM nodes WHERE session_id = ?", ids)
            conn.executemany(
                "DELETE FROM log_lines WHERE id >= ? AND id < ?",
                [session_range(rid) for rid, _ in found],
            )
            delete_repro_rows(conn, [rid for rid, _ in found])
            delete_output_rows(conn, [rid for rid, _ in found])
            return len(found)

        return self._write(work) if unique else 0

    # ------------------------------------------------------------------ code and data (schema 3)

    def record_code_state(
        self, session_id: str, state: CodeState, blobs: Mapping[str, bytes]
    ) -> None:
        """Set the session's code state; ``blobs`` (SHA-256 hex -> bytes) are stored once each."""

        def work(conn: sqlite3.Connection) -> None:
            rid, _ = self._require(conn, session_id)
            write_code_state(conn, rid, state, blobs)

        self._write(work)

    def record_datasets(
        self, session_id: str, datasets: list[DatasetRecord], *, replace: bool = False
    ) -> None:
        """Append the session's dataset fingerprints (``replace``: instead of what it has)."""

        def work(conn: sqlite3.Connection) -> None:
            rid, _ = self._require(conn, session_id)
            write_datasets(conn, rid, datasets, replace=replace)
            index_datasets(conn, rid, datasets, replace=replace)  # for out:/in: filters

        self._write(work)

    def code_state(self, session_id: str) -> CodeState | None:
        """The code the session ran, or None if it recorded none (older proj-tui, schema < 3)."""

        def work(conn: sqlite3.Connection) -> CodeState | None:
            rid, _ = self._require(conn, session_id)
            return None if self._schema < 3 else read_code_state(conn, rid)

        return self._read_current(work)

    def datasets(self, session_id: str) -> list[DatasetRecord]:
        """Every dataset the session's nodes loaded or saved, in the order recorded."""

        def work(conn: sqlite3.Connection) -> list[DatasetRecord]:
            rid, _ = self._require(conn, session_id)
            return [] if self._schema < 3 else read_datasets(conn, rid)

        return self._read_current(work)

    def blob(self, digest: str) -> bytes | None:
        """A stored patch, untracked file or output content by its SHA-256, or None."""
        return self._read_current(
            lambda conn: None if self._schema < 3 else read_blob(conn, digest)
        )

    def vacuum(self) -> None:
        """Give the pages of deleted sessions back to the file system (rewrites the file)."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc

    # ------------------------------------------------------------------ reader side

    def list_sessions(
        self, query: SessionQuery | None = None, *, limit: int = 100, offset: int = 0
    ) -> list[SessionSummary]:
        """Sessions matching ``query``, newest first unless ``query.sort`` says otherwise."""
        dead = self._reap_if_writable()
        query = query or SessionQuery()

        def work(conn: sqlite3.Connection) -> list[Any]:
            source, where, args = _plan(
                conn, query, counting=False, logs_v1=self._schema < 2, outputs=self._schema >= 5
            )
            sql = (
                f"SELECT {_SUMMARY_COLUMNS} FROM {source}{where} "
                f"ORDER BY {_ORDER_BY[query.sort]} LIMIT ? OFFSET ?"
            )
            return conn.execute(sql, [*args, limit, offset]).fetchall()

        summaries = [_summary(row) for row in self._read_current(work)]
        return _present_dead(summaries, dead, record=False) if dead else summaries

    def count_sessions(self, query: SessionQuery | None = None) -> int:
        """How many sessions match ``query`` (for a pager's "1-100 of 97 312")."""
        query = query or SessionQuery()

        def work(conn: sqlite3.Connection) -> int:
            alone = SessionQuery(params=query.params, outputs=query.outputs, sort=query.sort)
            if (
                len(query.params) + len(query.outputs) == 1
                and query == alone
                and (self._schema >= 5 or not query.outputs)
            ):
                # one parameter or out:/in: filter and nothing else: count its index range
                (probe,) = _probes(conn, query)
                if not probe.negated:
                    counted = "DISTINCT p.rid" if probe.several else "*"
                    sql = f"SELECT count({counted}) FROM {probe.table} AS p WHERE {probe.cond}"
                    return int(conn.execute(sql, probe.args).fetchone()[0])
            source, where, args = _plan(
                conn, query, counting=True, logs_v1=self._schema < 2, outputs=self._schema >= 5
            )
            return int(conn.execute(f"SELECT count(*) FROM {source}{where}", args).fetchone()[0])

        return self._read_current(work)

    def has_param_key(self, key: str) -> bool:
        """Whether some session recorded a parameter that ``key`` names (its dotted name or its
        tail), as a query's comparison finds them: ``empty_result_hints`` asks."""
        return self._read_current(lambda conn: bool(param_key_ids(conn, key)))

    def get_session(self, session_id: str) -> SessionRecord:
        """The full record; a StoreError with "did you mean" if there is no such session."""
        dead = self._reap_if_writable()

        def work(conn: sqlite3.Connection) -> SessionRecord:
            row = conn.execute(
                "SELECT s.session_id, s.status, s.started_at, s.ended_at, s.project_path, "
                "s.package_name, s.env, s.pipeline, s.user, s.host, s.pid, s.heartbeat_at, "
                "s.parent_id, s.note, s.pinned, s.runtime_params, d.data FROM sessions AS s "
                "LEFT JOIN session_data AS d ON d.rid = s.rid WHERE s.session_id = ?",
                (session_id,),
            ).fetchone()
            if row is None:
                raise self._not_found(conn, session_id)
            return _record(row)

        record = self._read(work)
        return _present_dead([record], dead, record=True)[0] if dead else record

    def nodes(self, session_id: str) -> list[NodeRun]:
        """The session's node runs in the order they started (a dead session's as reaped)."""
        dead = self._reap_if_writable()
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT name, status, started_at, ended_at, error FROM nodes WHERE session_id = ? "
                "ORDER BY started_at IS NULL, started_at, name",
                (session_id,),
            ).fetchall()
        )
        runs = [NodeRun(*row) for row in rows]
        return _present_dead_nodes(runs, dead[session_id]) if session_id in dead else runs

    def logs(
        self,
        session_id: str,
        *,
        after: int = 0,
        limit: int | None = None,
        text: str | None = None,
    ) -> list[LogLine]:
        """Log lines with ``seq > after`` in order; ``text`` keeps lines containing it (any case)."""
        like = _like(text) if text else None

        def work(conn: sqlite3.Connection) -> list[LogLine]:
            if self._schema < 2:
                return _logs_v1(conn, session_id, after, limit, like)
            row = conn.execute(
                "SELECT rid FROM sessions WHERE session_id = ?", (session_id,)
            ).fetchone()
            if row is None:
                return []
            return read_lines(conn, int(row[0]), after=after, limit=limit, like=like, text=text)

        return self._read_current(work)

    def last_log_seq(self, session_id: str) -> int | None:
        """The ``seq`` of the session's last stored log line (None: none yet, or no session)."""

        def work(conn: sqlite3.Connection) -> int | None:
            if self._schema < 2:
                lines = _logs_v1(conn, session_id, 0, None, None)
                return lines[-1].seq if lines else None
            row = conn.execute(
                "SELECT rid FROM sessions WHERE session_id = ?", (session_id,)
            ).fetchone()
            key = None if row is None else last_key(conn, int(row[0]))
            return None if key is None else seq_of(key)

        return self._read_current(work)

    def log_tail(self, session_id: str, count: int) -> list[LogLine]:
        """The last ``count`` log lines of a session, in order (what a crash record continues)."""
        last = self.last_log_seq(session_id) if count > 0 else None
        if last is None:
            return []
        return self.logs(session_id, after=max(last - count, 0))

    def _read_current(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """``_read`` for work that depends on the log layout, knowing the file's layout.

        Only a read-only store can be of an older schema, and another process may migrate it at
        any moment: its version is then read again, in one snapshot with the work.
        """

        def run(conn: sqlite3.Connection) -> _T:
            if self._schema >= SCHEMA_VERSION:
                return work(conn)
            conn.execute("BEGIN")
            try:
                self._schema = read_version(conn, self.path)
                return work(conn)
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

        return self._read(run)

    def export(self, session_id: str) -> dict[str, Any]:
        """The record with its nodes and logs as JSON-ready data (``sessions show --json``)."""
        from proj_tui.framework.store.protocol import export_session

        return export_session(self, session_id)

    def change_token(self) -> int:
        """A number that changes whenever any process (this one included) commits a write."""
        with self._lock:
            conn = self._connection()
            try:
                version = conn.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc
            if version != self._data_version:
                self._data_version = version
                self._token += 1
            return self._token

    # ------------------------------------------------------------------ crash detection

    def _reap_if_writable(self) -> dict[str, float]:
        """Reap before a read, but never let reaping keep a reader from its answer.

        Returns the dead sessions this reader could not mark (id -> last beat): a read-only
        store, or a write that failed. The caller shows them crashed all the same.
        """
        if self.readonly:
            return self._dead()
        try:
            self.reap_crashed()
        except StoreCorruptError as exc:
            if not (_transient(exc) and self._just_created()):
                raise
            _logger().debug("Store %s is still settling; reaping skipped: %s", self.path, exc)
        except StoreError as exc:  # e.g. a file this user may read but not write
            _logger().debug("Could not mark crashed sessions in %s: %s", self.path, exc)
            return self._dead()
        return {}

    def _dead(self) -> dict[str, float]:
        running = self._read(_running_sessions)
        if not running:
            return {}
        dead = _dead_sessions(
            running, now=time.time(), here=_hostname(), stale_after=HEARTBEAT_STALE_SECONDS
        )
        return {session_id: last for _, session_id, last in dead}

    def reap_crashed(self, *, stale_after: float = HEARTBEAT_STALE_SECONDS) -> list[str]:
        """Mark running sessions whose process is gone (this host) or heartbeat is stale crashed.

        Only ``status = 'running'`` rows are read (through the status index), so this is cheap
        enough to run before every list. ``ended_at`` becomes the last heartbeat: the last moment
        the session was known alive. A read-only store reaps nothing.
        """
        if self.readonly:
            return []
        now = time.time()
        here = _hostname()
        running = self._read(_running_sessions)
        if not running:
            return []
        dead = _dead_sessions(running, now=now, here=here, stale_after=stale_after)
        if not dead:
            return []
        return self._write(lambda conn: _mark_crashed(conn, dead))


# ---------------------------------------------------------------------- helpers


def _logger() -> Any:
    import logging  # only on this rare path: keeps the import cost of the store down

    return logging.getLogger(__name__)


def _logs_v1(
    conn: sqlite3.Connection, session_id: str, after: int, limit: int | None, like: str | None
) -> list[LogLine]:
    """Log lines of a schema-1 store, read where it keeps them: a read-only store is not migrated."""
    sql = "SELECT seq, ts, level, logger, message FROM logs WHERE session_id = ? AND seq > ?"
    args: list[Any] = [session_id, after]
    if like is not None:
        sql += " AND message LIKE ? ESCAPE '\\'"
        args.append(like)
    sql += " ORDER BY seq LIMIT ?"
    args.append(-1 if limit is None else limit)
    return [LogLine(*row) for row in conn.execute(sql, args)]


def _bad_status(status: object, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    hint = did_you_mean(str(status), allowed)
    return f"Unknown session status {status!r}. Use one of {', '.join(allowed)}.{hint}"


_NODE_ROWS_PER_UPSERT = 500
"""Node rows per upsert statement: 3,000 parameters, well under SQLite's 32,766."""


def _node_values(session_id: str, nodes: Iterable[NodeRun]) -> list[Any]:
    values: list[Any] = []
    for n in nodes:
        values.extend((session_id, n.name, n.status, n.started_at, n.ended_at, n.error))
    return values


def _upsert_nodes(conn: sqlite3.Connection, values: list[Any]) -> None:
    """Node rows (``_node_values``) in multi-row upserts, in order."""
    width = _NODE_ROWS_PER_UPSERT * 6
    for first in range(0, len(values), width):
        chunk = values[first : first + width]
        conn.execute(_node_upsert_sql(len(chunk) // 6), chunk)


@functools.lru_cache(maxsize=16)
def _node_upsert_sql(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * rows)
    return (
        "INSERT INTO nodes (session_id, name, status, started_at, ended_at, error) "
        f"VALUES {values} ON CONFLICT (session_id, name) DO UPDATE SET "
        "status = excluded.status, "
        "started_at = coalesce(excluded.started_at, nodes.started_at), "
        "ended_at = excluded.ended_at, error = excluded.error"
    )
