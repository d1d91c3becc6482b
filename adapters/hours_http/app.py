"""The Litestar application factory."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.types import Middleware

from hours_core.installation import CURSOR_SECRET
from hours_core.services import Services
from hours_http.auth import BearerAuthentication, caller_of
from hours_http.controllers.account import MeController, TokenController
from hours_http.controllers.clients import ClientController
from hours_http.controllers.events import AuditController, ChangeController
from hours_http.controllers.health import health
from hours_http.controllers.imports import ImportController
from hours_http.controllers.invoices import InvoiceController
from hours_http.controllers.org import OrgController
from hours_http.controllers.periods import PeriodController
from hours_http.controllers.projects import ProjectController, TaskController
from hours_http.controllers.rates import RateController
from hours_http.controllers.reports import ReportController
from hours_http.controllers.time_entries import TimeEntryController
from hours_http.controllers.timers import TimerController
from hours_http.controllers.timesheets import TimesheetController
from hours_http.controllers.users import UserController
from hours_http.controllers.webhooks import WebhookController
from hours_http.cursors import Cursors
from hours_http.errors import exception_handlers
from hours_http.last_use import LastUseWriter
from hours_http.openapi import openapi_config
from hours_http.options import AllowEveryMethodOfTheRoute
from hours_http.query import check_parameters
from hours_http.rate_limit import AuthFailureLimit, RateLimit, RateLimitMiddleware, user_policy
from hours_http.replays import ReplayBeforeRouting, ReplayFirst
from hours_http.responses import READS_IN_THREAD, RUN_WRITE, RunWrite, provide_writer
from hours_http.transport import HttpSemantics, ServerWideOptions

__all__ = ["MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 64 * 1024
"""The largest request body; larger ones get 413 ``payload_too_large``."""


def create_app(
    services: Services,
    *,
    version: str = "0.1.0",
    rate_limit: RateLimit | None = None,
    auth_failure_limit: RateLimit | None = None,
    debug: bool = False,
    reads_in_thread: bool = True,
    run_write: RunWrite | None = None,
    replay_first: bool = True,
) -> Litestar:
    """The HTTP API over ``services``. Builds nothing else and starts nothing: no side effects.

    ``rate_limit`` caps the requests of each user (all their tokens together), and
    ``auth_failure_limit`` the failed authentications of each client address; both are counted
    in the store, so they hold across processes and hosts (``hours_http.rate_limit``). ``None``
    sets no cap.

    ``reads_in_thread=False`` runs the token lookup of every request and the single-row reads of
    the routes (:func:`~hours_http.responses.look_up`) on the event loop instead of in a worker
    thread: a thread hop less per request, for a store whose reads never wait on the network or on
    a lock (SQLite in WAL mode). Keep the default for a store across the network (PostgreSQL).

    Replays are answered before the route (:mod:`hours_http.replays`), from the process's memory of
    completed records: before routing, when this process can decide everything from memory (the
    authentication cache, the replay memory, the rate limit's held units), else after
    authentication and the rate limit. A replay the memory does not hold is answered by the write's
    claim of its key, on every store.
    ``replay_first=False`` leaves every replay to its route (tests compare the two answers).

    ``run_write`` runs the write transaction of every write route off the event loop (see
    :data:`~hours_http.responses.RunWrite`): by default in a worker thread; a SQLite server passes
    its store's writer queue (:meth:`hours_sqlite.SqliteStore.write_queue`), one thread that
    runs the writes of many requests in a row and commits them together.
    """
    last_uses = LastUseWriter(services.authenticator.last_uses)
    failures = None
    if auth_failure_limit is not None:
        failures = AuthFailureLimit(auth_failure_limit, services.rate_limits)
    middleware: list[Middleware] = [
        AllowEveryMethodOfTheRoute,
        DefineMiddleware(
            BearerAuthentication,
            authenticator=services.authenticator,
            last_uses=last_uses,
            failures=failures,
            in_thread=reads_in_thread,
        ),
    ]
    policy = None if rate_limit is None else user_policy(rate_limit, services.rate_limits)
    if policy is not None:
        middleware.append(DefineMiddleware(RateLimitMiddleware, policy=policy))
    if replay_first:  # from the replay memory; the write's claim answers the rest
        middleware.append(DefineMiddleware(ReplayFirst, runner=services.idempotent))

    def provide_services() -> Services:
        return services

    cursors = Cursors(lambda: services.installation.secret(CURSOR_SECRET))

    def provide_cursors() -> Cursors:
        return cursors

    app = Litestar(
        route_handlers=[
            health,
            TimeEntryController,
            TimerController,
            ProjectController,
            TaskController,
            ClientController,
            RateController,
            MeController,
            TokenController,
            OrgController,
            PeriodController,
            InvoiceController,
            UserController,
            ImportController,
            ReportController,
            WebhookController,
            ChangeController,
            AuditController,
            TimesheetController,
        ],
        dependencies={
            "services": Provide(provide_services, use_cache=True, sync_to_thread=False),
            "caller": Provide(caller_of, sync_to_thread=False),
            "writer": Provide(provide_writer, sync_to_thread=False),
            "cursors": Provide(provide_cursors, use_cache=True, sync_to_thread=False),
        },
        middleware=middleware,
        exception_handlers=exception_handlers,
        openapi_config=openapi_config(version),
        request_max_body_size=MAX_BODY_BYTES,
        before_request=check_parameters,
        state=State({READS_IN_THREAD: reads_in_thread, RUN_WRITE: run_write}),
        on_shutdown=[last_uses.close],
        debug=debug,
    )
    # Outside the router, so that they act before routing (HEAD reaches GET routes; a replay this
    # process can answer from memory skips the router): Litestar calls ``asgi_handler`` for every
    # request and builds it once, in its constructor.
    handler = app.asgi_handler
    if replay_first:
        handler = ReplayBeforeRouting(
            handler,
            app,
            runner=services.idempotent,
            authenticator=services.authenticator,
            last_uses=last_uses,
            failures=failures,
            rate_limit=policy,
        )
    app.asgi_handler = HttpSemantics(ServerWideOptions(handler, app.routes))
    return app
