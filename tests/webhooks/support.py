"""Helpers of the dispatcher tests (plain functions; the fixtures are in ``conftest.py``)."""

from __future__ import annotations

from hours_core.ids import UuidV7Ids
from hours_core.services.dispatcher import WebhookDispatcher
from hours_core.webhooks import WebhookSender
from hours_http import JsonEventBodies
from tests.world import World


def dispatcher_for(world: World, sender: WebhookSender) -> WebhookDispatcher:
    """A dispatcher over ``world``'s store and clock that sends with ``sender`` (retries at their
    longest delay: the random draw is always 1)."""
    return WebhookDispatcher(
        world.services.transactions,
        world.clock,
        sender,
        lambda: 1.0,
        ids=UuidV7Ids(),
        bodies=JsonEventBodies(),
    )
