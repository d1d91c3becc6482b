"""``create_app(reads_in_thread=False)`` (the setting for SQLite): token and replay lookups on the
event loop. The tests of ``POST /time-entries`` run again against an app built that way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_http import create_app
from tests.http.conftest import bearer
from tests.http.test_create_time_entry import *  # noqa: F403 - the same tests, with the client below
from tests.world import World


@pytest.fixture
def client(world: World) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(world.services, reads_in_thread=False)) as test_client:
        yield test_client


def test_the_last_use_of_a_token_is_still_recorded(client: TestClient[Any], world: World) -> None:
    first = client.get("/me", headers=bearer(world.member_token)).json()["data"]["token"]["lastUsedAt"]
    world.clock.advance(timedelta(minutes=2))
    second = client.get("/me", headers=bearer(world.member_token)).json()["data"]["token"]["lastUsedAt"]
    assert first is not None and second is not None and second > first
