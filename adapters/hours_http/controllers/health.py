"""``/health``: for load balancers; no authentication."""

from __future__ import annotations

from litestar import get
from litestar.datastructures import CacheControlHeader

from hours_http.openapi import refused_before_routing
from hours_http.wire import HealthBody, HealthEnvelope

__all__ = ["health"]


@get(
    "/health",
    summary="Health check",
    tags=["Operations"],
    security=[{}],
    sync_to_thread=False,
    responses=refused_before_routing(),
    cache_control=CacheControlHeader(no_store=True),
)
def health() -> HealthEnvelope:
    """Answers 200 `{"data": {"status": "ok"}}` while the server is up. Needs no token. Never
    stored by a cache (`Cache-Control: no-store`): a kept "ok" would hide a server that is down."""
    return HealthEnvelope(data=HealthBody(status="ok"))
