"""The ASGI entry point for servers: ``granian --interface asgi --factory hours_app.asgi:create_asgi_app``.

Each server process calls the factory once: it reads the settings from the environment, opens
the store and builds the app. ``hours serve`` uses it (through :func:`hours_app.server.worker_app`),
so N workers means N processes, each with its own connections. The app is wrapped in
:class:`~hours_app.logging_setup.AccessLogMiddleware` (one JSON line per request, never a header
but ``User-Agent``) and :class:`~hours_http.body_deadline.BodyDeadline` (408 for a body that stops
arriving); :func:`create_api` is the bare Litestar app, for tests and embedding.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from litestar import Litestar

from hours_app.composition import Application, build, build_dispatcher
from hours_app.logging_setup import (
    AccessLogMiddleware,
    keeping_server_logging,
    note_body_timeout,
    note_response_stalled,
)
from hours_app.mount import WebAndApi
from hours_app.readiness import report_ready
from hours_app.settings import Settings
from hours_app.version import hours_version
from hours_http import create_app
from hours_http.body_deadline import BodyDeadline
from hours_http.host_header import HostCheck
from hours_http.request_id import request_id_of
from hours_web import create_web_app

__all__ = ["create_api", "create_asgi_app", "create_site"]


def create_api(
    application: Application | None = None, *, on_startup: Sequence[Callable[[], object]] = ()
) -> Litestar:
    """The API app, wired from ``HOURS_*`` environment variables (or over ``application``); it runs
    the webhook dispatcher in a background thread while it serves, and closes its store on shutdown.
    ``on_startup`` runs after the dispatcher has started."""
    settings = Settings.from_env() if application is None else application.settings
    application = application or build(settings)
    app = create_app(
        application.services,
        version=hours_version(),
        rate_limit=settings.parsed_rate_limit(),
        auth_failure_limit=settings.parsed_auth_failure_limit(),
        reads_in_thread=not application.store.reads_are_local,
        run_write=application.store.run_write,
    )
    dispatcher = build_dispatcher(application)
    app.on_startup.append(dispatcher.start)
    app.on_startup.extend(on_startup)
    app.on_shutdown.append(dispatcher.stop)
    app.on_shutdown.append(application.close)
    return app


def create_site(application: Application, *, on_startup: Sequence[Callable[[], object]] = ()) -> WebAndApi:
    """The web app and the API over one application: ``/`` and ``/app/...`` are the web app's. Both
    name a request by the API's :func:`~hours_http.request_id.request_id_of` (``X-Request-Id``).
    ``on_startup``: as :func:`create_api`'s."""
    web = create_web_app(
        application.services,
        secure_cookies=application.settings.web_secure_cookies,
        request_id=request_id_of,
    )
    return WebAndApi(api=create_api(application, on_startup=on_startup), web=web)


def create_asgi_app() -> AccessLogMiddleware:
    """The web app and the API with the JSON access log, a 400 for a ``Host`` header no URL can be
    built from (:class:`~hours_http.host_header.HostCheck`), and a deadline on request bodies that
    stop arriving (:class:`~hours_http.body_deadline.BodyDeadline`): what each worker of ``hours
    serve`` runs."""
    settings = Settings.from_env()
    with keeping_server_logging():  # Litestar's apps would route other libraries' logs their own way
        application = build(settings)
        ready = functools.partial(report_ready, application.store.description, settings.token_env)
        site = create_site(application, on_startup=[ready])
    return AccessLogMiddleware(
        HostCheck(
            BodyDeadline(
                site, settings.body_timeout, on_timeout=note_body_timeout, on_stall=note_response_stalled
            )
        )
    )
