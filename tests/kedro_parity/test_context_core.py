"""The project context, ported from Kedro's tests/framework/context/test_context.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kedro_parity._confkit import make_project, write_text
from proj_tui.framework.session import Session
from proj_tui.io import DatasetError

PARAMS = "foo:\n  bar: 1\n  baz: [1, 2]\nfaz: 3\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj", params=PARAMS)[0]


_open: list[Session] = []


@pytest.fixture(autouse=True)
def _close_sessions() -> Iterator[None]:
    """Close the sessions a test opened: an open one keeps its log handler on the root logger."""
    yield
    while _open:
        _open.pop().close()


def context(project: Path, **kwargs):
    session = Session.create(project_path=project, save_on_close=False, **kwargs)
    _open.append(session)
    return session.load_context()


def test_attributes(project: Path) -> None:
    """Kedro: TestKedroContext::test_attributes."""
    ctx = context(project)
    assert ctx.project_path == project
    assert ctx.env == "local"
    assert ctx.package_name.startswith("parity_")


def test_params(project: Path) -> None:
    """Kedro: test_params."""
    assert context(project).params == {"foo": {"bar": 1, "baz": [1, 2]}, "faz": 3}


@pytest.mark.parametrize(
    ("extra", "expected_foo"),
    [
        ({"foo": {"bar": 2}}, {"bar": 2, "baz": [1, 2]}),
        ({"foo.bar": 2}, {"bar": 2, "baz": [1, 2]}),
        ({"foo": {"new": True}}, {"bar": 1, "baz": [1, 2], "new": True}),
    ],
)
def test_nested_params(project: Path, extra: dict, expected_foo: dict) -> None:
    """Kedro: test_nested_params — runtime params merge into parameters key by key."""
    assert context(project, extra_params=extra).params["foo"] == expected_foo


def test_params_missing_is_empty(tmp_path: Path) -> None:
    """Kedro: test_params_missing — no parameter files gives empty params."""
    project, _ = make_project(tmp_path / "p", params="")
    assert context(project).params == {}


def test_catalog_holds_params(project: Path) -> None:
    """Kedro: test_catalog — 'parameters' and 'params:<dotted>' entries are in the catalog."""
    catalog = context(project).catalog
    assert catalog.load("parameters")["faz"] == 3
    assert catalog.load("params:foo") == {"bar": 1, "baz": [1, 2]}
    assert catalog.load("params:foo.bar") == 1


def test_get_catalog_always_using_absolute_path(project: Path) -> None:
    """Kedro: test_get_catalog_always_using_absolute_path."""
    write_text(
        project / "conf" / "base" / "catalog.yml",
        "d:\n  type: json.JSONDataset\n  filepath: data/d.json\n",
    )
    catalog = context(project).catalog
    assert catalog.describe("d")["filepath"] == str(project / "data" / "d.json")


def test_missing_credentials_are_an_error(project: Path) -> None:
    """Kedro: test_get_catalog_validates... — a dataset naming unknown credentials."""
    write_text(
        project / "conf" / "base" / "catalog.yml",
        "d:\n  type: json.JSONDataset\n  filepath: d.json\n  credentials: nope\n",
    )
    with pytest.raises(DatasetError, match="credentials 'nope'"):
        _ = context(project).catalog


def test_credentials_resolve_into_the_catalog(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kedro: credentials.yml (with oc.env) feeds datasets that name them."""
    monkeypatch.setenv("PARITY_TOKEN", "t0k")
    write_text(
        project / "conf" / "local" / "credentials.yml", "db:\n  token: ${oc.env:PARITY_TOKEN}\n"
    )
    write_text(
        project / "conf" / "base" / "catalog.yml",
        "d:\n  type: json.JSONDataset\n  filepath: d.json\n  credentials: db\n",
    )
    dataset = context(project).catalog["d"]
    assert dataset._credentials == {"token": "t0k"}
