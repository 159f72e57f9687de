"""Code and data as they were, for Kedro sessions: the plugin's half of ``sessions reproduce``.

``ReproHooks`` is mixed into the plugin's hooks object (``plugin.ProjTuiHooks``), so Kedro loads it
with the one ``kedro.hooks`` entry point and ``DISABLE_HOOKS_FOR_PLUGINS`` turns it off with the
rest. Its implementations carry their own names (pluggy's ``specname``) beside the plugin's:
- once the session row exists (``trylast`` on ``before_pipeline_run``) the code state is recorded
  (``framework.code_state``; a clean tree costs nothing past the record's ``git status``);
- when the run ends, before the plugin finishes the record (``tryfirst`` on ``after_pipeline_run``
  and ``on_pipeline_error``), every dataset the nodes that ran loaded or saved is fingerprinted
  (``framework.data_fingerprint``), located through the catalog's datasets: their filepath,
  protocol and version. Nothing runs per node, so the plugin's per-node cost does not change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

from kedro.framework.hooks import hook_impl

logger = logging.getLogger(__name__)

_MEMORY_TYPES = ("MemoryDataset", "SharedMemoryDataset", "CachedDataset")


def kedro_location(
    dataset: Any, role: str, project_path: Path
) -> tuple[str, str | None, str | None, bool] | None:
    """``(type, path, version, local)`` of a Kedro dataset, or None for an in-memory one."""
    if dataset is None:
        return None
    kind = type(dataset)
    if kind.__name__ in _MEMORY_TYPES:
        return None
    type_name = f"{kind.__module__}.{kind.__qualname__}"
    filepath = getattr(dataset, "_filepath", None)
    if filepath is None:
        filepath = getattr(dataset, "_path", None) or getattr(dataset, "filepath", None)
    if filepath is None:
        return type_name, None, None, False
    protocol = str(getattr(dataset, "_protocol", "file") or "file")
    local = protocol in ("file", "local")
    version: str | None = None
    path: Any = filepath
    if getattr(dataset, "_version", None) is not None:
        try:
            if role == "save":
                version = dataset.resolve_save_version()
                path = dataset._get_versioned_path(version)
            else:
                path = dataset._get_load_path()
                version = PurePath(str(path)).parent.name
        except Exception:  # a version that is gone: record the dataset, not its version
            logger.debug("No version for %s", type_name, exc_info=True)
    text = str(path)
    if not local:
        return type_name, f"{protocol}://{text}", version, False
    full = Path(text)
    if not full.is_absolute():
        full = project_path / full
    return type_name, str(full), version, True


def record_kedro_datasets(
    store: Any,
    session_id: str,
    pipeline: Any,
    catalog: Any,
    project_path: Path,
    ran: set[str],
) -> None:
    """Fingerprint and store the datasets of the nodes in ``ran``; never fails the run."""
    from proj_tui.framework.data_fingerprint import node_datasets

    def locate(name: str, role: str) -> tuple[str, str | None, str | None, bool] | None:
        try:
            dataset = catalog.get(name)
        except Exception:
            dataset = None
        return kedro_location(dataset, role, project_path)

    try:
        records = node_datasets(pipeline.nodes, ran, locate)
        writer = getattr(store, "record_datasets", None)
        if writer is not None and records:
            writer(session_id, records, replace=True)
    except Exception:
        logger.warning("Could not record the datasets of session %s", session_id, exc_info=True)


def _source_dir(project: Path) -> Path:
    """The project's source folder as Kedro reads it (``[tool.kedro] source_dir``), else ``src``."""
    try:
        from kedro.framework.startup import _get_project_metadata

        return Path(_get_project_metadata(project).source_dir)
    except Exception:  # not bootstrapped the usual way: Kedro's default
        return project / "src"


class ReproHooks:
    """Hook implementations ``ProjTuiHooks`` inherits (see the module docstring)."""

    def recording(self, run_id: str) -> Any:  # ProjTuiHooks provides it
        raise NotImplementedError

    @hook_impl(specname="before_pipeline_run", trylast=True)
    def record_code_state(self, run_params: Mapping[str, Any]) -> None:
        recording = self.recording(str(run_params.get("run_id")))
        if recording is None:
            return
        from proj_tui.framework.code_state import record_code_state

        try:
            project = Path(str(run_params.get("project_path") or Path.cwd()))
            git = recording.store.get_session(recording.session_id).git
            roots = [_source_dir(project), project / "conf"]
            conf_source = run_params.get("conf_source")
            if conf_source:
                roots[1] = Path(str(conf_source))
            record_code_state(recording.store, recording.session_id, project, roots, git)
        except Exception:
            logger.warning("Could not record the code state of this Kedro run", exc_info=True)

    @hook_impl(specname="after_pipeline_run", tryfirst=True)
    def record_datasets_after_run(
        self, run_params: Mapping[str, Any], pipeline: Any, catalog: Any
    ) -> None:
        self._record_datasets(run_params, pipeline, catalog, failed=False)

    @hook_impl(specname="on_pipeline_error", tryfirst=True)
    def record_datasets_on_error(
        self, run_params: Mapping[str, Any], pipeline: Any, catalog: Any
    ) -> None:
        self._record_datasets(run_params, pipeline, catalog, failed=True)

    def _record_datasets(
        self, run_params: Mapping[str, Any], pipeline: Any, catalog: Any, *, failed: bool
    ) -> None:
        recording = self.recording(str(run_params.get("run_id")))
        if recording is None:
            return
        try:
            ran = {node.name for node in pipeline.nodes}
            if failed:  # only what ran: the parent's own view, and what workers stored
                runs = list(recording.recorder.node_runs())
                runs += recording.store.nodes(recording.session_id)
                ran = {r.name for r in runs if r.status in ("succeeded", "failed")}
            project = Path(str(run_params.get("project_path") or Path.cwd()))
            record_kedro_datasets(
                recording.store, recording.session_id, pipeline, catalog, project, ran
            )
        except Exception:
            logger.warning("Could not record the datasets of this Kedro run", exc_info=True)
