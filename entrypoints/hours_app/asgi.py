"""The ASGI entry point for servers: ``uvicorn --factory hours_app.asgi:create_asgi_app``.

Each server process calls the factory once: it reads the settings from the environment, opens
the store and builds the app. ``hours serve`` uses it, so N workers means N processes, each with
its own connections.
"""

from __future__ import annotations

import logging

from litestar import Litestar

from hours_app.bootstrap import build
from hours_app.settings import Settings
from hours_http import create_app

__all__ = ["create_asgi_app"]

logger = logging.getLogger("hours")


def create_asgi_app() -> Litestar:
    """The API app, wired from ``HOURS_*`` environment variables."""
    settings = Settings.from_env()
    application = build(settings)
    logger.info(
        "hours ready: %s, token env %r, API docs at /schema",
        application.store.description,
        settings.token_env,
    )
    app = create_app(application.services)
    app.on_shutdown.append(application.close)
    return app
