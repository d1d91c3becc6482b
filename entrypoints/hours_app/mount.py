"""One server, two apps: the web app's paths go to it, every other request to the JSON API.

The web app (``hours_web``) answers ``/`` and everything under ``/app``; the API (``hours_http``)
answers the rest, ``/schema`` included. Each keeps its own middleware: the API's bearer
authentication never sees a web request, and the web app's session cookie never reaches the API,
which reads no cookie at all. Lifespan events go to the API, which owns the store's shutdown; the
web app holds nothing that needs starting or stopping.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from hours_http.transport import routed_path
from hours_web import APP_PATH

__all__ = ["WebAndApi", "is_web_path"]


def is_web_path(path: str) -> bool:
    """Whether ``path`` is the web app's: ``/``, ``/app`` and ``/app/...``, spelled as the router
    reads it (:func:`~hours_http.transport.routed_path`, as the API reads ``//time-entries`` as
    ``/time-entries``): ``//app/week`` is the web app's too (which redirects it to ``/app/week``);
    before, the raw path was read, and ``//app/week`` was the API's 404."""
    path = routed_path(path)
    return path in ("/", APP_PATH) or path.startswith(APP_PATH + "/")


class WebAndApi:
    """An ASGI app that sends each request to the web app or the API by its path."""

    def __init__(self, api: ASGIApp, web: ASGIApp) -> None:
        self.api = api
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one connection."""
        if scope["type"] in ("http", "websocket") and is_web_path(scope["path"]):
            await self.web(scope, receive, send)
        else:
            await self.api(scope, receive, send)
