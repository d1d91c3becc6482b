"""The Litestar application factory."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.types import Middleware

from hours_core.services import Services
from hours_http.auth import BearerAuthentication, caller_of
from hours_http.controllers.account import MeController, TokenController
from hours_http.controllers.events import AuditController, ChangeController
from hours_http.controllers.health import health
from hours_http.controllers.org import OrgController
from hours_http.controllers.projects import ProjectController, TaskController
from hours_http.controllers.time_entries import TimeEntryController
from hours_http.controllers.timers import TimerController
from hours_http.controllers.users import UserController
from hours_http.controllers.webhooks import WebhookController
from hours_http.errors import exception_handlers
from hours_http.openapi import openapi_config
from hours_http.options import AllowEveryMethodOfTheRoute
from hours_http.query import refuse_unknown_query_parameters
from hours_http.rate_limit import RateLimit, RateLimiter, RateLimitMiddleware
from hours_http.request_id import echo_request_id
from hours_http.responses import READS_IN_THREAD, provide_writer

__all__ = ["MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 64 * 1024
"""The largest request body; larger ones get 413 ``payload_too_large``."""


def create_app(
    services: Services,
    *,
    version: str = "0.1.0",
    rate_limit: RateLimit | None = None,
    debug: bool = False,
    reads_in_thread: bool = True,
) -> Litestar:
    """The HTTP API over ``services``. Builds nothing else and starts nothing: no side effects.

    ``rate_limit`` caps requests per token (per process); ``None`` sets no cap.

    ``reads_in_thread=False`` runs the token lookup of every request and the idempotency replay
    lookup of ``POST /time-entries`` on the event loop instead of in a worker thread: a thread
    hop less per request (two for a replay), for a store whose reads never wait on the network
    or on a lock (SQLite in WAL mode). Keep the default for a store across the network
    (PostgreSQL). Writes always run in a worker thread.
    """
    middleware: list[Middleware] = [
        AllowEveryMethodOfTheRoute,
        DefineMiddleware(
            BearerAuthentication, authenticator=services.authenticator, in_thread=reads_in_thread
        ),
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
            OrgController,
            UserController,
            WebhookController,
            ChangeController,
            AuditController,
        ],
        dependencies={
            "services": Provide(provide_services, use_cache=True, sync_to_thread=False),
            "caller": Provide(caller_of, sync_to_thread=False),
            "writer": Provide(provide_writer, sync_to_thread=False),
        },
        middleware=middleware,
        exception_handlers=exception_handlers,
        openapi_config=openapi_config(version),
        request_max_body_size=MAX_BODY_BYTES,
        before_request=refuse_unknown_query_parameters,
        before_send=[echo_request_id],
        state=State({READS_IN_THREAD: reads_in_thread}),
        debug=debug,
    )
