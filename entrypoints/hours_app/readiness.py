"""One ``hours ready`` line per server, whatever its number of workers.

Each worker process of ``hours serve`` builds its app by itself, and each used to log ``hours
ready: ...`` once built: N lines for ``--workers N``, none saying which worker, and none saying
that the server as a whole was ready. Now a worker tells its supervisor instead, through a pipe the
supervisor made before starting them (:func:`announce_when_ready`; its write end's number is in the
worker's environment, :data:`READY_PIPE`), and the supervisor logs one line once every worker has:
``hours ready: 2 workers serve http://127.0.0.1:8000 (API docs at http://127.0.0.1:8000/schema)``.
A worker that replaces one that died says so, naming itself: ``hours ready: worker-2 (pid 4242)
serves again in place of one that stopped``.

A worker with no supervisor to tell (the app run by granian or another ASGI server directly)
logs its own line, naming its process: ``hours ready (pid 4242): SQLite at ..., token env 'live',
API docs at /schema``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable

__all__ = ["READY_PIPE", "SERVING_DELAY_SECONDS", "announce_when_ready", "report_now", "report_ready"]

logger = logging.getLogger("hours")

READY_PIPE = "_HOURS_SERVE_READY_FD"
"""The environment variable that gives a worker the number of the pipe's write end (inherited
across the supervisor's ``fork``)."""


def announce_when_ready(workers: int, url: str, worker_of: Callable[[int], int | None]) -> None:
    """In the supervisor, before it starts its workers: make the pipe, name it to the workers, and
    log ``hours ready`` once ``workers`` of them have reported (then once per replacement).
    ``worker_of`` gives the index (0 for worker-1) of the worker with a process id, if known."""
    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, True)
    os.environ[READY_PIPE] = str(write_end)
    listener = threading.Thread(
        target=_announce, args=(read_end, workers, url, worker_of), name="hours-ready", daemon=True
    )
    listener.start()


def _announce(read_end: int, workers: int, url: str, worker_of: Callable[[int], int | None]) -> None:
    ready: set[int | str] = set()
    announced = False
    with os.fdopen(read_end, "rb") as pipe:
        for line in pipe:
            with contextlib.suppress(ValueError):
                pid = int(line)
                index = worker_of(pid)
                if not announced:
                    ready.add(f"pid {pid}" if index is None else index)
                    announced = len(ready) >= workers
                    if announced:
                        logger.info(
                            "hours ready: %d worker%s serve%s %s (API docs at %s/schema)",
                            workers,
                            "" if workers == 1 else "s",
                            "s" if workers == 1 else "",
                            url,
                            url,
                        )
                    continue
                name = "a worker" if index is None else f"worker-{index + 1}"
                logger.info("hours ready: %s (pid %d) serves again in place of one that stopped", name, pid)


SERVING_DELAY_SECONDS = 0.1
"""How long after its app's startup a worker reports: by then its server has begun serving (granian
starts it once the app's startup has run, and logs ``Started worker-N``)."""


def report_ready(description: str, token_env: str) -> None:
    """In a worker, as its app starts up (on its event loop): report once the server serves
    (:func:`report_now`, :data:`SERVING_DELAY_SECONDS` later)."""
    asyncio.get_running_loop().call_later(SERVING_DELAY_SECONDS, report_now, description, token_env)


def report_now(description: str, token_env: str) -> None:
    """Tell the supervisor that this worker serves, or, with none to tell, log a line of its own
    that names this process."""
    pipe = os.environ.pop(READY_PIPE, None)
    if pipe is not None:
        try:
            os.write(int(pipe), f"{os.getpid()}\n".encode())
        except (OSError, ValueError):  # not inherited (a spawned process): say it here
            pass
        else:
            return
        finally:
            with contextlib.suppress(OSError, ValueError):
                os.close(int(pipe))
    logger.info(
        "hours ready (pid %d): %s, token env %r, API docs at /schema", os.getpid(), description, token_env
    )
