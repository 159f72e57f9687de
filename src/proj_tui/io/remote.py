"""Paths with a protocol (``s3://``, ``gcs://``, ``memory://``): opened through fsspec.

``Path("s3://bucket/x.csv")`` silently becomes the local ``s3:/bucket/x.csv``, so a file dataset
splits the protocol off first. ``file://`` is a local path. Anything else needs fsspec (and the
protocol's own package, such as s3fs); without them the dataset fails to build with a sentence
saying what to install. fsspec is imported only when such a path is used, never at start-up.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import PurePath, PurePosixPath
from typing import IO, Any

from proj_tui.io.errors import DatasetError

__all__ = ["FsspecStorage", "open_filesystem", "split_protocol"]

# Two or more letters, so a Windows drive ("C://") is never taken for a protocol.
_PROTOCOL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+)://")


def split_protocol(path: str) -> tuple[str | None, str]:
    """``("s3", "bucket/x.csv")`` for a remote path; ``(None, path)`` for a local one."""
    match = _PROTOCOL.match(path)
    if match is None:
        return None, path
    protocol = match.group(1).lower()
    rest = path[match.end() :]
    if protocol == "file":
        return None, rest
    return protocol, rest


def open_filesystem(
    protocol: str, url: str, credentials: dict[str, Any] | None, fs_args: dict[str, Any] | None
) -> Any:
    """The fsspec filesystem for ``protocol``; a ``DatasetError`` naming the fix if there is none."""
    try:
        import fsspec
    except ImportError:
        raise DatasetError(
            f"The filepath {url} uses '{protocol}://', which needs fsspec, and fsspec is not "
            f"installed. Install it (`pip install fsspec`, plus the package for {protocol}, "
            "such as s3fs or gcsfs), or use a local path."
        ) from None
    try:
        return fsspec.filesystem(protocol, **(credentials or {}), **(fs_args or {}))
    except ImportError as exc:
        raise DatasetError(
            f"The filepath {url} uses '{protocol}://', which needs a package that is not "
            f"installed ({str(exc).rstrip('.')}). Install it, or use a local path."
        ) from None
    except ValueError as exc:  # fsspec: "Protocol not known"
        raise DatasetError(
            f"The filepath {url} uses '{protocol}://', which fsspec does not know ({exc}). "
            "Check the spelling of the protocol."
        ) from None
    except TypeError as exc:
        raise DatasetError(
            f"The filepath {url}: the '{protocol}' filesystem refused its credentials or fs_args "
            f"({exc}). Check them in catalog.yml and credentials.yml."
        ) from None


class FsspecStorage:
    """``LocalStorage``'s methods on an fsspec filesystem, for paths such as ``s3://b/x.csv``.

    Writes go straight to the target (object stores have no rename to make them atomic).
    """

    def __init__(self, protocol: str, fs: Any) -> None:
        self.protocol = protocol
        self.fs = fs

    def url(self, path: PurePath) -> str:
        return f"{self.protocol}://{path.as_posix()}"

    def is_file(self, path: PurePath) -> bool:
        return bool(self.fs.isfile(self.url(path)))

    def exists(self, path: PurePath) -> bool:
        return bool(self.fs.exists(self.url(path)))

    def child_dirs(self, path: PurePath) -> list[str]:
        try:
            entries = self.fs.ls(self.url(path), detail=True)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [
            PurePosixPath(str(e["name"]).rstrip("/")).name
            for e in entries
            if e.get("type") == "directory"
        ]

    def open_read(self, path: PurePath, mode: str, **open_args: Any) -> IO[Any]:
        handle: IO[Any] = self.fs.open(self.url(path), mode, **open_args)
        return handle

    def open_write(
        self, path: PurePath, mode: str, **open_args: Any
    ) -> contextlib.AbstractContextManager[IO[Any]]:
        parent = self.url(path.parent)
        with contextlib.suppress(Exception):  # object stores have no folders to make
            self.fs.makedirs(parent, exist_ok=True)
        handle: IO[Any] = self.fs.open(self.url(path), mode, **open_args)
        return handle
