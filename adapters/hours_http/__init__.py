"""The HTTP adapter: a Litestar app over the core's services."""

from hours_http.app import MAX_BODY_BYTES, create_app

__all__ = ["MAX_BODY_BYTES", "create_app"]
