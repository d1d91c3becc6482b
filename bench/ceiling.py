"""The ceiling: a bare Litestar app with two routes, ``GET /ping`` (a small JSON object) and
``POST /ping`` (decodes a JSON body like a time entry's and answers 201 with a small object).

The suite serves it with the same server and the same settings as hours, in the same run, and
reports every hours write figure as a fraction of ``POST /ping``: what the framework and the
server can do on this machine at best for a POST with a JSON body, with no auth, no database
and no middleware (issue 17 defines the ceiling so). ``GET /ping`` is measured beside it.

    uvicorn --factory bench.ceiling:create_app ...
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get, post

__all__ = ["create_app"]


@get("/ping")
async def ping() -> dict[str, object]:
    """A small JSON object, rendered by Litestar."""
    return {"ok": True, "service": "ceiling"}


@post("/ping")
async def ping_with_body(data: dict[str, Any]) -> dict[str, object]:
    """The body decoded by Litestar (a JSON object), a small JSON object back, 201."""
    return {"ok": True, "service": "ceiling", "fields": len(data)}


def create_app() -> Litestar:
    """The bare app: two routes, Litestar's defaults."""
    return Litestar(route_handlers=[ping, ping_with_body])
