"""``python -m hours_app.supervisor``: what ``hours serve`` replaces itself with (``exec``); loads
the server and supervises its workers (:func:`hours_app.server.supervise`), and answers a Ctrl-C
that arrives while it loads.

Loading the server (granian, the logging setup) takes a moment after the startup lines have been
logged, and a Ctrl-C in that moment ended the process with a ``KeyboardInterrupt`` traceback:
granian's own stop handlers are not in place yet. Nothing serves then, so it stops as ``hours
serve`` stops, exit status 0, and says so in one line (none with ``--json``, whose stderr holds
JSON log lines only). This module imports nothing of hours until :func:`main` runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["STOPPED_WHILE_STARTING", "main"]

STOPPED_WHILE_STARTING = (
    "hours serve: SIGINT received before the workers started; stopped (nothing was served)"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Supervise the server of ``argv`` (default: ``sys.argv[1:]``); 0 for a Ctrl-C while it loads."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        from hours_app.server import supervise

        return supervise(arguments)
    except KeyboardInterrupt:  # before granian's handlers: after them, granian stops it itself
        if "--json" not in arguments:
            sys.stderr.write(f"{STOPPED_WHILE_STARTING}\n")
        return 0


if __name__ == "__main__":
    sys.exit(main())
