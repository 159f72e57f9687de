"""One test per Kedro access in ``proj_tui.kedro.run_compat`` (beyond Kedro's documented API).

If a Kedro upgrade moves one of them, the test of that access fails by name; ``pyproject.toml``
pins Kedro to the range these passed on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node

from proj_tui.kedro import run_compat


def _identity(x: object) -> object:
    return x


def test_run_command_is_kedro_runs_click_command_with_every_option_we_pass() -> None:
    names = {opt for param in run_compat.run_command().params for opt in param.opts}
    ours = {
        "--pipelines", "--env", "--params", "--conf-source", "--tags", "--nodes", "--from-nodes",
        "--to-nodes", "--from-inputs", "--to-outputs", "--namespaces", "--load-versions",
        "--only-missing-outputs", "--runner", "--runner-params", "--async",
    }  # fmt: skip
    assert ours <= names


def test_session_class_is_a_kedro_session() -> None:
    assert issubclass(run_compat.session_class(), KedroSession)


def test_hook_manager_is_the_sessions_own(tmp_path: Path) -> None:
    session = KedroSession(session_id="s1", project_path=tmp_path)
    manager = run_compat.hook_manager(session)
    assert manager.hook.before_pipeline_run is not None
    assert manager is run_compat.hook_manager(session)


def test_bare_hook_manager_has_kedros_specs_and_no_plugins() -> None:
    manager = run_compat.bare_hook_manager()
    assert hasattr(manager.hook, "after_catalog_created")
    assert manager.get_plugins() == set()


def test_warm_up_materialises_factory_datasets() -> None:
    catalog = DataCatalog.from_config({"{name}_mem": {"type": "MemoryDataset"}})
    run_compat.warm_up(catalog, ["a_mem"])
    assert "a_mem" in catalog._datasets


def test_nodes_to_resume_from_walks_up_to_persisted_inputs(tmp_path: Path) -> None:
    from kedro_datasets.pickle import PickleDataset

    pipeline = Pipeline(
        [
            node(_identity, "raw", "kept", name="first"),
            node(_identity, "kept", "in_memory", name="second"),
            node(_identity, "in_memory", "out", name="third"),
        ]
    )
    catalog = DataCatalog(
        {
            "raw": MemoryDataset(1),
            "kept": PickleDataset(filepath=str(tmp_path / "kept.pkl")),
            "in_memory": MemoryDataset(),
        }
    )
    run_compat.warm_up(catalog, pipeline.datasets())
    third = [n for n in pipeline.nodes if n.name == "third"]
    # 'third' reads an in-memory dataset: the resume starts at its producer, whose input is kept
    assert run_compat.nodes_to_resume_from(pipeline, third, catalog) == {"second"}


@pytest.mark.parametrize("name", ["SequentialRunner", "ThreadRunner", "ParallelRunner"])
def test_runner_names_load_from_kedro_runner(name: str) -> None:
    from kedro.utils import load_obj

    assert load_obj(name, "kedro.runner").__name__ == name


def test_is_ephemeral_reads_kedros_own_mark(tmp_path: Path) -> None:
    import inspect

    import kedro.runner.runner
    from kedro.io import CachedDataset
    from kedro.io.core import AbstractDataset
    from kedro_datasets.pickle import PickleDataset

    # the mark is Kedro's private attribute: if a release renames it, this fails here by name
    assert "_EPHEMERAL" in vars(AbstractDataset), (
        "Kedro no longer declares AbstractDataset._EPHEMERAL"
    )
    assert "_EPHEMERAL" in inspect.getsource(kedro.runner.runner), (
        "Kedro's runners no longer read _EPHEMERAL: run_compat.is_ephemeral must follow them"
    )
    pickled = PickleDataset(filepath=str(tmp_path / "x.pkl"))
    assert run_compat.is_ephemeral(MemoryDataset()) is True
    assert run_compat.is_ephemeral(CachedDataset(pickled)) is True
    assert run_compat.is_ephemeral(pickled) is False
