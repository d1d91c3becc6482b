"""The ceiling: a bare Litestar app with one route that returns a small JSON object.

The suite serves it with the same server and the same settings as hours, in the same run, and
reports every hours figure as a fraction of it: what the framework and the server can do on this
machine at best, with no auth, no database and no middleware.

    uvicorn --factory bench.ceiling:create_app ...
"""

from __future__ import annotations

from litestar import Litestar, get

__all__ = ["create_app"]


@get("/ping")
async def ping() -> dict[str, object]:
    """A small JSON object, rendered by Litestar."""
    return {"ok": True, "service": "ceiling"}


def create_app() -> Litestar:
    """The bare app: one route, Litestar's defaults."""
    return Litestar(route_handlers=[ping])
