"""``hours worker``: the webhook dispatcher on its own, for deployments that run it apart from the API.

It applies pending migrations, then runs the dispatcher's loop in the foreground until SIGTERM or
Ctrl-C, and stops once the deliveries in flight have ended. ``hours serve`` runs the same loop in a background
thread of each worker process, so a separate worker is optional (docs/operations.md).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from datetime import timedelta
from types import FrameType

from hours_app.composition import build, build_dispatcher
from hours_app.settings import Settings

__all__ = ["short_lease_warning", "worker"]

logger = logging.getLogger("hours")


def short_lease_warning(lease_seconds: float) -> str | None:
    """What the worker warns of when its claims are held for less than the longest delivery attempt
    (:data:`~hours_webhooks.LONGEST_ATTEMPT_SECONDS`), or ``None``: another dispatcher may then take
    a delivery over while it is still being sent, and the receiver gets it twice (out of order
    with what follows). Allowed, for tests and receivers known to answer fast."""
    from hours_webhooks import LONGEST_ATTEMPT_SECONDS

    if lease_seconds >= LONGEST_ATTEMPT_SECONDS:
        return None
    return (
        f"--lease-seconds {lease_seconds:g} is shorter than the longest delivery attempt "
        f"({LONGEST_ATTEMPT_SECONDS:g} s): a delivery still being sent may be claimed and sent again by "
        "another dispatcher; keep it above that unless every receiver answers fast"
    )


def worker(args: argparse.Namespace, settings: Settings) -> int:
    """Dispatch webhook deliveries until SIGTERM or SIGINT; exit status 0."""
    application = build(settings)
    lease = timedelta(seconds=args.lease_seconds)
    loop = build_dispatcher(application, lease=lease, poll=args.poll_seconds)
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        logger.info(
            "%s received, stopping once the deliveries in flight have ended",
            signal.Signals(signum).name,
        )
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    warning = short_lease_warning(args.lease_seconds)
    if warning is not None:
        logger.warning(warning)
    try:
        # Said once a signal would stop it cleanly: before this line, SIGTERM ends it as the default does.
        logger.info(
            "dispatching webhooks from %s (claims held %gs, idle poll %gs, %s)",
            application.store.description,
            args.lease_seconds,
            args.poll_seconds,
            "one dispatcher per file" if application.store.kind == "sqlite" else "with any other dispatchers",
        )
        loop.start()
        stopping.wait()
    finally:
        loop.stop()
        application.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
