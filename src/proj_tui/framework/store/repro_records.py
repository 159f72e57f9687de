"""What a session records so it can be reproduced: its code as it was and the data it touched.

Plain frozen data, like ``records.py``: the store hands these out, ``framework.code_state`` and
``framework.data_fingerprint`` make them, ``framework.reproduce`` and History's views read them.
Kept apart from ``records.py`` because they belong to one feature (issue 19) and its schema
(version 3, docs/store.md "Code and data as they were").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ROLES: tuple[str, ...] = ("load", "save")
SCHEMES: tuple[str, ...] = ("whole", "sampled-v1", "tree-v1")
"""How a dataset's ``digest`` was made (see ``framework.data_fingerprint``)."""


@dataclass(frozen=True)
class DatasetRecord:
    """One dataset one node loaded or saved, as it was on disk at the end of the run.

    ``digest`` is None when the data could not be hashed (a remote path, a missing file, a
    dataset with no file): ``note`` says why. ``content`` is the text of a small JSON, YAML or
    CSV file (after redaction), for History to show and query; None otherwise.
    """

    node: str
    name: str
    role: str
    type: str | None = None
    path: str | None = None
    version: str | None = None
    size: int | None = None
    mtime: float | None = None
    digest: str | None = None
    scheme: str | None = None
    note: str | None = None
    content: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StoredFile:
    """A file kept with a code state: its path (relative to the repository root) and blob."""

    path: str
    size: int
    blob: str


@dataclass(frozen=True)
class LeftOut:
    """A file a code state does not hold, and why (too big, a credentials file, a secret)."""

    path: str
    reason: str


@dataclass(frozen=True)
class CodeState:
    """The code a session ran: a git commit plus what was not committed, or a tree fingerprint.

    ``kind`` is ``git`` (``commit``, ``branch``, ``dirty``; when dirty, ``patch`` is the blob of
    ``git diff --binary HEAD`` and ``untracked`` the untracked source and config files) or
    ``tree`` (no git: ``fingerprint`` of the source and conf trees, ``files`` counted).
    ``subdir`` is the project's folder inside the repository ("" at its root). What a dirty
    tree's record does not hold is in ``left_out``: its code cannot be rebuilt exactly.
    """

    kind: str
    commit: str | None = None
    branch: str | None = None
    dirty: bool = False
    subdir: str = ""
    patch: str | None = None
    patch_size: int = 0
    untracked: tuple[StoredFile, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    fingerprint: str | None = None
    files: int = 0
    cap: int = 0
    roots: tuple[str, ...] = field(default=())
    """The folders (relative to the project) the untracked files or the fingerprint cover."""

    @property
    def exact(self) -> bool:
        """Whether the record holds everything needed to rebuild the code as it ran."""
        return not self.left_out and (self.kind == "tree" or self.commit is not None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodeState:
        return cls(
            kind=str(data.get("kind") or "git"),
            commit=data.get("commit"),
            branch=data.get("branch"),
            dirty=bool(data.get("dirty")),
            subdir=str(data.get("subdir") or ""),
            patch=data.get("patch"),
            patch_size=int(data.get("patch_size") or 0),
            untracked=tuple(StoredFile(**f) for f in data.get("untracked") or ()),
            left_out=tuple(LeftOut(**f) for f in data.get("left_out") or ()),
            fingerprint=data.get("fingerprint"),
            files=int(data.get("files") or 0),
            cap=int(data.get("cap") or 0),
            roots=tuple(data.get("roots") or ()),
        )
