"""Project settings, ported from Kedro's tests/framework/project/test_settings.py and the
session-store cases of tests/framework/session/test_session.py. Kedro ignores upper-case names it
does not know; a known setting with a bad value fails with a message naming settings.py."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kedro_parity._confkit import make_project
from proj_tui.framework.session import Session
from proj_tui.framework.settings import SettingsError, load_settings
from proj_tui.framework.startup import bootstrap_project
from proj_tui.framework.store import SQLiteSessionStore

HOOKS = """
from proj_tui.framework.hooks import hook_impl


class ProjectHooks:
    @hook_impl
    def after_context_created(self, context):
        pass
"""


def settings_of(tmp_path: Path, text: str):
    project, package = make_project(tmp_path / "proj", settings=text)
    bootstrap_project(project)
    return load_settings(package), project


def test_settings_defaults(tmp_path: Path) -> None:
    """Kedro: test_settings_after_configuring_project_shows_defaults."""
    settings, _ = settings_of(tmp_path, "")
    assert settings.CONF_SOURCE == "conf"
    assert settings.HOOKS == ()
    assert settings.CONFIG_LOADER_ARGS == {}


def test_settings_after_configuring_project_shows_updated_values(tmp_path: Path) -> None:
    """Kedro: test_settings_after_configuring_project_shows_updated_values."""
    settings, _ = settings_of(
        tmp_path,
        HOOKS + "HOOKS = (ProjectHooks(),)\nCONF_SOURCE = 'config'\n"
        "CONFIG_LOADER_ARGS = {'base_env': 'base', 'default_run_env': 'local'}\n"
        "DISABLE_HOOKS_FOR_PLUGINS = ['some_plugin']\n",
    )
    assert settings.CONF_SOURCE == "config"
    assert type(settings.HOOKS[0]).__name__ == "ProjectHooks"
    assert settings.CONFIG_LOADER_ARGS["default_run_env"] == "local"
    assert settings.DISABLE_HOOKS_FOR_PLUGINS == ("some_plugin",)


@pytest.mark.parametrize(
    "line",
    [
        "from proj_tui.config import ConfigLoader\nCONFIG_LOADER_CLASS = ConfigLoader",
        "DATASET_VALIDATION = True",
        "DATA_CATALOG_CLASS = 'kedro.io.DataCatalog'",
        "MY_CONSTANT = 42",
    ],
)
def test_unknown_upper_case_names_are_ignored(tmp_path: Path, line: str) -> None:
    """Kedro ignores settings it does not use; so do we (with a log line, never an error)."""
    settings, _ = settings_of(tmp_path, line + "\n")
    assert settings.CONF_SOURCE == "conf"


def test_a_likely_typo_warns_with_a_near_miss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        settings_of(tmp_path, "SESSION_STORE_ARG = {}\n")
    assert "Did you mean 'SESSION_STORE_ARGS'" in caplog.text


def test_a_setting_of_the_wrong_kind(tmp_path: Path) -> None:
    """Kedro: test_validate_settings... — a known setting with a value of the wrong type."""
    with pytest.raises(SettingsError, match=r"HOOKS .* must be a tuple or list"):
        settings_of(tmp_path, "HOOKS = 'not-a-tuple'\n")


def test_settings_is_a_value_error(tmp_path: Path) -> None:
    """Kedro's settings validation raises a ValueError subclass; ours does too."""
    with pytest.raises(ValueError):
        settings_of(tmp_path, "ENV_VARS_PREFIX = 3\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SESSION_STORE_ARGS = {'bogus': 1}", "'bogus' that SQLiteSessionStore does not take"),
        ("SESSION_STORE_CLASS = 'os.system'", "not a session store class"),
        ("SESSION_STORE_CLASS = 'pathlib.Path'", "not a session store class"),
        ("SESSION_STORE_CLASS = 'no_such_module.Store'", "cannot be imported"),
    ],
)
def test_bad_session_store_settings(tmp_path: Path, text: str, message: str) -> None:
    """Kedro: test_session_store_class / bad args — a clear error when the store is built."""
    project, _ = make_project(tmp_path / "proj", settings=text + "\n")
    with pytest.raises(SettingsError, match=message):
        Session.create(project_path=project)


def test_custom_session_store_args(tmp_path: Path) -> None:
    """Kedro: SESSION_STORE_ARGS reach the store; a relative path is under the project."""
    project, _ = make_project(
        tmp_path / "proj",
        settings="SESSION_STORE_ARGS = {'path': 'history/s.db', 'busy_timeout': 9}\n",
    )
    with Session.create(project_path=project) as session:
        assert isinstance(session.store, SQLiteSessionStore)
        assert session.store.path == project / "history" / "s.db"
        assert session.store.busy_timeout == 9


def test_bad_config_loader_args(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="'bogus' that ConfigLoader does not take"):
        settings_of(tmp_path, "CONFIG_LOADER_ARGS = {'bogus': 1}\n")


def test_config_loader_args_reach_the_loader(tmp_path: Path) -> None:
    """Kedro: CONFIG_LOADER_ARGS (merge_strategy, custom_resolvers) shape the session's loader."""
    project, _ = make_project(
        tmp_path / "proj",
        settings="CONFIG_LOADER_ARGS = {'custom_resolvers': {'twice': lambda x: 2 * x}}\n",
        params="x: ${twice:21}\n",
    )
    with Session.create(project_path=project, save_on_close=False) as session:
        assert session.load_context().params == {"x": 42}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("HOOKS = (object(),)", "implements no hooks"),
        ("HOOKS = ('my_pkg.hooks.ProjectHooks',)", "implements no hooks"),
        (HOOKS + "HOOKS = (ProjectHooks,)", r"write ProjectHooks\(\)"),
    ],
)
def test_hooks_that_would_do_nothing(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings_of(tmp_path, text + "\n")


def test_settings_calling_sys_exit(tmp_path: Path) -> None:
    """sys.exit(0) in settings.py used to end `proj-tui run` with exit 0 and nothing run."""
    with pytest.raises(SettingsError, match=r"sys\.exit\(0\)"):
        settings_of(tmp_path, "raise SystemExit(0)\n")


@pytest.mark.xfail(
    strict=True, reason="difference: a HOOKS entry with no hooks is an error (docs/architecture.md)"
)
def test_any_hooks_entry_is_accepted(tmp_path: Path) -> None:
    """Kedro registers whatever HOOKS lists, even an object that implements nothing."""
    settings, _ = settings_of(tmp_path, "HOOKS = (object(),)\n")
    assert len(settings.HOOKS) == 1
