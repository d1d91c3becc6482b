"""Bare Litestar routes that burn a fixed amount of CPU: what the server stack does under saturation.

``python -m bench.tail`` serves them to tell the server's own latency tail from hours': the CPU a
replay costs hours (about 0.5 ms) per request, with and without a JSON request body.

    uvicorn --factory bench.busy:create_app ...
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Litestar, Request, get, post

__all__ = ["BUSY_SECONDS", "create_app"]

BUSY_SECONDS = 0.0005
"""CPU per request: about what a replay of ``POST /time-entries`` costs hours."""


def _burn() -> None:
    end = time.perf_counter() + BUSY_SECONDS
    while time.perf_counter() < end:
        pass


@get("/ping")
async def busy_get() -> dict[str, object]:
    """No body: burn the CPU, answer a small JSON object."""
    _burn()
    return {"ok": True}


@post("/time-entries", status_code=201)
async def busy_post(request: Request[Any, Any, Any]) -> dict[str, object]:
    """Read the JSON body first, as every hours write does, then the same as :func:`busy_get`."""
    await request.body()
    _burn()
    return {"ok": True}


def create_app() -> Litestar:
    """The two routes; ``/ping`` doubles as the health check of :class:`bench.servers.Server`."""
    return Litestar(route_handlers=[busy_get, busy_post])
