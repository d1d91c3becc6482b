"""``create_app(reads_in_thread=False)`` (the setting for SQLite): single-row lookups on the event loop.

The lifecycle tests (reads by id, the running timer, projects, and everything around them) run
again against an app built that way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_http import create_app
from tests.http.test_time_entry_lifecycle import *  # noqa: F403 - the same tests, with the client below
from tests.world import World


@pytest.fixture
def client(world: World) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(world.services, reads_in_thread=False)) as test_client:
        yield test_client
