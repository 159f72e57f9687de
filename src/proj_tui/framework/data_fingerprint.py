"""Fingerprints of the data a session loaded and saved: what ``sessions reproduce`` compares.

Not ``framework.fingerprints``, which hashes a node's *config* (its params, catalog entries and
code) to tell what is stale; this hashes the *bytes on disk*, once per file per run, after the
run, so the per-node path of the runner pays nothing.

Schemes (``DatasetRecord.scheme``), chosen so fingerprinting stays within 5% of a run that
writes the file (``benches/fingerprint.py``):
- ``whole``: BLAKE2b-128 of the whole file, for files up to ``WHOLE_FILE_BYTES`` (8 MiB).
- ``sampled-v1``: for larger files, BLAKE2b-128 of the size and ``SAMPLE_BLOCKS`` (64) blocks of
  ``SAMPLE_BLOCK_BYTES`` (64 KiB) at evenly spaced offsets, the first at 0 and the last ending
  at the end: 4 MiB read whatever the size. A change that leaves the size alone and falls
  between the blocks is missed; the mtime is recorded beside it but not hashed, since a
  reproduction writes the file anew.
- ``tree-v1``: a folder (partitioned data): BLAKE2b-128 over each file's relative path and its
  own digest (by the two schemes above), up to ``MAX_TREE_FILES`` files.
In-memory datasets are not recorded; a dataset without a local file (remote, a database) is
recorded with its type and path but no digest, and a ``note`` saying why.

Small JSON, YAML and CSV files (``CONTENT_BYTES``, 64 KiB) also keep their text, with
secret-looking lines redacted, so History can show and query metrics.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from proj_tui.framework.code_state import blake2b, redact_text
from proj_tui.framework.redact import secret_env_values
from proj_tui.framework.store.repro_records import DatasetRecord

if TYPE_CHECKING:
    from proj_tui.framework.store import SessionStore

__all__ = [
    "CONTENT_BYTES",
    "SAMPLE_BLOCKS",
    "SAMPLE_BLOCK_BYTES",
    "WHOLE_FILE_BYTES",
    "FileFingerprint",
    "Fingerprinter",
    "fingerprint_path",
    "native_location",
    "record_native_datasets",
    "redacted_content",
]

logger = logging.getLogger(__name__)

WHOLE_FILE_BYTES = 8 * 1024 * 1024
SAMPLE_BLOCKS = 64
SAMPLE_BLOCK_BYTES = 64 * 1024
MAX_TREE_FILES = 10_000
CONTENT_BYTES = 64 * 1024
CONTENT_SUFFIXES = frozenset({".json", ".yml", ".yaml", ".csv"})


class FileFingerprint(NamedTuple):
    """What a file (or folder) on disk is now; ``digest`` None with ``note`` when unreadable."""

    size: int | None
    mtime: float | None
    digest: str | None
    scheme: str | None
    note: str | None = None


def _hash_file(path: Path, size: int) -> tuple[str, str]:
    digest = blake2b(16)
    with open(path, "rb") as handle:
        if size <= WHOLE_FILE_BYTES:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
            return digest.hexdigest(), "whole"
        digest.update(size.to_bytes(8, "little"))
        last = size - SAMPLE_BLOCK_BYTES
        for index in range(SAMPLE_BLOCKS):
            handle.seek(last * index // (SAMPLE_BLOCKS - 1))
            digest.update(handle.read(SAMPLE_BLOCK_BYTES))
    return digest.hexdigest(), "sampled-v1"


def fingerprint_path(path: str | os.PathLike[str]) -> FileFingerprint:
    """The fingerprint of a local file or folder as it is now (see the module's schemes)."""
    target = Path(path)
    try:
        stat = target.stat()
        if target.is_dir():
            return _fingerprint_tree(target, stat.st_mtime)
        digest, scheme = _hash_file(target, stat.st_size)
    except FileNotFoundError:
        return FileFingerprint(None, None, None, None, "the file does not exist")
    except OSError as exc:
        return FileFingerprint(None, None, None, None, f"unreadable: {exc.strerror or exc}")
    return FileFingerprint(stat.st_size, stat.st_mtime, digest, scheme)


def _fingerprint_tree(folder: Path, mtime: float) -> FileFingerprint:
    files: list[Path] = []
    for here, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(here) / n for n in names if not n.startswith(".")]
    files.sort()
    digest = blake2b(16)
    total = 0
    for file in files[:MAX_TREE_FILES]:
        size = file.stat().st_size
        total += size
        digest.update(file.relative_to(folder).as_posix().encode("utf-8", "surrogateescape"))
        digest.update(b"\0" + _hash_file(file, size)[0].encode() + b"\n")
    return FileFingerprint(total, mtime, digest.hexdigest(), "tree-v1")


def redacted_content(path: str | os.PathLike[str], size: int | None) -> str | None:
    """The text of a small JSON/YAML/CSV file with secret-looking lines redacted, else None."""
    target = Path(path)
    if size is None or size > CONTENT_BYTES or target.suffix.lower() not in CONTENT_SUFFIXES:
        return None
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return redact_text(text, secret_env_values(os.environ))


class Fingerprinter:
    """Makes ``DatasetRecord`` s, hashing each file once however many nodes touched it."""

    def __init__(self, *, keep_content: bool = True) -> None:
        self._seen: dict[str, tuple[FileFingerprint, str | None]] = {}
        self.keep_content = keep_content

    def record(
        self,
        node: str,
        name: str,
        role: str,
        type_name: str | None,
        path: str | None,
        version: str | None = None,
        *,
        local: bool = True,
        note: str | None = None,
    ) -> DatasetRecord:
        if path is None or not local or note is not None:
            why = note or ("not a local file: not hashed" if path else "no file path: not hashed")
            return DatasetRecord(node, name, role, type_name, path, version, note=why)
        found = self._seen.get(path)
        if found is None:
            fingerprint = fingerprint_path(path)
            content = None
            if self.keep_content and role == "save" and fingerprint.digest is not None:
                content = redacted_content(path, fingerprint.size)
            found = self._seen[path] = (fingerprint, content)
        fp, content = found
        return DatasetRecord(
            node, name, role, type_name, path, version, fp.size, fp.mtime, fp.digest, fp.scheme,
            fp.note, content if role == "save" else None,
        )  # fmt: skip


def native_location(dataset: Any, role: str) -> tuple[str, str | None, str | None, bool] | None:
    """``(type, path, version, local)`` of one of our datasets, or None for an in-memory one."""
    from proj_tui.io import MemoryDataset
    from proj_tui.io.core import LOCAL
    from proj_tui.io.files import FileDataset

    if dataset is None or isinstance(dataset, MemoryDataset):
        return None
    kind = type(dataset)
    type_name = f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(dataset, FileDataset):
        local = dataset._storage is LOCAL
        versioning = dataset._versioning
        version = None
        path: Any = dataset.filepath
        if versioning is not None:
            if role == "save":
                version = versioning.save_version
                path = versioning.path_for(version)
            else:
                try:
                    path = dataset.resolve_load_path()
                    version = path.parent.name
                except Exception:  # the version it read is gone: record the dataset all the same
                    path = dataset.filepath
        return type_name, (str(path) if local else dataset.url), version, local
    filepath = getattr(dataset, "filepath", None) or getattr(dataset, "_filepath", None)
    if filepath is None:
        return type_name, None, None, False
    return type_name, str(filepath), None, "://" not in str(filepath)


def node_datasets(
    nodes: Iterable[Any],
    ran: set[str],
    locate: Callable[[str, str], tuple[str, str | None, str | None, bool] | None],
    fingerprinter: Fingerprinter | None = None,
) -> list[DatasetRecord]:
    """One record per (node that ran, dataset it loaded or saved), parameters and memory left out."""
    fingerprinter = fingerprinter or Fingerprinter()
    located: dict[tuple[str, str], tuple[str, str | None, str | None, bool] | None] = {}
    out: list[DatasetRecord] = []
    for node in nodes:
        if node.name not in ran:
            continue
        for role, names in (("load", node.inputs), ("save", node.outputs)):
            for name in names:
                if name == "parameters" or name.startswith("params:"):
                    continue
                key = (name, role)
                if key not in located:
                    try:
                        located[key] = locate(name, role)
                    except Exception as exc:  # one odd dataset must not lose the others
                        logger.debug("No location for dataset %s", name, exc_info=True)
                        located[key] = ("?", None, None, False)
                        out.append(DatasetRecord(node.name, name, role, note=f"not located: {exc}"))
                        continue
                where = located[key]
                if where is None:
                    continue
                type_name, path, version, local = where
                out.append(
                    fingerprinter.record(
                        node.name, name, role, type_name, path, version, local=local
                    )
                )
    return out


def record_native_datasets(
    store: SessionStore,
    session_id: str,
    nodes: Iterable[Any],
    catalog: Any,
    statuses: Mapping[str, str],
) -> None:
    """Fingerprint the datasets of the nodes that ran (succeeded or failed) and store them.

    Never fails the run: a reproduction without fingerprints says so, the run is the point.
    """
    ran = {name for name, status in statuses.items() if status in ("succeeded", "failed")}
    try:
        records = node_datasets(
            nodes, ran, lambda name, role: native_location(catalog.get(name), role)
        )
        writer = getattr(store, "record_datasets", None)
        if writer is not None and records:
            writer(session_id, records, replace=True)
    except Exception:
        logger.warning("Could not record the datasets of session %s", session_id, exc_info=True)
