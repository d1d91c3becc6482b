"""What-if server factories: the shipped ``hours_app.asgi:create_asgi_app`` with one setting changed.

Each calls the real factory, with :func:`hours_http.create_app` given one more keyword argument,
so that everything else (settings, store, middleware, access log) is exactly what ships.

    uvicorn --factory bench.variants:create_asgi_app_threaded_reads ...
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar

import hours_app.asgi
from hours_app.logging_setup import AccessLogMiddleware
from hours_http import create_app

__all__ = ["VARIANTS", "create_asgi_app_threaded_reads"]


def create_asgi_app_threaded_reads() -> AccessLogMiddleware:
    """The shipped app with ``create_app(..., reads_in_thread=True)``: token lookups and replay
    lookups hop to a worker thread, as they do on PostgreSQL. On SQLite the shipped server runs
    them on the event loop; this row shows what that saves.
    """

    def threaded(*args: Any, **kwargs: Any) -> Litestar:
        return create_app(*args, **{**kwargs, "reads_in_thread": True})

    hours_app.asgi.create_app = threaded
    return hours_app.asgi.create_asgi_app()


VARIANTS = {"threaded-reads": "bench.variants:create_asgi_app_threaded_reads"}
"""The what-if rows the suite can add (``--variants``), by name."""
