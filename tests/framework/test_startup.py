from __future__ import annotations

from pathlib import Path

import pytest

from proj_tui.framework.settings import load_settings
from proj_tui.framework.startup import (
    PipelineLoadError,
    ProjectError,
    bootstrap_project,
    find_project_root,
    load_pipelines,
)


def _pyproject(tmp_path: Path, body: str) -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "pyproject.toml").write_text(body)
    return tmp_path


def test_bootstrap_reads_metadata_and_puts_source_on_path(demo: Path) -> None:
    import sys

    meta = bootstrap_project(demo)
    assert meta.package_name == "taxi_fares"
    assert meta.project_name == "Taxi fares"
    assert meta.source_dir == demo / "src"
    assert sys.path[0] == str(demo / "src")


def test_no_pyproject(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"No pyproject\.toml"):
        bootstrap_project(tmp_path)


def test_bad_toml_names_line_and_column(tmp_path: Path) -> None:
    _pyproject(tmp_path, "[tool.proj_tui]\npackage_name = = 'x'\n")
    with pytest.raises(ProjectError) as info:
        bootstrap_project(tmp_path)
    assert info.value.location is not None and info.value.location.line == 2
    assert "not valid TOML" in str(info.value)


def test_missing_table(tmp_path: Path) -> None:
    _pyproject(tmp_path, "[project]\nname = 'x'\n")
    with pytest.raises(ProjectError, match=r"no \[tool.proj_tui\] table"):
        bootstrap_project(tmp_path)


def test_missing_keys(tmp_path: Path) -> None:
    _pyproject(tmp_path, "[tool.proj_tui]\npackage_name = 'x'\n")
    with pytest.raises(ProjectError, match="missing 'project_name'"):
        bootstrap_project(tmp_path)


def test_unknown_key_suggests(tmp_path: Path) -> None:
    _pyproject(tmp_path, "[tool.proj_tui]\npackage_name='x'\nproject_name='X'\nsource_dirs='src'\n")
    with pytest.raises(ProjectError, match="Did you mean 'source_dir'"):
        bootstrap_project(tmp_path)


def test_source_dir_outside_project(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    _pyproject(proj, "[tool.proj_tui]\npackage_name='x'\nproject_name='X'\nsource_dir='../'\n")
    with pytest.raises(ProjectError, match="outside the project"):
        bootstrap_project(proj)


def test_missing_source_dir(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.proj_tui]\npackage_name='x'\nproject_name='X'\nsource_dir='lib'\n"
    )
    with pytest.raises(ProjectError, match="does not exist"):
        bootstrap_project(tmp_path)


def test_find_project_root_walks_up(demo: Path) -> None:
    assert find_project_root(demo / "conf" / "base") == demo
    assert find_project_root(demo.parent) is None


def test_pipelines_load_and_discover(demo: Path) -> None:
    bootstrap_project(demo)
    pipelines = load_pipelines("taxi_fares", refresh=True)
    assert set(pipelines) == {"__default__", "data_processing", "data_science", "reporting"}
    default = pipelines["__default__"]
    assert len(default.nodes) == 11
    names = [n.name for n in default.nodes]
    assert names.index("ingest_trips") < names.index("model_a.train_model")


def test_broken_pipeline_code_names_file_and_line(demo: Path) -> None:
    nodes = demo / "src" / "taxi_fares" / "pipelines" / "reporting" / "pipeline.py"
    nodes.write_text(nodes.read_text() + "\nraise RuntimeError('boom')\n")
    bootstrap_project(demo)
    with pytest.raises(PipelineLoadError) as info:
        load_pipelines("taxi_fares", refresh=True)
    assert info.value.location is not None
    assert info.value.location.path == nodes
    assert "boom" in str(info.value)


def test_settings_defaults_and_values(demo: Path) -> None:
    bootstrap_project(demo)
    settings = load_settings("taxi_fares")
    assert settings.CONF_SOURCE == "conf"
    assert settings.ENV_VARS_PREFIX == "TAXI_"


def test_settings_typo_is_a_warning(demo: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Kedro ignores unknown upper-case names; we warn, with a near miss when there is one."""
    settings_py = demo / "src" / "taxi_fares" / "settings.py"
    settings_py.write_text(settings_py.read_text() + "\nCONF_SOURSE = 'cfg'\n")
    bootstrap_project(demo)
    import sys

    sys.modules.pop("taxi_fares.settings", None)
    settings = load_settings("taxi_fares")
    assert settings.CONF_SOURCE == "conf"
    assert "Did you mean 'CONF_SOURCE'" in caplog.text
