"""The SQLite tables of schema 3: code states, dataset fingerprints and the blobs they share.

- ``blobs`` holds file contents (patches, untracked files, small outputs) once each, keyed by
  their SHA-256, zlib-compressed: the same patch recorded by 50 runs of a dirty tree, or a
  metrics file that did not change, is stored once.
- ``session_blobs`` says which session uses which blob, so deleting sessions deletes the blobs
  nobody uses any more.
- ``session_code`` is one JSON document per session (``CodeState.to_dict``).
- ``session_datasets`` has one row per (node, dataset, role), in the order recorded.

Functions here take an open connection inside the store's transaction (see ``sqlite.py``).
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Mapping

from proj_tui.framework.store.repro_records import CodeState, DatasetRecord

V3_TABLES = """
CREATE TABLE blobs (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE session_blobs (
    rid INTEGER NOT NULL,
    blob_id INTEGER NOT NULL,
    PRIMARY KEY (rid, blob_id)
) WITHOUT ROWID;
CREATE INDEX session_blobs_blob ON session_blobs (blob_id);
CREATE TABLE session_code (
    rid INTEGER PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE session_datasets (
    rid INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    node TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    type TEXT,
    path TEXT,
    version TEXT,
    size INTEGER,
    mtime REAL,
    digest TEXT,
    scheme TEXT,
    note TEXT,
    content_id INTEGER,
    PRIMARY KEY (rid, seq)
) WITHOUT ROWID;
CREATE INDEX session_datasets_name ON session_datasets (name, role);
"""


def create_v3_tables(conn: sqlite3.Connection) -> None:
    """The migration from schema 2 to 3: new tables only, nothing existing is touched."""
    for statement in V3_TABLES.split(";"):
        if statement.strip():
            conn.execute(statement)


def blob_digest(data: bytes) -> str:
    """The key of a blob: SHA-256 of its bytes, hex."""
    import hashlib  # deferred: ~4 ms of OpenSSL start-up that a run with no blob never pays

    return hashlib.sha256(data).hexdigest()


def put_blobs(conn: sqlite3.Connection, rid: int, blobs: Mapping[str, bytes]) -> dict[str, int]:
    """Store ``blobs`` (digest -> bytes) once each and tie them to session ``rid``; digest -> id."""
    ids: dict[str, int] = {}
    for digest, data in blobs.items():
        row = conn.execute("SELECT id FROM blobs WHERE digest = ?", (digest,)).fetchone()
        if row is None:
            cursor = conn.execute(
                "INSERT INTO blobs (digest, size, data) VALUES (?, ?, ?)",
                (digest, len(data), zlib.compress(data, 6)),
            )
            assert cursor.lastrowid is not None
            ids[digest] = int(cursor.lastrowid)
        else:
            ids[digest] = int(row[0])
        conn.execute(
            "INSERT OR IGNORE INTO session_blobs (rid, blob_id) VALUES (?, ?)", (rid, ids[digest])
        )
    return ids


def read_blob(conn: sqlite3.Connection, digest: str) -> bytes | None:
    row = conn.execute("SELECT data FROM blobs WHERE digest = ?", (digest,)).fetchone()
    return None if row is None else zlib.decompress(row[0])


def write_code_state(
    conn: sqlite3.Connection, rid: int, state: CodeState, blobs: Mapping[str, bytes]
) -> None:
    put_blobs(conn, rid, blobs)
    conn.execute(
        "INSERT OR REPLACE INTO session_code (rid, data) VALUES (?, ?)",
        (rid, json.dumps(state.to_dict(), separators=(",", ":"))),
    )


def read_code_state(conn: sqlite3.Connection, rid: int) -> CodeState | None:
    row = conn.execute("SELECT data FROM session_code WHERE rid = ?", (rid,)).fetchone()
    return None if row is None else CodeState.from_dict(json.loads(row[0]))


def write_datasets(
    conn: sqlite3.Connection, rid: int, datasets: Iterable[DatasetRecord], *, replace: bool
) -> None:
    """Append (or with ``replace``, set) the session's dataset rows; contents go to ``blobs``."""
    if replace:
        conn.execute("DELETE FROM session_datasets WHERE rid = ?", (rid,))
    row = conn.execute("SELECT max(seq) FROM session_datasets WHERE rid = ?", (rid,)).fetchone()
    seq = int(row[0]) + 1 if row and row[0] is not None else 0
    rows = []
    for ds in datasets:
        content_id = None
        if ds.content is not None:
            data = ds.content.encode("utf-8", "replace")
            digest = blob_digest(data)
            content_id = put_blobs(conn, rid, {digest: data})[digest]
        rows.append(
            (
                rid, seq, ds.node, ds.name, ds.role, ds.type, ds.path, ds.version, ds.size,
                ds.mtime, ds.digest, ds.scheme, ds.note, content_id,
            )
        )  # fmt: skip
        seq += 1
    conn.executemany(
        "INSERT INTO session_datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )


_DATASET_COLUMNS = (
    "node",
    "name",
    "role",
    "type",
    "path",
    "version",
    "size",
    "mtime",
    "digest",
    "scheme",
    "note",
)
"""``session_datasets``' columns that are DatasetRecord fields of the same name."""


def read_datasets(conn: sqlite3.Connection, rid: int) -> list[DatasetRecord]:
    columns = ", ".join(f"d.{name}" for name in _DATASET_COLUMNS)
    rows = conn.execute(
        f"SELECT {columns}, b.data FROM session_datasets AS d "
        "LEFT JOIN blobs AS b ON b.id = d.content_id WHERE d.rid = ? ORDER BY d.seq",
        (rid,),
    ).fetchall()
    return [
        DatasetRecord(
            **dict(zip(_DATASET_COLUMNS, row[:-1], strict=True)),
            content=None if row[-1] is None else zlib.decompress(row[-1]).decode(),
        )
        for row in rows
    ]


def delete_repro_rows(conn: sqlite3.Connection, rids: list[int]) -> None:
    """Drop the sessions' code states, datasets and blob links, then blobs nobody uses."""
    for table in ("session_code", "session_datasets"):
        conn.executemany(f"DELETE FROM {table} WHERE rid = ?", [(r,) for r in rids])
    blob_ids: set[int] = set()
    for rid in rids:
        blob_ids.update(
            int(b)
            for (b,) in conn.execute("SELECT blob_id FROM session_blobs WHERE rid = ?", (rid,))
        )
    conn.executemany("DELETE FROM session_blobs WHERE rid = ?", [(r,) for r in rids])
    for blob_id in blob_ids:
        used = conn.execute(
            "SELECT 1 FROM session_blobs WHERE blob_id = ? LIMIT 1", (blob_id,)
        ).fetchone()
        if used is None:
            conn.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))
