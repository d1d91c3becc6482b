"""Instants at the edges of what a date-time can hold, in bodies and query parameters: a value or
a 422 naming the field with the range, never a 500; and a running timer's start stays in the past."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from hours_http import create_app
from hours_memory import InMemoryStore
from tests.http.conftest import bearer
from tests.world import World, make_world

RANGE = "must be an instant from 1970-01-01T00:00:00Z to 2199-12-31T23:59:59.999999Z"

EDGES = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999999-23:59",
    "9999-12-31T23:00:00Z",
    "0001-01-01T00:00:00Z",
    "1969-12-31T23:59:59.999999Z",
    "2200-01-01T00:00:00Z",
]

rfc3339 = st.from_regex(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])",
    fullmatch=True,
)
offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
instants = st.one_of(rfc3339, st.datetimes(timezones=offsets).map(lambda value: value.isoformat()))


def entry_body(world: World, **fields: Any) -> dict[str, Any]:
    return {"projectId": str(world.project.id), "entryDate": "2026-03-02", "duration": "1h", **fields}


@pytest.mark.parametrize("value", EDGES)
def test_a_start_out_of_range_is_a_422_that_states_the_range(
    client: TestClient[Any], world: World, value: str
) -> None:
    response = client.post(
        "/time-entries", json=entry_body(world, startedAt=value), headers=bearer(world.owner_token)
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"] == {"startedAt": RANGE}


@pytest.mark.parametrize("value", EDGES)
def test_updated_since_out_of_range_is_a_422_that_states_the_range(
    client: TestClient[Any], world: World, value: str
) -> None:
    response = client.get("/time-entries", params={"updatedSince": value}, headers=bearer(world.owner_token))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"] == {"updatedSince": RANGE}


def test_a_start_plus_a_duration_past_the_range_is_a_422_on_the_start(
    client: TestClient[Any], world: World
) -> None:
    body = entry_body(world, startedAt="2199-12-31T23:30:00Z", duration="1h")
    response = client.post("/time-entries", json=body, headers=bearer(world.owner_token))
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "startedAt": "the start plus the duration must end within an instant from 1970-01-01T00:00:00Z "
        "to 2199-12-31T23:59:59.999999Z"
    }


def test_a_timer_stopped_out_of_range_is_a_422_on_the_stop(client: TestClient[Any], world: World) -> None:
    headers = bearer(world.owner_token)
    assert (
        client.post("/timers", json={"projectId": str(world.project.id)}, headers=headers).status_code == 201
    )
    for value in EDGES:
        response = client.post("/timers/current/stop", json={"stoppedAt": value}, headers=headers)
        assert response.status_code == 422
        assert response.json()["error"]["fields"] == {"stoppedAt": RANGE}
    assert client.get("/timers/current", headers=headers).status_code == 200


def test_a_running_timers_start_moved_into_the_future_is_a_422_and_the_timer_still_stops(
    client: TestClient[Any], world: World
) -> None:
    headers = bearer(world.owner_token)
    timer = client.post("/timers", json={"projectId": str(world.project.id)}, headers=headers).json()["data"]
    future = (world.clock.now() + timedelta(minutes=5)).isoformat()
    response = client.patch(f"/time-entries/{timer['id']}", json={"startedAt": future}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "startedAt": "must not be in the future: the entry is a running timer"
    }
    assert client.post("/timers/current/stop", headers=headers).status_code == 200


def test_any_offset_aware_date_time_is_a_value_or_a_422_never_a_500() -> None:
    world = make_world(InMemoryStore().unit_of_work)
    headers = bearer(world.owner_token)
    with TestClient(create_app(world.services)) as client:
        assert (
            client.post("/timers", json={"projectId": str(world.project.id)}, headers=headers).status_code
            == 201
        )

        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(instants)
        @example("9999-12-31T23:59:59.999999-00:01")
        @example("0001-01-01T00:00:00.000001+00:01")
        def check(value: str) -> None:
            created = client.post("/time-entries", json=entry_body(world, startedAt=value), headers=headers)
            assert created.status_code in (201, 422), created.text
            if created.status_code == 422:
                assert set(created.json()["error"]["fields"]) == {"startedAt"}
            listed = client.get(
                "/time-entries", params={"updatedSince": value, "limit": "1"}, headers=headers
            )
            assert listed.status_code in (200, 422), listed.text
            stop = client.patch(
                "/time-entries/00000000-0000-7000-8000-000000000000",
                json={"stoppedAt": value},
                headers=headers,
            )
            assert stop.status_code in (404, 422), stop.text

        check()
