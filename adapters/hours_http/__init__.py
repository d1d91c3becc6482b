"""The HTTP adapter: a Litestar app over the core's services."""

from hours_http.app import MAX_BODY_BYTES, create_app
from hours_http.event_bodies import JsonEventBodies

__all__ = ["MAX_BODY_BYTES", "JsonEventBodies", "create_app"]
