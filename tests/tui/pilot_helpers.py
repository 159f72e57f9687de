"""Waiting for the app under test to be idle: the one ``settle`` the app tests share."""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from typing import Any

from textual.pilot import Pilot
from textual.worker import Worker, WorkerCancelled, WorkerFailed

# Rounds of "wait for the busy workers, then let their messages be handled": each round is a
# real await on the workers, not a sleep. A screen that keeps starting workers forever would
# use them all up, and that is reported rather than waited for.
_ROUNDS = 200


def _busy(pilot: Pilot[Any], skip: Collection[str]) -> list[Worker[Any]]:
    return [w for w in pilot.app.workers if not w.is_finished and w.group not in skip]


async def settle(pilot: Pilot[Any], *, loaded: bool = True, skip: Collection[str] = ()) -> None:
    """Until the app is idle: no worker pending or running, and what they posted handled.

    ``loaded`` first waits for the project to be described (``first_screen_ready``), where the
    app has it. Workers of the ``skip`` groups (e.g. ``"runs"``, which follows a live session)
    are not waited for. A worker cancelled on the way is no error: an exclusive worker was
    replaced by a newer request, which the next round waits for. A failed one is the app's to
    show (in a modal or a toast, which the tests check), so it does not fail here either.
    """
    app = pilot.app
    if loaded and hasattr(app, "first_screen_ready"):
        for _ in range(_ROUNDS * 2):
            if app.first_screen_ready is not None:
                break
            await pilot.pause(0.05)
        else:
            raise AssertionError("the app never showed its first screen")
    for _ in range(_ROUNDS):
        busy = _busy(pilot, skip)
        if busy:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await app.workers.wait_for_complete(busy)
        await pilot.pause()  # the messages they posted; these may start more workers
        if not busy and not _busy(pilot, skip):
            return
    names = ", ".join(f"{w.group}: {w.description or w.name}" for w in _busy(pilot, skip))
    raise AssertionError(f"the app did not settle; still busy: {names}")


async def steady(pilot: Pilot[Any], *, skip: Collection[str] = ()) -> None:
    """Settled for a snapshot: idle (see :func:`settle`), no toasts, no blinking cursors."""
    from textual.widgets import Input

    await settle(pilot, skip=skip)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    pilot.app.clear_notifications()
    await pilot.pause()
