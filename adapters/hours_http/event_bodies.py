"""The JSON bodies of webhook deliveries that the HTTP adapter writes: the ``ping`` test delivery.

A ping is shaped like an event of the change feed (``id``, ``type``, ``occurredAt``, ``subject``),
so that a receiver's code for events handles it too; its ``subject`` is the webhook itself.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from hours_core.services import PingBodies
from hours_core.subscriptions import PING_EVENT_TYPE, Webhook

__all__ = ["JsonEventBodies"]


class JsonEventBodies:
    """Writes delivery bodies as compact JSON with the API's names (camelCase members)."""

    def ping(self, event_id: str, webhook: Webhook, at: datetime) -> bytes:
        """``{"id", "type": "ping", "occurredAt", "subject": {"type": "webhook", "id"}}``."""
        return msgspec.json.encode(
            {
                "id": event_id,
                "type": PING_EVENT_TYPE,
                "occurredAt": at,
                "subject": {"type": "webhook", "id": webhook.id},
            }
        )


_: type[PingBodies] = JsonEventBodies
