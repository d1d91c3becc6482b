"""The JSON bodies of webhook deliveries: an event exactly as the change feed shows it, and a ping.

A ping is shaped like an event (``id``, ``type``, ``occurredAt``, ``subject``), so that a
receiver's code for events handles it too; its ``subject`` is the webhook itself.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from hours_core.events import Event
from hours_core.services import EventBodies
from hours_core.subscriptions import PING_EVENT_TYPE, Webhook
from hours_http.converter import event_json

__all__ = ["JsonEventBodies"]


class JsonEventBodies:
    """Writes delivery bodies as compact JSON with the API's names (camelCase members)."""

    def event(self, event: Event) -> bytes:
        """The event as ``GET /changes`` lists it (:func:`hours_http.converter.event_json`)."""
        return msgspec.json.encode(event_json(event))

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


_: type[EventBodies] = JsonEventBodies
