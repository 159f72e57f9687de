"""The project context: the env's configuration, parameters and catalog, built on demand."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proj_tui.config import ConfigLoader
from proj_tui.errors import Location
from proj_tui.io import CatalogEntryError, DataCatalog, params_feed

if TYPE_CHECKING:
    import pluggy


class ProjectContext:
    """What a session knows about the project for one env and one set of runtime parameters.

    Plugins get session data from hooks and the store; they do not need to import this class.
    """

    def __init__(
        self,
        *,
        package_name: str,
        project_path: Path,
        config_loader: ConfigLoader,
        hook_manager: pluggy.PluginManager,
        env: str,
        extra_params: dict[str, Any] | None = None,
    ) -> None:
        self.package_name = package_name
        self.project_path = project_path
        self.config_loader = config_loader
        self.env = env
        self._extra_params = dict(extra_params or {})
        self._hook_manager = hook_manager

    @cached_property
    def params(self) -> dict[str, Any]:
        """Parameters of every config layer, runtime parameters taking precedence."""
        return dict(self.config_loader["parameters"])

    @property
    def catalog(self) -> DataCatalog:
        """A fresh catalog with the current config, as a notebook user expects after edits."""
        return self.get_catalog()

    def credential_values(self) -> Iterator[str]:
        """Every string in the credentials config, so logs can be scrubbed of them."""
        yield from _strings(self.config_loader["credentials"])

    def get_catalog(
        self, save_version: str | None = None, load_versions: dict[str, str] | None = None
    ) -> DataCatalog:
        """Build the catalog and add ``parameters`` / ``params:<key>`` entries."""
        catalog = self.build_catalog(save_version, load_versions)
        self._hook_manager.hook.after_catalog_created(
            catalog=catalog,
            conf_catalog=self.config_loader["catalog"],
            conf_creds=self.config_loader["credentials"],
            parameters=self.params,
            save_version=save_version,
            load_versions=load_versions,
        )
        return catalog

    def build_catalog(
        self, save_version: str | None = None, load_versions: dict[str, str] | None = None
    ) -> DataCatalog:
        """The catalog with its ``params:`` entries, without hooks (``framework.preflight``
        builds one to check a run before it is recorded); a bad entry names its file and line."""
        try:
            catalog = DataCatalog.from_config(
                self.config_loader["catalog"],
                self.config_loader["credentials"],
                load_versions=load_versions,
                save_version=save_version,
                project_path=self.project_path,
            )
        except CatalogEntryError as exc:
            if exc.location is None:
                exc.location = _entry_location(self.config_loader.files("catalog"), exc.entry)
            raise
        catalog.add_feed_dict(params_feed(self.params))
        return catalog


def _entry_location(files: list[Path], entry: str) -> Location | None:
    """Where catalog entry ``entry`` is written: the last file (it wins) with it as a top-level
    key, and its line (the loader keeps no line numbers for a merged key)."""
    import re

    key = re.compile(rf"""^(?:{re.escape(entry)}|'{re.escape(entry)}'|"{re.escape(entry)}")\s*:""")
    found: Location | None = None
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            if key.match(line):
                found = Location(path, number)
                break
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
