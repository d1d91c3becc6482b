"""Unit tests run the core over the in-memory store."""

from __future__ import annotations

import pytest

from hours_memory import InMemoryStore
from tests.world import World, make_world


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def world(store: InMemoryStore) -> World:
    return make_world(store.unit_of_work)
