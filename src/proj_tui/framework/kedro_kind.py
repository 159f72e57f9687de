"""The Kedro kind of project: ``[tool.kedro]`` in ``pyproject.toml``, described and run by Kedro.

``Project`` asks its kind for metadata, settings, the config loader and pipelines. For a Kedro
project every answer comes from Kedro itself, in a child of the project's interpreter
(``kedro_describe``); this process never imports Kedro nor the project's code. So:

- metadata is read from ``[tool.kedro]`` here (``package_name``, ``project_name``, ``source_dir``;
  every other key is Kedro's business);
- settings are Kedro's (``CONF_SOURCE``, the config loader's ``base_env``/``default_run_env``), as
  the child read them from ``settings.py``;
- the config loader is a :class:`KedroConfig`: the parameters exactly as Kedro's own loader merged
  them for the env and runtime params, with the file and line of each key;
- pipelines are our own ``Pipeline`` values describing Kedro's (``kedro_nodes``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from proj_tui import __version__
from proj_tui.config import ConfigLoader
from proj_tui.config.provenance import Override, Provenance
from proj_tui.errors import Location
from proj_tui.framework.kedro_describe import ConfigAnswer, KedroDescriber, to_error
from proj_tui.framework.startup import (
    KEDRO_TABLE,
    ProjectError,
    ProjectMetadata,
    read_pyproject,
    resolve_source_dir,
)

if TYPE_CHECKING:
    from proj_tui.framework.settings import Settings
    from proj_tui.pipeline import Pipeline

KEDRO_ENV_VAR = "KEDRO_ENV"  # Kedro's own: the run env when --env is not given
_REQUIRED = ("package_name", "project_name")
_DEFAULT_CONF_SOURCE = "conf"


def read_kedro_metadata(project_path: Path | str) -> ProjectMetadata:
    """``[tool.kedro]`` of the project at ``project_path``; only the keys we need are checked."""
    path, pyproject, data = read_pyproject(project_path)
    table = data.get("tool", {}).get(KEDRO_TABLE)
    if not isinstance(table, dict):
        raise ProjectError(
            f"{pyproject} has no [tool.{KEDRO_TABLE}] table.", location=Location(pyproject)
        )
    for key in _REQUIRED:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ProjectError(
                f"[tool.{KEDRO_TABLE}] in {pyproject} needs '{key}' as a non-empty string "
                "(Kedro writes it there with 'kedro new').",
                location=Location(pyproject),
            )
    package_name = table["package_name"]
    if not package_name.isidentifier():
        raise ProjectError(
            f"package_name '{package_name}' in [tool.{KEDRO_TABLE}] of {pyproject} is not a "
            "valid Python package name.",
            location=Location(pyproject),
        )
    raw_source = table.get("source_dir", "src")
    if not isinstance(raw_source, str):
        raise ProjectError(
            f"'source_dir' in [tool.{KEDRO_TABLE}] of {pyproject} must be a string.",
            location=Location(pyproject),
        )
    source_dir = resolve_source_dir(path, raw_source, pyproject, KEDRO_TABLE)
    return ProjectMetadata(
        package_name=package_name,
        project_name=table["project_name"],
        project_path=path,
        source_dir=source_dir,
        proj_tui_version=__version__,
    )


class KedroKind:
    """How a Kedro project is read, configured and described (see the module doc)."""

    name: Literal["kedro"] = "kedro"
    table = KEDRO_TABLE

    def read_metadata(self, path: Path) -> ProjectMetadata:
        return read_kedro_metadata(path)

    def bootstrap(self, path: Path) -> ProjectMetadata:
        """The metadata; nothing goes on ``sys.path``: Kedro's code runs only in children."""
        return read_kedro_metadata(path)

    def load_settings(self, metadata: ProjectMetadata) -> Settings:
        """Kedro's settings as the child read them (the parts proj-tui acts on)."""
        from proj_tui.framework.settings import Settings

        answer = KedroDescriber(metadata).answer(static_conf=self.static_conf_source(metadata))
        kedro = answer.settings
        return Settings(
            CONF_SOURCE=str(kedro.get("CONF_SOURCE") or _DEFAULT_CONF_SOURCE),
            CONFIG_LOADER_ARGS={
                "base_env": str(kedro.get("base_env") or "base"),
                "default_run_env": str(kedro.get("default_run_env") or "local"),
            },
            source=Path(kedro["source"]) if kedro.get("source") else None,
        )

    def settings_file(self, metadata: ProjectMetadata) -> Path:
        return metadata.source_dir / metadata.package_name / "settings.py"

    def static_conf_source(self, metadata: ProjectMetadata) -> str:
        from proj_tui.framework.native import static_conf_source

        return static_conf_source(self.settings_file(metadata))

    def config_loader(
        self,
        metadata: ProjectMetadata,
        conf_source: Path,
        settings: Settings,
        env: str | None,
        runtime_params: Mapping[str, Any] | None,
    ) -> ConfigLoader:
        static = self.static_conf_source(metadata)
        overridden = (
            conf_source if conf_source != metadata.project_path / settings.CONF_SOURCE else None
        )
        return KedroConfig(
            KedroDescriber(metadata, overridden),
            conf_source,
            env=env,
            runtime_params=runtime_params,
            base_env=str(settings.CONFIG_LOADER_ARGS.get("base_env", "base")),
            default_run_env=str(settings.CONFIG_LOADER_ARGS.get("default_run_env", "local")),
            static_conf=static,
        )

    def pipelines(
        self, metadata: ProjectMetadata, *, refresh: bool = False, reimport: bool = False
    ) -> dict[str, Pipeline]:
        """Kedro's registered pipelines, described (a changed source file is always re-read)."""
        from proj_tui.framework.kedro_nodes import build_pipelines

        answer = KedroDescriber(metadata).answer(static_conf=self.static_conf_source(metadata))
        return build_pipelines(answer.pipelines())


class KedroConfig(ConfigLoader):
    """A Kedro project's config for one env, as Kedro's own config loader merged it.

    ``loader["parameters"]`` and ``loader["catalog"]`` are what the project's
    ``CONFIG_LOADER_CLASS`` returned in the project's interpreter (runtime params included);
    ``provenance("parameters")`` says, for each leaf, the file and line it was set in.
    Credentials never leave the project's process: ``loader["credentials"]`` is empty here.
    The env is resolved as Kedro resolves it: ``env``, else ``$KEDRO_ENV``, else the settings'
    ``default_run_env``.
    """

    def __init__(
        self,
        describer: KedroDescriber,
        conf_source: Path,
        *,
        env: str | None,
        runtime_params: Mapping[str, Any] | None,
        base_env: str,
        default_run_env: str,
        static_conf: str,
    ) -> None:
        super().__init__(
            conf_source,
            env=env,
            runtime_params=runtime_params,
            base_env=base_env,
            default_run_env=default_run_env,
            env_var=KEDRO_ENV_VAR,
        )
        self._describer = describer
        self._static_conf = static_conf
        self._answer: ConfigAnswer | None = None
        self._asked_params = dict(runtime_params or {})

    def __repr__(self) -> str:
        return f"KedroConfig(conf_source={str(self.conf_source)!r}, env={self.env!r})"

    @property
    def answer(self) -> ConfigAnswer:
        """What the project's Kedro said for this env (asked once, on first use)."""
        if self._answer is None:
            self._answer = self._describer.config(self.env, self._asked_params, self._static_conf)
        return self._answer

    def __getitem__(self, key: str) -> dict[str, Any]:
        if key in self._set:
            return copy.deepcopy(self._set[key])
        if key == "parameters":
            return copy.deepcopy(self.answer.parameters)
        if key == "catalog":
            broken = [e for e in self.answer.errors if e.get("section") == "catalog"]
            if broken:  # a bad catalog file, or a dataset Kedro cannot build
                raise to_error(broken[0])
            return copy.deepcopy(self.answer.catalog)
        if key in self.config_patterns:
            return {}  # credentials and the rest stay in the project's process
        return super().__getitem__(key)  # the unknown-key error, with "did you mean"

    def check(self) -> None:
        _ = self.answer

    def files(self, key: str) -> list[Path]:
        return [Path(p) for p in self.answer.files.get(key, [])]

    def provenance(self, key: str) -> dict[str, Provenance]:
        if key != "parameters":
            if key == "catalog":
                return _catalog_provenance(self.answer, self.conf_source)
            return {}
        out: dict[str, Provenance] = {}
        flat_values = _flatten(self.answer.parameters)
        for dotted, doc in self.answer.provenance.items():
            file = doc.get("file")
            out[dotted] = Provenance(
                dotted,
                flat_values.get(dotted),
                str(doc.get("env") or ""),
                Path(file) if file else None,
                [
                    Override(
                        str(o.get("env") or ""),
                        Path(o["file"]) if o.get("file") else None,
                        o.get("value"),
                    )
                    for o in doc.get("overridden") or []
                ],
                line=doc.get("line"),
            )
        return out

    @property
    def typed(self) -> dict[str, dict[str, Any]]:
        """Kedro 1.3+'s typed parameters: key → type name, kind and field types."""
        return dict(self.answer.typed)

    @property
    def validation_error(self) -> str | None:
        """Kedro's parameter validation message for these parameters, or None when valid."""
        return self.answer.validation_error

    def persisted(self, name: str) -> bool:
        """Whether Kedro's catalog keeps dataset ``name`` between runs (not a MemoryDataset)."""
        return self.answer.persisted.get(name, False)


def _flatten(params: Mapping[str, Any]) -> dict[str, Any]:
    from proj_tui.config import flatten

    return flatten(params)


def _catalog_provenance(answer: ConfigAnswer, conf_source: Path) -> dict[str, Provenance]:
    """Each leaf of the catalog with the env and file of the entry it belongs to."""
    from proj_tui.config import flatten
    from proj_tui.config.yaml_io import load_config_file

    owners: dict[str, tuple[str, Path]] = {}  # entry name -> (env, file); later files win
    for file in answer.files.get("catalog", []):
        source = Path(file)
        try:
            env = source.relative_to(conf_source).parts[0]
            data = load_config_file(source)
        except Exception:  # Kedro read it; our reader is stricter (duplicate keys)
            continue
        for name in data:
            owners[str(name)] = (env, source)
    by_length = sorted(owners, key=len, reverse=True)  # "a.b" before "a" for dotted names
    out: dict[str, Provenance] = {}
    for dotted, value in flatten(answer.catalog).items():
        entry = next((n for n in by_length if dotted == n or dotted.startswith(n + ".")), None)
        if entry is None:
            out[dotted] = Provenance(dotted, value, answer.env, None, [])
        else:
            out[dotted] = Provenance(dotted, value, owners[entry][0], owners[entry][1], [])
    return out
