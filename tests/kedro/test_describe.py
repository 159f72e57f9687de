"""What proj-tui says about a Kedro project is what Kedro itself says: pipelines, parameters, errors.

Each side is asked in its own process: ours through the CLI or ``Project`` (whose answers come from
``python -m proj_tui.kedro.describe`` in the project's Python), Kedro's through a small script using
Kedro's public API (``bootstrap_project``, ``pipelines``, ``KedroSession.load_context().params``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from kedro_project import PACKAGE
from proj_tui.config import ConfigError
from proj_tui.framework.project import Project
from proj_tui.framework.settings import SettingsError
from proj_tui.framework.startup import PipelineLoadError

_KEDRO_SAYS = """\
import inspect, json, sys
from pathlib import Path
from kedro.framework.project import pipelines
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

project, env, params = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
bootstrap_project(project)
out = {"pipelines": {}}
for name, pipe in pipelines.items():
    out["pipelines"][name] = [
        {
            "name": n.name,
            "namespace": n.namespace,
            "tags": sorted(n.tags),
            "inputs": n.inputs,
            "outputs": n.outputs,
            "source": f"{inspect.getsourcefile(n.func)}:{inspect.getsourcelines(n.func)[1]}",
        }
        for n in pipe.nodes
    ]
with KedroSession.create(project, env=env, runtime_params=params) as session:
    out["params"] = session.load_context().params
print(json.dumps(out))
"""


def _kedro_says(project: Path, env: str, params: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _KEDRO_SAYS, str(project), env, json.dumps(params)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "proj_tui", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_pipelines_describe_lists_kedros_nodes(kedro_project: Path, tmp_path: Path) -> None:
    done = _cli("pipelines", "describe", "--json", "--project", str(kedro_project), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ours = json.loads(done.stdout)["pipelines"]
    kedro = _kedro_says(kedro_project, "local", {})["pipelines"]
    assert sorted(ours) == sorted(kedro) == ["__default__", "data_processing", "reporting"]
    for name, nodes in kedro.items():
        got = [
            {k: n[k] for k in ("name", "namespace", "tags", "inputs", "outputs", "source")}
            for n in ours[name]["nodes"]
        ]
        assert got == nodes, name
    by_name = {n["name"]: n for n in ours["__default__"]["nodes"]}
    # Kedro's hashed default name, a namespace, transcoded inputs and outputs, as Kedro has them
    assert "preprocess_shuttles__e9895aee" in by_name
    assert by_name["reporting.summarize"]["short_name"] == "summarize"
    assert by_name["reporting.summarize"]["namespace"] == "reporting"
    assert by_name["split_data"]["inputs"][0] == "model_input_table@frame"
    assert by_name["create_model_input_table"]["outputs"] == ["model_input_table@pandas"]
    assert by_name["split_data"]["func"] == f"{PACKAGE}.pipelines.data_processing.nodes.split_data"


def test_selections_follow_kedros_filters_on_the_described_pipeline(kedro_project: Path) -> None:
    pipeline = Project.load(kedro_project).pipeline()
    # a plain name selects every transcoded form of it, as in Kedro
    assert [n.name for n in pipeline.from_inputs("model_input_table").nodes] == [
        "split_data",
        "reporting.summarize",
    ]
    assert [n.name for n in pipeline.only_nodes_with_namespaces("reporting").nodes] == [
        "reporting.summarize"
    ]
    assert [n.name for n in pipeline.only_nodes_with_tags("preprocessing").nodes] == [
        "preprocess_companies",
        "preprocess_shuttles__e9895aee",
    ]
    node = pipeline.nodes[0]
    assert node.source_location is not None
    assert node.source_location[0].endswith("data_processing/nodes.py")
    with pytest.raises(TypeError, match="runs in the project's own Python through Kedro"):
        node.func()


def test_parameters_are_merged_as_kedro_merges_them_with_file_and_line(
    kedro_project: Path, tmp_path: Path
) -> None:
    _write(
        kedro_project / "conf/local/parameters.yml",
        """\
        # local tweaks
        split:
          test_size: 0.3
        reporting:
          top_n: 5
        """,
    )
    runtime = {"features": {"scale": 7}, "runtime": {"pause_s": 0.5}}
    loader = Project.load(kedro_project).config_loader("local", runtime)
    params = loader["parameters"]
    assert params == _kedro_says(kedro_project, "local", runtime)["params"]
    # Kedro replaces a top-level key an env sets (its default merge): random_state is gone;
    # and a nested runtime parameter replaces its siblings (fail_node): the form shows what
    # Kedro will run, not what our own loader would make of the same files.
    assert params["split"] == {"test_size": 0.3}
    assert params["runtime"] == {"pause_s": 0.5}
    where = loader.provenance("parameters")
    base, local = kedro_project / "conf/base", kedro_project / "conf/local"
    assert (where["split.test_size"].path, where["split.test_size"].line) == (
        local / "parameters.yml",
        3,
    )
    assert where["split.test_size"].overridden[0].value == 0.25
    assert (where["reporting.top_n"].path, where["reporting.top_n"].line) == (
        local / "parameters.yml",
        5,
    )
    without = Project.load(kedro_project).config_loader("local").provenance("parameters")
    assert (without["runtime.fail_node"].path, without["runtime.fail_node"].line) == (
        base / "parameters.yml",
        7,
    )
    assert where["features.scale"].env == "runtime" and where["features.scale"].path is None
    assert where["features.scale"].overridden[0].value == 2
    # the CLI's read-only config commands work unchanged on it
    done = _cli(
        "config",
        "blame",
        "--json",
        "--env",
        "local",
        "--params",
        "features.scale=7,runtime.pause_s=0.5",
        "--project",
        str(kedro_project),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    rows = {r["key"]: r for r in json.loads(done.stdout)["keys"] if r["section"] == "parameters"}
    assert rows["split.test_size"]["file"] == "conf/local/parameters.yml"
    assert rows["features.scale"]["value"] == 7
    assert "split.random_state" not in rows


def test_typed_parameters_come_with_their_types_and_kedros_validation_error(
    kedro_project: Path,
) -> None:
    pkg = kedro_project / "src" / PACKAGE / "pipelines" / "checks"
    _write(pkg / "__init__.py", "from .pipeline import create_pipeline\n")
    _write(
        pkg / "pipeline.py",
        """\
        from dataclasses import dataclass

        from kedro.pipeline import Pipeline, node


        @dataclass
        class SplitOptions:
            test_size: float
            random_state: int


        def check_split(options: SplitOptions) -> float:
            return options.test_size


        def create_pipeline(**kwargs) -> Pipeline:
            return Pipeline([node(check_split, "params:split", "split_checked", name="check")])
        """,
    )
    project = Project.load(kedro_project)
    loader = project.config_loader("local", {"split": {"test_sise": 0.1}})
    typed = loader.typed["split"]
    assert (typed["name"], typed["kind"]) == ("SplitOptions", "dataclass")
    assert typed["fields"] == {"test_size": "float", "random_state": "int"}
    assert loader.validation_error is not None
    assert "split" in loader.validation_error and "test_sise" in loader.validation_error
    assert project.config_loader("local").validation_error is None


def test_an_error_in_settings_py_is_named_by_file_and_line(kedro_project: Path) -> None:
    settings_py = kedro_project / "src" / PACKAGE / "settings.py"
    text = settings_py.read_text(encoding="utf-8")
    settings_py.write_text(text + "CONF_SOURCE = no_such_name\n", encoding="utf-8")
    line = text.count("\n") + 1
    with pytest.raises(SettingsError, match="NameError") as info:
        Project.load(kedro_project).envs()
    assert info.value.location is not None
    assert (info.value.location.path, info.value.location.line) == (settings_py, line)
    assert f"settings.py:{line}" in str(info.value)


def test_a_yaml_error_in_parameters_yml_is_named_by_file_and_line(kedro_project: Path) -> None:
    params_yml = kedro_project / "conf/base/parameters.yml"
    params_yml.write_text("features:\n  scale: [1, 2\nsplit: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Project.load(kedro_project).config_loader()["parameters"]
    assert info.value.location is not None
    assert info.value.location.path == params_yml
    assert info.value.location.line == 3


def test_a_failing_pipeline_is_named_by_file_and_line_also_by_the_cli(
    kedro_project: Path, tmp_path: Path
) -> None:
    pipeline_py = kedro_project / "src" / PACKAGE / "pipelines" / "reporting" / "pipeline.py"
    text = pipeline_py.read_text(encoding="utf-8")
    marker = "def create_pipeline(**kwargs) -> Pipeline:\n"
    pipeline_py.write_text(
        text.replace(marker, marker + '    raise ValueError("no reporting today")\n'),
        encoding="utf-8",
    )
    line = text.splitlines().index(marker.rstrip("\n")) + 2
    with pytest.raises(PipelineLoadError, match="no reporting today") as info:
        Project.load(kedro_project).pipelines()
    assert info.value.location is not None
    assert (info.value.location.path, info.value.location.line) == (pipeline_py, line)
    done = _cli("pipelines", "list", "--project", str(kedro_project), cwd=tmp_path)
    assert done.returncode != 0
    assert f"reporting/pipeline.py:{line}" in done.stderr
    assert "Traceback" not in done.stderr
    # the parameters are still there: one broken section does not take the others down
    assert Project.load(kedro_project).config_loader()["parameters"]["features"] == {"scale": 2}


def test_a_broken_catalog_is_named_by_file_and_line_and_the_parameters_stay(
    kedro_project: Path,
) -> None:
    catalog = kedro_project / "conf/base/catalog.yml"
    catalog.write_text(catalog.read_text(encoding="utf-8") + "broken:\n  type: [oops\n")
    loader = Project.load(kedro_project).config_loader()
    assert loader["parameters"]["split"]["random_state"] == 3
    with pytest.raises(ConfigError) as info:
        loader["catalog"]
    assert info.value.location is not None and info.value.location.path == catalog
    assert info.value.location.line is not None
