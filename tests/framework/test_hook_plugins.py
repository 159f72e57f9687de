"""Plugins from the ``proj_tui.hooks`` entry-point group: found when declared, free when not.

The group is looked for in the ``*.dist-info`` folders on ``sys.path`` before pluggy's full search
(which imports ``importlib.metadata`` and reads every installed distribution's metadata), so an
environment without plugins does not pay for that search on every run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from proj_tui.framework.hooks import ENTRY_POINT_GROUP, new_hook_manager, register_hooks


def _install_plugin(site: Path, name: str) -> None:
    """A distribution folder declaring ``name`` in the group, and the module it points at."""
    (site / f"{name}_mod.py").write_text(
        textwrap.dedent(
            """
            from proj_tui.framework.hooks import hook_impl


            class Hooks:
                @hook_impl
                def after_context_created(self, context):
                    pass


            hooks = Hooks()
            """
        )
    )
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{name} = {name}_mod:hooks\n")


def test_a_declared_plugin_is_registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_plugin(tmp_path, "speedplug")
    monkeypatch.syspath_prepend(str(tmp_path))
    manager = new_hook_manager()
    register_hooks(manager, [])
    assert manager.get_plugin("speedplug") is not None
    assert manager.hook.after_context_created.get_hookimpls()


def test_a_declared_plugin_can_be_disabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_plugin(tmp_path, "speedplug2")
    monkeypatch.syspath_prepend(str(tmp_path))
    manager = new_hook_manager()
    register_hooks(manager, [], disabled_plugins=["speedplug2"])
    assert manager.get_plugin("speedplug2") is None


def test_without_plugins_no_distribution_metadata_is_read() -> None:
    code = (
        "import sys\n"
        "from proj_tui.framework.hooks import new_hook_manager, register_hooks\n"
        "register_hooks(new_hook_manager(), [])\n"
        "print('importlib.metadata' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
