"""The Litestar application factory."""

from __future__ import annotations

from litestar import Litestar
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.types import Middleware

from hours_core.services import Services
from hours_http.auth import BearerAuthentication, caller_of
from hours_http.controllers.account import MeController, TokenController
from hours_http.controllers.health import health
from hours_http.controllers.projects import ProjectController, TaskController
from hours_http.controllers.time_entries import TimeEntryController
from hours_http.controllers.timers import TimerController
from hours_http.errors import exception_handlers
from hours_http.openapi import openapi_config
from hours_http.options import AllowEveryMethodOfTheRoute
from hours_http.query import refuse_unknown_query_parameters
from hours_http.rate_limit import RateLimit, RateLimiter, RateLimitMiddleware

__all__ = ["MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 64 * 1024
"""The largest request body; larger ones get 413 ``payload_too_large``."""


def create_app(
    services: Services, *, version: str = "0.1.0", rate_limit: RateLimit | None = None, debug: bool = False
) -> Litestar:
    """The HTTP API over ``services``. Builds nothing else and starts nothing: no side effects.

    ``rate_limit`` caps requests per token (per process); ``None`` sets no cap.
    """
    middleware: list[Middleware] = [
        AllowEveryMethodOfTheRoute,
        DefineMiddleware(BearerAuthentication, authenticator=services.authenticator),
    ]
    if rate_limit is not None:
        middleware.append(DefineMiddleware(RateLimitMiddleware, limiter=RateLimiter(rate_limit)))

    def provide_services() -> Services:
        return services

    return Litestar(
        route_handlers=[
            health,
            TimeEntryController,
            TimerController,
            ProjectController,
            TaskController,
            MeController,
            TokenController,
        ],
        dependencies={
            "services": Provide(provide_services, use_cache=True, sync_to_thread=False),
            "caller": Provide(caller_of, sync_to_thread=False),
        },
        middleware=middleware,
        exception_handlers=exception_handlers,
        openapi_config=openapi_config(version),
        request_max_body_size=MAX_BODY_BYTES,
        before_request=refuse_unknown_query_parameters,
        debug=debug,
    )
