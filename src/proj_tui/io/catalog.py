"""``DataCatalog``: the named datasets of a run, built from ``catalog.yml`` and dataset factories.

Loads and saves of in-memory data are the hot path of a large run, so ``load``/``save`` are a
dict lookup and one method call; the catalog names the dataset only when something fails.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from proj_tui.errors import did_you_mean
from proj_tui.io.core import AbstractDataset, Version, generate_version
from proj_tui.io.errors import (
    CatalogEntryError,
    DatasetAlreadyExistsError,
    DatasetError,
    DatasetNotFoundError,
    _MissingCredentialsError,
)
from proj_tui.io.factories import PatternResolver, is_pattern
from proj_tui.io.files import CSVDataset, JSONDataset, PickleDataset, TextDataset, YAMLDataset
from proj_tui.io.memory import MemoryDataset

_BUILTIN_TYPES: Final[dict[str, type[AbstractDataset]]] = {
    "MemoryDataset": MemoryDataset,
    "json.JSONDataset": JSONDataset,
    "yaml.YAMLDataset": YAMLDataset,
    "csv.CSVDataset": CSVDataset,
    "pickle.PickleDataset": PickleDataset,
    "text.TextDataset": TextDataset,
}
# Types whose module needs an optional package: alias -> (class name, package to install).
_OPTIONAL_TYPES: Final[dict[str, tuple[str, str]]] = {
    "pandas.CSVDataset": ("CSVDataset", "pandas"),
    "pandas.ParquetDataset": ("ParquetDataset", "pandas"),
}
_ALIAS_PREFIXES: Final = frozenset(t.split(".")[0] for t in [*_BUILTIN_TYPES, *_OPTIONAL_TYPES])
_PATH_KEYS: Final = ("filepath", "path", "filename")

logger = logging.getLogger(__name__)


def params_feed(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """``parameters`` plus ``params:<key>`` for every key at every depth, as nodes ask for them.

    ``{"model": {"lr": 0.1}}`` gives ``parameters``, ``params:model`` and ``params:model.lr``.
    """
    feed: dict[str, Any] = {"parameters": parameters}

    def add(key: str, value: Any) -> None:
        feed[f"params:{key}"] = value
        if isinstance(value, Mapping):
            for sub_key, sub_value in value.items():
                add(f"{key}.{sub_key}", sub_value)

    for key, value in parameters.items():
        add(str(key), value)
    return feed


@dataclass(frozen=True)
class _Factory:
    """What a catalog needs to build datasets from config later (for pattern matches)."""

    resolver: PatternResolver
    credentials: Mapping[str, Any]
    load_versions: Mapping[str, str]
    save_version: str
    project_path: Path | None


class DataCatalog:
    """Named datasets plus the factory patterns that make more of them on first use.

    Safe to use from several threads at once for different datasets: the dataset dict is only
    replaced item by item, and materialising a pattern match happens under a lock.
    """

    def __init__(
        self,
        datasets: Mapping[str, AbstractDataset] | None = None,
        raw_data: Mapping[str, Any] | None = None,
    ) -> None:
        self._datasets: dict[str, AbstractDataset] = dict(datasets or {})
        self._origins: dict[str, str] = {}  # dataset name -> the pattern that made it
        self._factory: _Factory | None = None
        self._lock = threading.RLock()
        if raw_data:
            self.add_feed_dict(raw_data)

    @classmethod
    def from_config(
        cls,
        catalog: Mapping[str, Any] | None,
        credentials: Mapping[str, Any] | None = None,
        load_versions: Mapping[str, str] | None = None,
        save_version: str | None = None,
        project_path: str | os.PathLike[str] | None = None,
    ) -> DataCatalog:
        """Build a catalog from ``catalog.yml`` content.

        Top-level keys starting with ``_`` are YAML anchors and skipped. ``save_version`` is
        the session id; without one a version is made up once for the whole catalog, so all
        versioned datasets of a run share it.
        """
        credentials = credentials or {}
        load_versions = dict(load_versions or {})
        root = Path(project_path) if project_path is not None else None
        entries: dict[str, dict[str, Any]] = {}
        patterns: dict[str, dict[str, Any]] = {}
        for name, config in (catalog or {}).items():
            if str(name).startswith("_"):
                continue
            if not isinstance(config, Mapping):
                raise CatalogEntryError(
                    f"Catalog entry '{name}' is not a dataset configuration (got "
                    f"{type(config).__name__}). Give it a mapping with a 'type'; if it is a "
                    "YAML anchor meant for reuse, start its key with an underscore.",
                    entry=str(name),
                )
            (patterns if is_pattern(name) else entries)[name] = dict(config)
        factory = _Factory(
            PatternResolver(patterns),
            credentials,
            load_versions,
            save_version or generate_version(),
            root,
        )
        for pattern, config in patterns.items():
            if "{" not in str(config.get("type", "")):
                with _entry(pattern):  # report bad types now, not mid-run
                    _resolve_type(pattern, config.get("type"))

        built = cls()
        built._factory = factory
        for name, config in entries.items():
            with _entry(name):
                built._datasets[name] = _build(name, config, factory)
        for name in load_versions:
            if built.get(name) is None:
                raise DatasetNotFoundError(
                    f"load_versions pins '{name}', which is not in the catalog."
                    f"{did_you_mean(name, built._datasets)} "
                    "Pin a versioned dataset from catalog.yml."
                )
        return built

    # -- the hot path ------------------------------------------------------------------------

    def load(self, name: str, version: str | None = None) -> Any:
        """Load a dataset by name; ``DatasetNotFoundError`` (with "did you mean") if unknown.

        ``version`` loads that saved version of a versioned dataset (Kedro's ``load(name,
        version=)``); asking it of an unversioned dataset is a ``DatasetError``.
        """
        dataset = self._datasets.get(name)
        if dataset is None:
            dataset = self._require(name)
        try:
            if version is not None:
                dataset = _at_version(name, dataset, version)
            return dataset.load()
        except DatasetError as exc:
            _add_name(exc, name)
            raise

    def save(self, name: str, data: Any) -> None:
        """Save to a dataset by name; unknown names are an error, as in Kedro."""
        dataset = self._datasets.get(name)
        if dataset is None:
            dataset = self._require(name)
        try:
            dataset.save(data)
        except DatasetError as exc:
            _add_name(exc, name)
            raise

    # -- lookups -----------------------------------------------------------------------------

    def __contains__(self, name: object) -> bool:
        if name in self._datasets:
            return True
        factory = self._factory
        return isinstance(name, str) and factory is not None and bool(factory.resolver.match(name))

    def get(self, name: str) -> AbstractDataset | None:
        """The dataset, materialising a pattern match on first use; None if nothing matches."""
        dataset = self._datasets.get(name)
        if dataset is not None:
            return dataset
        factory = self._factory
        if factory is None or not factory.resolver:
            return None
        with self._lock:
            dataset = self._datasets.get(name)
            if dataset is not None:
                return dataset
            found = factory.resolver.match(name)
            if found is None:
                return None
            pattern, values = found
            dataset = _build(name, pattern.resolve(values), factory, pattern=pattern.pattern)
            self._datasets[name] = dataset
            self._origins[name] = pattern.pattern
            return dataset

    def __getitem__(self, name: str) -> AbstractDataset:
        dataset = self._datasets.get(name)
        return dataset if dataset is not None else self._require(name)

    def __setitem__(self, name: str, dataset: Any) -> None:
        """Add or replace a dataset; a value that is not a dataset is wrapped in a MemoryDataset.

        Replacing one logs a warning, as Kedro does, since it usually means two things claim a name.
        """
        if not isinstance(dataset, AbstractDataset):
            dataset = MemoryDataset(data=dataset)
        with self._lock:
            if name in self._datasets:
                logger.warning("Replacing dataset '%s'", name)
            self._datasets[name] = dataset
            self._origins.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._datasets))

    def __len__(self) -> int:
        return len(self._datasets)

    def keys(self) -> list[str]:
        """Names of the datasets built so far (pattern matches appear once used)."""
        return list(self._datasets)

    def values(self) -> list[AbstractDataset]:
        """The datasets built so far, in the order of ``keys()``."""
        return list(self._datasets.values())

    def items(self) -> list[tuple[str, AbstractDataset]]:
        """``(name, dataset)`` pairs in the order of ``keys()``."""
        return list(self._datasets.items())

    def filter(
        self,
        name_regex: str | re.Pattern[str] | None = None,
        type_regex: str | re.Pattern[str] | None = None,
        by_type: type | Iterable[type] | None = None,
    ) -> list[str]:
        """Names of datasets whose name matches ``name_regex`` (searched, not anchored), whose full
        type path (``module.Class``) matches ``type_regex`` and that are instances of ``by_type``
        (a class or several); a criterion left out matches everything.
        """
        name_rx = _compile_regex("name_regex", name_regex)
        type_rx = _compile_regex("type_regex", type_regex)
        types = (by_type,) if isinstance(by_type, type) else tuple(by_type or ())
        found = []
        for name, dataset in list(self._datasets.items()):
            if name_rx is not None and not name_rx.search(name):
                continue
            if type_rx is not None and not type_rx.search(_type_path(dataset)):
                continue
            if types and not isinstance(dataset, types):
                continue
            found.append(name)
        return found

    def confirm(self, name: str) -> None:
        """Call the dataset's ``confirm()`` (a node's ``confirms=`` after it succeeds)."""
        dataset = self[name]
        confirm = getattr(dataset, "confirm", None)
        if not callable(confirm):
            raise DatasetError(
                f"Dataset '{name}' does not have 'confirm' method, so a node cannot confirm it. "
                "Remove it from the node's confirms=, or give its dataset class a confirm()."
            )
        logger.info("Confirming dataset '%s'", name)
        try:
            confirm()
        except DatasetError as exc:
            _add_name(exc, name)
            raise
        except Exception as exc:
            raise DatasetError(
                f"Dataset '{name}': confirm() failed: {type(exc).__name__}: {exc}"
            ) from exc

    def patterns(self) -> list[str]:
        """Dataset factory patterns in the order a name is matched against them."""
        return self._factory.resolver.patterns() if self._factory is not None else []

    def exists(self, name: str) -> bool:
        """Whether the dataset has data; False for a name the catalog does not know (as Kedro)."""
        dataset = self.get(name)
        if dataset is None:
            return False
        try:
            return dataset.exists()
        except DatasetError as exc:
            _add_name(exc, name)
            raise

    def release(self, name: str) -> None:
        """Drop cached data of a dataset (a MemoryDataset forgets its value)."""
        dataset = self[name]
        try:
            dataset.release()
        except DatasetError as exc:
            _add_name(exc, name)
            raise

    def is_persisted(self, name: str) -> bool:
        """Whether the data outlives the process; an unknown name would be in-memory, so False."""
        dataset = self.get(name)
        return dataset is not None and dataset.is_persisted

    def describe(self, name: str) -> dict[str, Any]:
        """Type, filepath, versioned, persisted (and the factory pattern, if one made it)."""
        dataset = self[name]
        info = dataset.describe()
        return {
            "name": name,
            "type": _type_name(dataset),
            "filepath": info.get("filepath"),
            "versioned": bool(info.get("versioned", False)),
            "persisted": dataset.is_persisted,
            "pattern": self._origins.get(name),
        }

    def add_feed_dict(self, feed: Mapping[str, Any], replace: bool = True) -> None:
        """Add values as MemoryDatasets (datasets are added as they are), e.g. ``params_feed``."""
        with self._lock:
            if not replace:
                taken = [name for name in feed if name in self._datasets]
                if taken:
                    raise DatasetAlreadyExistsError(
                        f"Dataset(s) {', '.join(repr(n) for n in taken)} are already in the "
                        "catalog. Pass replace=True to overwrite them."
                    )
            for name, value in feed.items():
                self._datasets[name] = (
                    value if isinstance(value, AbstractDataset) else MemoryDataset(data=value)
                )
                self._origins.pop(name, None)

    def shallow_copy(self) -> DataCatalog:
        """A new catalog sharing the dataset objects and patterns; adding to it leaves this one."""
        copy = type(self)(self._datasets)
        copy._origins = dict(self._origins)
        copy._factory = self._factory
        return copy

    def __repr__(self) -> str:
        return f"DataCatalog({len(self._datasets)} datasets, {len(self.patterns())} patterns)"

    def _require(self, name: str) -> AbstractDataset:
        dataset = self.get(name)
        if dataset is None:
            raise DatasetNotFoundError(
                f"Dataset '{name}' is not in the catalog.{did_you_mean(name, self._datasets)} "
                "Add it to catalog.yml, or check the name in the node's inputs and outputs."
            )
        return dataset


class _UnavailableDataset(AbstractDataset):
    """Stands in for a dataset whose optional package is missing, so only using it fails.

    A project may list a pandas dataset that the pipeline being run never touches.
    """

    def __init__(self, type_name: str, reason: str, filepath: Any) -> None:
        self.type_name = type_name
        self.reason = reason
        self.filepath = filepath

    def _fail(self) -> DatasetError:
        return DatasetError(self.reason)

    def _load(self) -> Any:
        raise self._fail()

    def _save(self, data: Any) -> None:
        raise self._fail()

    def _exists(self) -> bool:
        raise self._fail()

    def _describe(self) -> dict[str, Any]:
        return {"type": self.type_name, "filepath": self.filepath}


def _compile_regex(what: str, value: str | re.Pattern[str] | None) -> re.Pattern[str] | None:
    if value is None or isinstance(value, re.Pattern):
        return value
    try:
        return re.compile(value)
    except re.error as exc:
        raise DatasetError(f"{what} {value!r} is not a valid regular expression: {exc}.") from None


def _type_path(dataset: AbstractDataset) -> str:
    """``module.Class`` of a dataset, or the catalog type of one whose package is missing."""
    if isinstance(dataset, _UnavailableDataset):
        return dataset.type_name
    cls = type(dataset)
    return f"{cls.__module__}.{cls.__qualname__}"


def _at_version(name: str, dataset: AbstractDataset, version: str) -> AbstractDataset:
    at_version = getattr(dataset, "at_version", None)
    if at_version is None or not getattr(dataset, "versioned", False):
        raise DatasetError(
            f"It is not versioned, so version '{version}' cannot be loaded. Add "
            "`versioned: true` to it in catalog.yml, or load it without a version."
        )
    versioned: AbstractDataset = at_version(version)
    return versioned


def _add_name(exc: DatasetError, name: str) -> None:
    """Prefix the catalog name to a dataset's error in place, so the traceback stays short."""
    prefix = f"Dataset '{name}': "
    if not exc.message.startswith(prefix):
        exc.message = prefix + exc.message
        exc.args = (exc.message, *exc.args[1:])


def _type_name(dataset: AbstractDataset) -> str:
    if isinstance(dataset, _UnavailableDataset):
        return dataset.type_name
    cls = type(dataset)
    for alias, known in _BUILTIN_TYPES.items():
        if cls is known:
            return alias
    if cls.__module__ == "proj_tui.io.pandas_datasets":
        return f"pandas.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def _known_types() -> str:
    return ", ".join([*_BUILTIN_TYPES, *_OPTIONAL_TYPES])


def _resolve_type(name: str, type_value: Any) -> type[AbstractDataset] | str:
    """The dataset class for a catalog ``type``, or the reason it is unavailable (missing package).

    Raises ``DatasetError`` for a missing, unknown or unusable type.
    """
    if type_value is None:
        raise DatasetError(
            f"Dataset '{name}' has no 'type'. Add one, e.g. `type: json.JSONDataset`; "
            f"known types: {_known_types()}."
        )
    if isinstance(type_value, type):
        cls: Any = type_value
    elif not isinstance(type_value, str):
        raise DatasetError(
            f"Dataset '{name}' has type {type_value!r}, which is not a string. "
            f"Use a type name ({_known_types()}) or a dotted path 'pkg.module.Class'."
        )
    elif type_value in _BUILTIN_TYPES:
        return _BUILTIN_TYPES[type_value]
    elif type_value in _OPTIONAL_TYPES:
        class_name, package = _OPTIONAL_TYPES[type_value]
        if importlib.util.find_spec(package) is None:
            return (
                f"Dataset '{name}' has type '{type_value}', which needs {package}, and {package} "
                f"is not installed. Install it (`pip install {package}`; Parquet also needs "
                "pyarrow), or use a type that needs nothing extra such as csv.CSVDataset."
            )
        module = importlib.import_module("proj_tui.io.pandas_datasets")
        optional: type[AbstractDataset] = getattr(module, class_name)
        return optional
    elif "." not in type_value or type_value.split(".")[0] in _ALIAS_PREFIXES:
        raise DatasetError(
            f"Dataset '{name}' has unknown type '{type_value}'."
            f"{did_you_mean(type_value, [*_BUILTIN_TYPES, *_OPTIONAL_TYPES])} Known types: "
            f"{_known_types()}, or a dotted path such as 'my_project.datasets.MyDataset'."
        )
    else:
        cls = _import_class(name, type_value)
    if not (isinstance(cls, type) and issubclass(cls, AbstractDataset)):
        raise DatasetError(
            f"Dataset '{name}' has type '{type_value}', which is not a dataset class. "
            "A custom type must subclass proj_tui.io.AbstractDataset."
        )
    return cls


def _import_class(name: str, dotted: str) -> Any:
    module_name, _, class_name = dotted.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        hint = did_you_mean(dotted, [*_BUILTIN_TYPES, *_OPTIONAL_TYPES])
        raise DatasetError(
            f"Dataset '{name}' has type '{dotted}', but module '{module_name}' cannot be "
            f"imported ({exc}).{hint} Check the spelling, or install the package that "
            "provides it."
        ) from exc
    except Exception as exc:
        raise DatasetError(
            f"Dataset '{name}' has type '{dotted}', but importing '{module_name}' failed: "
            f"{type(exc).__name__}: {exc}. Fix that module."
        ) from exc
    try:
        return getattr(module, class_name)
    except AttributeError:
        hint = did_you_mean(class_name, [n for n in dir(module) if not n.startswith("_")])
        raise DatasetError(
            f"Dataset '{name}' has type '{dotted}', but module '{module_name}' has no "
            f"'{class_name}'.{hint}"
        ) from None


def _resolve_credentials(name: str, value: Any, credentials: Mapping[str, Any]) -> Any:
    """Replace every ``credentials: <name>`` with the named entry; error lists names, not values."""
    if not isinstance(value, Mapping):
        return value
    resolved: dict[str, Any] = {}
    for key, item in value.items():
        if key == "credentials" and isinstance(item, str):
            if item not in credentials:
                known = ", ".join(sorted(map(str, credentials))) or "none are defined"
                raise _MissingCredentialsError(
                    f"Dataset '{name}' uses credentials '{item}', which are not in "
                    f"credentials.yml.{did_you_mean(item, map(str, credentials))} "
                    f"Known credentials: {known}. Add them to conf/local/credentials.yml."
                )
            resolved[key] = credentials[item]
        else:
            resolved[key] = _resolve_credentials(name, item, credentials)
    return resolved


def _absolute(value: Any, root: Path | None) -> Any:
    if root is None or not isinstance(value, (str, os.PathLike)):
        return value
    text = os.fspath(value)
    if "://" in text or os.path.isabs(text):
        return value
    return str(root / text)


def _accepts(cls: type, parameter: str) -> bool:
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return True
    return parameter in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _build(
    name: str, config: dict[str, Any], factory: _Factory, pattern: str | None = None
) -> AbstractDataset:
    """One dataset from its (pattern-resolved) config; every failure names the dataset."""
    config = dict(config)
    type_value = config.pop("type", None)
    resolved = _resolve_type(name, type_value)
    versioned = config.pop("versioned", False)
    if "version" in config:  # the catalog sets it from versioned/load_versions, as in Kedro
        config.pop("version")
        logger.warning(
            "Dataset '%s': 'version' was removed from its configuration: it is reserved (set by "
            "`versioned: true` and --load-versions) and cannot be given directly.",
            name,
        )
    if not isinstance(versioned, bool):
        raise DatasetError(f"Dataset '{name}' has versioned: {versioned!r}; use true or false.")
    config = _resolve_credentials(name, config, factory.credentials)
    for key in _PATH_KEYS:
        if key in config:
            config[key] = _absolute(config[key], factory.project_path)
    pinned = factory.load_versions.get(name)
    if isinstance(resolved, str):  # an optional package is missing: fail only on use
        return _UnavailableDataset(str(type_value), resolved, config.get("filepath"))
    if versioned:
        if not _accepts(resolved, "version"):
            raise DatasetError(
                f"Dataset '{name}' has versioned: true, but {type_value} does not support "
                "versioning. Remove `versioned`, or use a file dataset type."
            )
        config["version"] = Version(pinned, factory.save_version)
    elif pinned is not None:
        raise DatasetError(
            f"load_versions pins '{name}' to '{pinned}', but that dataset is not versioned. "
            "Add `versioned: true` to it in catalog.yml, or drop it from load_versions."
        )
    metadata = config.pop("metadata", None)
    if metadata is not None and _accepts(resolved, "metadata"):
        config["metadata"] = metadata
    try:
        dataset = resolved(**config)
    except DatasetError as exc:
        _add_name(exc, name)
        raise
    except TypeError as exc:
        where = f" (from pattern '{pattern}')" if pattern else ""
        raise DatasetError(
            f"Dataset '{name}'{where} could not be created as {type_value}: {exc}. "
            "Check its keys in catalog.yml."
        ) from exc
    except Exception as exc:  # a custom dataset's constructor may raise anything
        where = f" (from pattern '{pattern}')" if pattern else ""
        raise DatasetError(
            f"Dataset '{name}'{where} could not be created as {type_value}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if metadata is not None and dataset.metadata is None:
        dataset.metadata = metadata
    return dataset


@contextlib.contextmanager
def _entry(name: str) -> Iterator[None]:
    """A ``DatasetError`` while building entry ``name`` is a :class:`CatalogEntryError`: bad
    config, which the layer that knows the files locates (file, line, key)."""
    try:
        yield
    except (CatalogEntryError, KeyError):  # missing credentials stay KeyErrors (as documented)
        raise
    except DatasetError as exc:
        raise CatalogEntryError(exc.message, entry=name) from exc
