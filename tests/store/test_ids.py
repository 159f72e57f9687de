"""Session ids: shape, order, and bumping while taken."""

from __future__ import annotations

import time

import pytest

from proj_tui.framework.store import is_session_id, new_session_id
from proj_tui.framework.store.ids import id_from_millis, id_to_millis, next_session_id


def test_id_shape_is_utc_milliseconds_with_dots() -> None:
    # 2026-11-24T19:04:33.496Z
    assert new_session_id(1795547073.496) == "2026-11-24T19.04.33.496Z"
    assert is_session_id(new_session_id())
    assert ":" not in new_session_id()


def test_id_never_rounds_up_into_the_next_second() -> None:
    assert new_session_id(1795547073.9999) == "2026-11-24T19.04.33.999Z"


def test_ids_sort_as_strings_in_time_order() -> None:
    stamps = [0.001, 9.999, 10.0, 59.5, 3600.25, time.time(), 4102444800.0]
    ids = [new_session_id(t) for t in stamps]
    assert ids == sorted(ids)


def test_bump_adds_one_millisecond_across_boundaries() -> None:
    assert next_session_id("2026-12-31T23.59.59.999Z") == "2027-01-01T00.00.00.000Z"
    assert next_session_id("2026-11-24T19.04.33.496Z") == "2026-11-24T19.04.33.497Z"


def test_round_trip_and_bad_shape() -> None:
    millis = 1795547073496
    assert id_to_millis(id_from_millis(millis)) == millis
    with pytest.raises(ValueError, match="not a session id"):
        id_to_millis("2026-11-24 19:04:33")
