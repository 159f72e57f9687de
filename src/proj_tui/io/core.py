"""The dataset base class, atomic writes and the versioning rules every file dataset shares.

Kept free of third-party imports: ``proj-tui run`` imports this on every start.
"""

from __future__ import annotations

import contextlib
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path, PurePath
from typing import IO, Any, NamedTuple

from proj_tui.errors import Location
from proj_tui.io.errors import DatasetError, VersionNotFoundError

logger = logging.getLogger("proj_tui.io")

NOT_FOUND_HINT = "Check the filepath in catalog.yml, or run the node that produces it."


class Version(NamedTuple):
    """Which version to load (None: the newest) and which to save (None: one made up once)."""

    load: str | None
    save: str | None


def generate_version() -> str:
    """A sortable, file-system safe UTC timestamp, the same shape as a session id."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H.%M.%S.") + f"{now.microsecond // 1000:03d}Z"


def _check_version(version: str, what: str) -> str:
    """Refuse versions that would escape the dataset's folder, since they become a path part."""
    if not version or version in {".", ".."} or "/" in version or os.sep in version:
        raise DatasetError(
            f"The {what} version {version!r} is not usable as a folder name. "
            "Use a plain string such as a session id ('2026-11-24T19.04.33.496Z')."
        )
    return version


class AbstractDataset(ABC):
    """One named piece of data: subclasses implement ``_load``/``_save``/``_describe``.

    The public methods wrap any failure in a ``DatasetError`` that names the dataset, the
    underlying problem and a fix, so a runner can report it without knowing the dataset type.
    """

    is_persisted: bool = True
    metadata: dict[str, Any] | None = None  # free-form, for plugins and the app; never used here

    def load(self) -> Any:
        """Return the data, or raise ``DatasetError`` explaining why it cannot be read."""
        try:
            return self._load()
        except DatasetError:
            raise
        except Exception as exc:
            raise self._wrap("load", exc) from exc

    def save(self, data: Any) -> None:
        """Store ``data``; ``None`` is refused because it almost always means a missing return."""
        if data is None:
            raise DatasetError(
                f"Saving None to {self._label()} is not allowed. "
                "Check that the node producing it returns a value."
            )
        try:
            self._save(data)
        except DatasetError:
            raise
        except Exception as exc:
            raise self._wrap("save", exc) from exc

    def exists(self) -> bool:
        """Whether there is data to load (a versioned dataset: any version, or the pinned one)."""
        try:
            return self._exists()
        except DatasetError:
            raise
        except Exception as exc:
            raise self._wrap("check existence of", exc) from exc

    def release(self) -> None:
        """Drop anything cached in memory; the stored data stays."""
        try:
            self._release()
        except DatasetError:
            raise
        except Exception as exc:
            raise self._wrap("release", exc) from exc

    def describe(self) -> dict[str, Any]:
        """The settings that identify this dataset (never credentials)."""
        return self._describe()

    def _label(self) -> str:
        """How error messages name this dataset: short, but enough to find it."""
        return repr(self)

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={v!r}" for k, v in self._describe().items() if v is not None)
        return f"{type(self).__name__}({parts})"

    @abstractmethod
    def _load(self) -> Any: ...

    @abstractmethod
    def _save(self, data: Any) -> None: ...

    @abstractmethod
    def _describe(self) -> dict[str, Any]: ...

    def _exists(self) -> bool:
        return False

    def _release(self) -> None:
        return None

    def _explain(self, action: str, exc: Exception) -> tuple[str, str, Location | None]:
        """Turn an exception into (problem, hint, location); subclasses add their formats."""
        filename = getattr(exc, "filename", None)
        if isinstance(exc, FileNotFoundError):
            return f"file not found: {filename}", NOT_FOUND_HINT, None
        if isinstance(exc, IsADirectoryError):
            return (
                f"{filename} is a folder, not a file",
                "Point filepath at a file; a folder of versions needs `versioned: true`.",
                None,
            )
        if isinstance(exc, NotADirectoryError):
            return (
                f"a part of {filename} is a file, not a folder",
                "A versioned dataset keeps a folder at its filepath; move the plain file away "
                "or remove `versioned: true`.",
                None,
            )
        if isinstance(exc, PermissionError):
            return f"permission denied on {filename}", "Check the file's permissions.", None
        if isinstance(exc, UnicodeDecodeError):
            return (
                f"the file is not valid {exc.encoding} text",
                "Set the right encoding in load_args, e.g. {encoding: latin-1}.",
                None,
            )
        return f"{type(exc).__name__}: {exc}", "", None

    def _wrap(self, action: str, exc: Exception) -> DatasetError:
        problem, hint, location = self._explain(action, exc)
        message = f"Failed to {action} {self._label()}: {problem}."
        if hint:
            message += f" {hint}"
        return DatasetError(message, location=location)


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "w", **open_args: Any) -> Iterator[IO[Any]]:
    """Write to a temp file next to ``path`` and rename it over, so readers never see half a file.

    The temp file is created with ``os.open(..., 0o666)`` so the final file gets the usual
    umask-derived permissions (``mkstemp`` would leave it private).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")  # no uuid: it imports platform
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class LocalStorage:
    """Where a file dataset's bytes live when its filepath is local: the OS, written atomically.

    ``proj_tui.io.remote.FsspecStorage`` has the same methods for ``s3://`` and other protocols.
    """

    def url(self, path: PurePath) -> str:
        return str(path)

    def is_file(self, path: PurePath) -> bool:
        return os.path.isfile(path)

    def exists(self, path: PurePath) -> bool:
        return os.path.exists(path)

    def child_dirs(self, path: PurePath) -> list[str]:
        """Names of the folders directly in ``path`` (empty if it is not a folder)."""
        try:
            return [e.name for e in os.scandir(path) if e.is_dir()]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def open_read(self, path: PurePath, mode: str, **open_args: Any) -> IO[Any]:
        return open(path, mode, **open_args)

    def open_write(
        self, path: PurePath, mode: str, **open_args: Any
    ) -> contextlib.AbstractContextManager[IO[Any]]:
        return atomic_write(Path(path), mode, **open_args)


LOCAL = LocalStorage()


class Versioning:
    """Where a versioned file lives: ``<filepath>/<version>/<basename>``.

    Versions are sortable strings (session ids), so "newest" is simply the largest name that
    holds the file. The newest version is looked up on each load, not cached, so a dataset saved
    by another process is seen at once.
    """

    def __init__(self, filepath: PurePath, version: Version, storage: Any = LOCAL) -> None:
        self.filepath = filepath
        self.storage = storage
        self.pinned = _check_version(version.load, "load") if version.load else None
        self.save_version = _check_version(version.save or generate_version(), "save")

    def versions(self) -> list[str]:
        """Saved versions, oldest first; temp and hidden folders are ignored."""
        name = self.filepath.name
        return sorted(
            d
            for d in self.storage.child_dirs(self.filepath)
            if not d.startswith(".") and self.storage.is_file(self.filepath / d / name)
        )

    def load_path(self, owner: str) -> PurePath:
        """The pinned version, else the newest; ``VersionNotFoundError`` if there is none."""
        if self.pinned is not None:
            path = self.path_for(self.pinned)
            if not self.storage.is_file(path):
                known = self.versions()
                listing = ", ".join(known[-5:]) if known else "none"
                raise VersionNotFoundError(
                    f"Version '{self.pinned}' of {owner} was not found: {path} does not exist. "
                    f"Saved versions (newest last): {listing}. "
                    "Fix the version in load_versions (--load-versions), "
                    "or drop it to load the newest."
                )
            return path
        known = self.versions()
        if not known:
            if self.storage.is_file(self.filepath):
                raise VersionNotFoundError(
                    f"{owner} is versioned but {self.filepath} is a plain file, not a folder of "
                    "versions. Remove `versioned: true`, or move the file away and re-run the "
                    "node that produces it."
                )
            raise VersionNotFoundError(
                f"No saved version of {owner} was found: expected "
                f"{self.filepath}/<version>/{self.filepath.name}. {NOT_FOUND_HINT}"
            )
        return self.path_for(known[-1])

    def save_path(self, owner: str) -> PurePath:
        """The file to write; it must not exist yet, since a version is written once."""
        path = self.path_for(self.save_version)
        if self.storage.exists(path):
            raise DatasetError(
                f"Cannot save {owner}: version '{self.save_version}' already exists at {path}. "
                "A versioned dataset is written once per version (each session saves under its "
                "own id); give a second output its own dataset name."
            )
        if self.pinned is not None and self.pinned != self.save_version:
            logger.warning(
                "Save version '%s' differs from the pinned load version '%s' of %s, so a load "
                "after this save reads the pinned version, not the new data.",
                self.save_version,
                self.pinned,
                owner,
            )
        return path

    def path_for(self, version: str) -> PurePath:
        return self.filepath / version / self.filepath.name
