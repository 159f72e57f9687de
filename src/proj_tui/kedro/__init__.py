"""Code that runs inside a Kedro process: the project's own interpreter, with Kedro imported.

A Kedro project (``[tool.kedro]``) is described, configured and run by Kedro itself; proj-tui
records and drives it. The rest of proj-tui never imports this package nor Kedro: the framework's
Kedro kind starts a child process of the project's Python that runs a module from here, and
Kedro loads the recording plugin from here through the ``kedro.hooks`` entry point.
"""

from __future__ import annotations
