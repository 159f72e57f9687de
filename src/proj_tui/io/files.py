"""File datasets (JSON, YAML, CSV, pickle, text): optionally versioned, written atomically.

Formats use the standard library (and PyYAML, imported lazily) so no optional package is needed.
A filepath with a protocol (``s3://``, ``memory://``) goes through fsspec (see ``remote``);
``file://`` is local.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path, PurePath, PurePosixPath
from typing import Any, ClassVar

from proj_tui.errors import Location
from proj_tui.io.core import LOCAL, AbstractDataset, Version, Versioning, logger
from proj_tui.io.errors import DatasetError


class FileDataset(AbstractDataset):
    """Shared plumbing: paths, versions, load/save args, atomic writes. Subclasses do the format.

    ``versioned=True`` is shorthand for ``version=Version(None, None)``: load the newest, save
    under a version made up once per dataset. The catalog passes ``version`` with its own
    load and save versions.
    """

    DEFAULT_LOAD_ARGS: ClassVar[dict[str, Any]] = {}
    DEFAULT_SAVE_ARGS: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        version: Version | None = None,
        versioned: bool = False,
        credentials: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
    ) -> None:
        from proj_tui.io.remote import split_protocol

        text = os.fspath(filepath)
        protocol, rest = split_protocol(text)
        self.filepath: PurePath
        if protocol is None:
            self.filepath = Path(rest)
            self._storage: Any = LOCAL
        else:
            from proj_tui.io.remote import FsspecStorage, open_filesystem

            self.filepath = PurePosixPath(rest)
            self._storage = FsspecStorage(
                protocol, open_filesystem(protocol, text, credentials, fs_args)
            )
        self.load_args = {**self.DEFAULT_LOAD_ARGS, **(load_args or {})}
        self.save_args = {**self.DEFAULT_SAVE_ARGS, **(save_args or {})}
        if version is None and versioned:
            version = Version(None, None)
        self._versioning = (
            Versioning(self.filepath, version, self._storage) if version is not None else None
        )
        # Passed to the fsspec filesystem of a remote path; never described.
        self._credentials = credentials
        self.metadata = metadata

    @property
    def versioned(self) -> bool:
        return self._versioning is not None

    @property
    def url(self) -> str:
        """The filepath as given, protocol included (``s3://b/x.csv``), or the local path."""
        return str(self._storage.url(self.filepath))

    def _label(self) -> str:
        flag = ", versioned=True" if self.versioned else ""
        return f"{type(self).__name__}(filepath='{self.url}'{flag})"

    def at_version(self, version: str) -> FileDataset:
        """A copy that loads ``version`` (Kedro's ``catalog.load(name, version=...)``)."""
        if self._versioning is None:
            raise DatasetError(
                f"{self._label()} is not versioned, so version '{version}' cannot be loaded."
            )
        pinned = copy.copy(self)
        pinned._versioning = Versioning(
            self.filepath, Version(version, self._versioning.save_version), self._storage
        )
        return pinned

    def versions(self) -> list[str]:
        """Saved versions, oldest first (empty for an unversioned dataset)."""
        return self._versioning.versions() if self._versioning is not None else []

    def resolve_load_path(self) -> PurePath:
        """The file a load reads now (for a versioned dataset: the pinned or newest version)."""
        if self._versioning is None:
            return self.filepath
        return self._versioning.load_path(self._label())

    def _load(self) -> Any:
        path = self.resolve_load_path()
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("Loading %s from %s", type(self).__name__, path)
        return self._read(path)

    def _save(self, data: Any) -> None:
        self._check_data(data)
        versioning = self._versioning
        path = self.filepath if versioning is None else versioning.save_path(self._label())
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("Saving %s to %s", type(self).__name__, path)
        self._write(path, data)

    def _exists(self) -> bool:
        if self._versioning is None:
            return bool(self._storage.is_file(self.filepath))
        if self._versioning.pinned is not None:
            return bool(self._storage.is_file(self._versioning.path_for(self._versioning.pinned)))
        return bool(self._versioning.versions())

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self.url,
            "versioned": self.versioned,
            "load_args": self.load_args or None,
            "save_args": self.save_args or None,
        }

    def _check_data(self, data: Any) -> None:
        """Refuse data the format cannot hold, before any file is touched."""

    def _read(self, path: PurePath) -> Any:
        raise NotImplementedError

    def _write(self, path: PurePath, data: Any) -> None:
        raise NotImplementedError

    def _open(self, path: PurePath, mode: str = "r", **open_args: Any) -> Any:
        """Open ``path`` for reading, locally or through the path's filesystem."""
        return self._storage.open_read(path, mode, **open_args)

    def _create(self, path: PurePath, mode: str = "w", **open_args: Any) -> Any:
        """A context manager writing ``path`` (atomically where the storage allows)."""
        return self._storage.open_write(path, mode, **open_args)

    def _text_args(self, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Split the file encoding off the format's own arguments."""
        rest = dict(args)
        return rest.pop("encoding", "utf-8"), rest

    def _wrong_type(self, data: Any, expected: str, alternative: str) -> DatasetError:
        return DatasetError(
            f"Cannot save {type(data).__name__} to {self._label()}: it stores {expected}. "
            f"Return {expected} from the node, or use {alternative}."
        )


class JSONDataset(FileDataset):
    """A JSON document; ``save_args`` go to ``json.dump`` (default ``indent: 2``)."""

    DEFAULT_SAVE_ARGS: ClassVar[dict[str, Any]] = {"indent": 2}

    def _read(self, path: PurePath) -> Any:
        encoding, args = self._text_args(self.load_args)
        with self._open(path, "r", encoding=encoding) as handle:
            return json.load(handle, **args)

    def _write(self, path: PurePath, data: Any) -> None:
        encoding, args = self._text_args(self.save_args)
        # Serialise before opening so unserialisable data never creates a temp file.
        text = json.dumps(data, **args)
        with self._create(path, "w", encoding=encoding) as handle:
            handle.write(text)

    def _explain(self, action: str, exc: Exception) -> tuple[str, str, Location | None]:
        if isinstance(exc, json.JSONDecodeError):
            path = self.resolve_load_path()
            return (
                f"invalid JSON in {path}: {exc.msg} at line {exc.lineno} column {exc.colno}",
                "Fix the file, or re-run the node that writes it.",
                Location(Path(path), exc.lineno, exc.colno),
            )
        if action == "save" and isinstance(exc, (TypeError, ValueError)):
            return (
                f"the data cannot be written as JSON ({exc})",
                "Convert it to dicts, lists, strings, numbers, booleans and None, "
                "or use pickle.PickleDataset.",
                None,
            )
        return super()._explain(action, exc)


class YAMLDataset(FileDataset):
    """A YAML document, read and written only with PyYAML's safe loader and dumper."""

    DEFAULT_SAVE_ARGS: ClassVar[dict[str, Any]] = {
        "default_flow_style": False,
        "sort_keys": False,
        "allow_unicode": True,
    }

    def _read(self, path: PurePath) -> Any:
        import yaml

        encoding, _ = self._text_args(self.load_args)
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with self._open(path, "r", encoding=encoding) as handle:
            return yaml.load(handle, Loader=loader)  # a safe loader, chosen above

    def _write(self, path: PurePath, data: Any) -> None:
        import yaml

        encoding, args = self._text_args(self.save_args)
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        text = yaml.dump(data, Dumper=dumper, **args)
        with self._create(path, "w", encoding=encoding) as handle:
            handle.write(text)

    def _explain(self, action: str, exc: Exception) -> tuple[str, str, Location | None]:
        import yaml

        if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
            path = self.resolve_load_path()
            line, column = exc.problem_mark.line + 1, exc.problem_mark.column + 1
            return (
                f"invalid YAML in {path} at line {line} column {column}: {exc.problem}",
                "Fix the file, or re-run the node that writes it.",
                Location(Path(path), line, column),
            )
        if isinstance(exc, yaml.representer.RepresenterError):
            return (
                f"the data cannot be written as safe YAML ({exc.args[0] if exc.args else exc})",
                "Convert it to dicts, lists, strings, numbers, booleans and None, "
                "or use pickle.PickleDataset.",
                None,
            )
        return super()._explain(action, exc)


class CSVDataset(FileDataset):
    """Rows as a list of dicts via the stdlib ``csv`` module; values load back as strings.

    ``load_args`` go to ``csv.DictReader`` and ``save_args`` to ``csv.DictWriter``; without a
    ``fieldnames`` save arg the columns are the rows' keys in first-seen order.
    """

    def _read(self, path: PurePath) -> list[dict[str, Any]]:
        import csv  # deferred, as pickle: a run without CSV datasets never needs it

        encoding, args = self._text_args(self.load_args)
        with self._open(path, "r", encoding=encoding, newline="") as handle:
            return list(csv.DictReader(handle, **args))

    def _check_data(self, data: Any) -> None:
        if not isinstance(data, (list, tuple)) or not all(isinstance(r, Mapping) for r in data):
            raise self._wrong_type(
                data, "a list of dicts (one per row)", "pandas.CSVDataset for a DataFrame"
            )

    def _write(self, path: PurePath, data: Any) -> None:
        import csv

        encoding, args = self._text_args(self.save_args)
        fieldnames = args.pop("fieldnames", None)
        if fieldnames is None:
            fieldnames = list(dict.fromkeys(key for row in data for key in row))
        with self._create(path, "w", encoding=encoding, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fieldnames, **args)
            if fieldnames:
                writer.writeheader()
            writer.writerows(data)

    def _explain(self, action: str, exc: Exception) -> tuple[str, str, Location | None]:
        import csv

        if isinstance(exc, csv.Error) or (action == "save" and isinstance(exc, ValueError)):
            return f"CSV problem: {exc}", "Check load_args/save_args (delimiter, fieldnames).", None
        return super()._explain(action, exc)


class PickleDataset(FileDataset):
    """Any picklable object; ``save_args`` go to ``pickle.dump`` (e.g. ``protocol``).

    Only load pickles you (or your pipeline) wrote: unpickling can run arbitrary code.
    """

    def _read(self, path: PurePath) -> Any:
        import pickle  # deferred, as in _write and _explain: a run without pickles skips it

        with self._open(path, "rb") as handle:
            return pickle.load(handle, **self.load_args)  # only the project's own data

    def _write(self, path: PurePath, data: Any) -> None:
        import pickle

        blob = pickle.dumps(data, **self.save_args)
        with self._create(path, "wb") as handle:
            handle.write(blob)

    def _explain(self, action: str, exc: Exception) -> tuple[str, str, Location | None]:
        import pickle

        if action == "load" and isinstance(exc, (pickle.UnpicklingError, EOFError)):
            return (
                f"not a readable pickle file ({type(exc).__name__}: {exc})",
                "Re-run the node that writes it.",
                None,
            )
        if action == "save" and isinstance(exc, (pickle.PicklingError, TypeError, AttributeError)):
            return (
                f"the data cannot be pickled ({exc})",
                "Pickle needs module-level classes and functions; avoid lambdas, "
                "open files and locks in the data.",
                None,
            )
        return super()._explain(action, exc)


class TextDataset(FileDataset):
    """A string written and read exactly as is (no newline translation)."""

    def _read(self, path: PurePath) -> str:
        encoding, _ = self._text_args(self.load_args)
        with self._open(path, "r", encoding=encoding, newline="") as handle:
            text: str = handle.read()
        return text

    def _check_data(self, data: Any) -> None:
        if not isinstance(data, str):
            raise self._wrong_type(data, "a str", "pickle.PickleDataset or json.JSONDataset")

    def _write(self, path: PurePath, data: Any) -> None:
        encoding, _ = self._text_args(self.save_args)
        with self._create(path, "w", encoding=encoding, newline="") as handle:
            handle.write(data)
