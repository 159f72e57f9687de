"""Real Kedro projects for the tests: made by ``kedro new`` (offline), then given pipelines.

``make_kedro_project(root)`` builds a project the way a user's looks: Kedro's own template, with
pipelines written against Kedro's API (``find_pipelines`` in the registry), kedro-datasets' pandas
CSV and Parquet and pickle datasets, a namespace, a transcoded dataset, a versioned dataset, a
credentials entry and a project hook. ``kedro new`` runs once per test session; each test gets its
own copy.

Switches the tests use (all parameters, so ``--params`` reaches them):
- ``runtime.fail_node``: the node of that short name raises ``RuntimeError("boom in <name>")``.
- ``runtime.pause_s``: ``preprocess_shuttles`` sleeps that long (cancel and SIGKILL tests).
- the project hook appends ``<event> <session_id>`` lines to ``data/hook_fired.txt``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

PACKAGE = "space_lite"
SECRET = "s3cr3t-kedro-token-4f9a1c77"  # in conf/local/credentials.yml; must never be stored

_FILES: dict[str, str] = {
    "conf/base/catalog.yml": """\
        companies:
          type: pandas.CSVDataset
          filepath: data/01_raw/companies.csv
          credentials: local_fs

        shuttles:
          type: pandas.CSVDataset
          filepath: data/01_raw/shuttles.csv

        preprocessed_companies:
          type: pandas.ParquetDataset
          filepath: data/02_intermediate/preprocessed_companies.parquet

        model_input_table@pandas:
          type: pandas.ParquetDataset
          filepath: data/03_primary/model_input_table.parquet

        model_input_table@frame:
          type: pandas.ParquetDataset
          filepath: data/03_primary/model_input_table.parquet

        split_data:
          type: pickle.PickleDataset
          filepath: data/05_model_input/split_data.pkl
          versioned: true

        reporting.summary:
          type: pandas.CSVDataset
          filepath: data/08_reporting/summary.csv
        """,
    "conf/base/parameters.yml": """\
        features:
          scale: 2
        split:
          test_size: 0.25
          random_state: 3
        runtime:
          fail_node: ""
          pause_s: 0
        """,
    "conf/base/parameters_reporting.yml": """\
        reporting:
          top_n: 3
        """,
    "conf/local/credentials.yml": f"""\
        local_fs:
          api_token: {SECRET}
        """,
    "data/01_raw/companies.csv": """\
        id,company_rating,iata_approved
        1,90%,t
        2,75%,f
        3,100%,t
        4,60%,t
        """,
    "data/01_raw/shuttles.csv": """\
        id,company_id,engines,price
        10,1,2,1000
        11,2,4,2500
        12,3,1,800
        13,4,2,1200
        """,
    "src/{pkg}/hooks.py": """\
        \"\"\"A project hook, to check that the project's own hooks keep firing.\"\"\"

        from __future__ import annotations

        from pathlib import Path

        from kedro.framework.hooks import hook_impl


        class MarkerHooks:
            @hook_impl
            def before_pipeline_run(self, run_params, pipeline, catalog):
                self._write("before_pipeline_run", run_params)

            @hook_impl
            def after_pipeline_run(self, run_params, run_result, pipeline, catalog):
                self._write("after_pipeline_run", run_params)

            def _write(self, event, run_params):
                path = Path(run_params["project_path"]) / "data" / "hook_fired.txt"
                with path.open("a", encoding="utf-8") as fh:
                    fh.write(f"{event} {run_params['run_id']}\\n")
        """,
    "src/{pkg}/pipelines/data_processing/__init__.py": """\
        from .pipeline import create_pipeline

        __all__ = ["create_pipeline"]
        """,
    "src/{pkg}/pipelines/data_processing/nodes.py": """\
        from __future__ import annotations

        import logging
        import time

        import pandas as pd

        log = logging.getLogger(__name__)


        def _check(name: str, runtime: dict) -> None:
            if runtime.get("fail_node") == name:
                raise RuntimeError(f"boom in {name}")


        def preprocess_companies(companies: pd.DataFrame, runtime: dict) -> pd.DataFrame:
            _check("preprocess_companies", runtime)
            out = companies.copy()
            out["company_rating"] = out["company_rating"].str.rstrip("%").astype(float) / 100
            out["iata_approved"] = out["iata_approved"] == "t"
            log.info("preprocessed %d companies", len(out))
            return out


        def preprocess_shuttles(shuttles: pd.DataFrame, runtime: dict) -> pd.DataFrame:
            _check("preprocess_shuttles", runtime)
            if runtime.get("pause_s"):
                log.info("pausing %s s", runtime["pause_s"])
                time.sleep(float(runtime["pause_s"]))
            return shuttles.copy()


        def create_model_input_table(
            shuttles: pd.DataFrame, companies: pd.DataFrame, features: dict, runtime: dict
        ) -> pd.DataFrame:
            _check("create_model_input_table", runtime)
            table = shuttles.merge(companies, left_on="company_id", right_on="id")
            table["score"] = table["company_rating"] * features["scale"]
            return table[["engines", "price", "score", "iata_approved"]]


        def split_data(table: pd.DataFrame, split: dict, runtime: dict) -> dict:
            _check("split_data", runtime)
            test = table.sample(frac=split["test_size"], random_state=split["random_state"])
            return {"train": table.drop(test.index), "test": test}
        """,
    "src/{pkg}/pipelines/data_processing/pipeline.py": """\
        from kedro.pipeline import Pipeline, node

        from .nodes import (
            create_model_input_table,
            preprocess_companies,
            preprocess_shuttles,
            split_data,
        )


        def create_pipeline(**kwargs) -> Pipeline:
            return Pipeline(
                [
                    node(
                        preprocess_companies,
                        ["companies", "params:runtime"],
                        "preprocessed_companies",
                        name="preprocess_companies",
                        tags=["preprocessing"],
                    ),
                    node(
                        preprocess_shuttles,
                        ["shuttles", "params:runtime"],
                        "preprocessed_shuttles",
                        tags=["preprocessing"],
                    ),
                    node(
                        create_model_input_table,
                        [
                            "preprocessed_shuttles",
                            "preprocessed_companies",
                            "params:features",
                            "params:runtime",
                        ],
                        "model_input_table@pandas",
                        name="create_model_input_table",
                    ),
                    node(
                        split_data,
                        ["model_input_table@frame", "params:split", "params:runtime"],
                        "split_data",
                        name="split_data",
                        tags=["model"],
                    ),
                ]
            )
        """,
    "src/{pkg}/pipelines/reporting/__init__.py": """\
        from .pipeline import create_pipeline

        __all__ = ["create_pipeline"]
        """,
    "src/{pkg}/pipelines/reporting/nodes.py": """\
        from __future__ import annotations

        import pandas as pd


        def summarize(split: dict, top_n: int) -> pd.DataFrame:
            train = split["train"].sort_values("price", ascending=False).head(top_n)
            return train.reset_index(drop=True)
        """,
    "src/{pkg}/pipelines/reporting/pipeline.py": """\
        from kedro.pipeline import Pipeline, node

        from .nodes import summarize


        def create_pipeline(**kwargs) -> Pipeline:
            return Pipeline(
                [node(summarize, ["split_data", "params:top_n"], "summary", name="summarize")],
                namespace="reporting",
                inputs={"split_data"},
                parameters={"params:top_n": "params:reporting.top_n"},
            )
        """,
}


def kedro_new(root: Path, name: str = "space-lite") -> Path:
    """``kedro new`` from the template in the kedro wheel (no network); returns the project."""
    root.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    subprocess.run(
        [sys.executable, "-m", "kedro", "new", f"--name={name}", "--tools=none", "--example=n"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return root / name


def make_kedro_project(root: Path) -> Path:
    """A fresh Kedro project at ``root / "space-lite"`` with the pipelines described above."""
    project = kedro_new(root)
    for rel, text in _FILES.items():
        path = project / rel.format(pkg=PACKAGE)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    settings = project / "src" / PACKAGE / "settings.py"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + "\nfrom space_lite.hooks import MarkerHooks  # noqa: E402\n\nHOOKS = (MarkerHooks(),)\n",
        encoding="utf-8",
    )
    for sub in ("02_intermediate", "03_primary", "05_model_input", "08_reporting"):
        (project / "data" / sub).mkdir(parents=True, exist_ok=True)
    return project


def copy_project(template: Path, dest: Path) -> Path:
    """A per-test copy of a session-wide template project."""
    shutil.copytree(template, dest, symlinks=True)
    return dest


# -- helpers for the plugin tests (tests/kedro/test_plugin*.py) ------------------------------------


def kedro_env(**extra: str) -> dict[str, str]:
    """The environment a test's ``kedro`` subprocess gets: telemetry off, no crash-witness opt-out."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    env.pop("PROJ_TUI_NO_WATCHDOG", None)
    env.update(extra)
    return env


def kedro_run(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``kedro run ARGS`` in ``project`` (the real CLI, as a person types it)."""
    return subprocess.run(
        [sys.executable, "-m", "kedro", "run", *args],
        cwd=project,
        env=kedro_env(**env),
        capture_output=True,
        text=True,
        timeout=180,
    )


def disable_plugin(project: Path, distribution: str = "proj-tui") -> None:
    """Turn a Kedro plugin off the Kedro way: ``DISABLE_HOOKS_FOR_PLUGINS`` in settings.py."""
    settings = project / "src" / PACKAGE / "settings.py"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + f"\nDISABLE_HOOKS_FOR_PLUGINS = ({distribution!r},)\n",
        encoding="utf-8",
    )
