"""The ``hours`` script's entry point: loads the command line, and answers a Ctrl-C that arrives
while it loads.

Loading :mod:`hours_app.cli` (the framework, the stores, the core) takes a moment, and a Ctrl-C
in that moment would end the program with a ``KeyboardInterrupt`` traceback: the command line's
own handling (exit status 130) is not in place yet. This module imports nothing of hours until
:func:`main` runs, so the script's first line cannot be interrupted by a slow import. (SIGTERM
and SIGHUP in that moment end the process as signals do: a shell reports 143 and 129, the
statuses the command line itself uses; nothing had started, so nothing is left to clean up.)
"""

from __future__ import annotations

import sys

__all__ = ["EXIT_INTERRUPTED", "INTERRUPTED_WHILE_LOADING", "main"]

INTERRUPTED_WHILE_LOADING = "interrupted before the command started; nothing was done"


EXIT_INTERRUPTED = 130
"""As :data:`hours_app.cli.EXIT_INTERRUPTED` (not imported from there: that is the slow import)."""


def main() -> int:
    """Run the ``hours`` command line (:func:`hours_app.cli.main`); 130 for a Ctrl-C while it loads."""
    try:
        from hours_app.cli import main as run_command_line
    except KeyboardInterrupt:
        sys.stderr.write(f"{INTERRUPTED_WHILE_LOADING}\n")
        return EXIT_INTERRUPTED
    try:
        return run_command_line()
    except KeyboardInterrupt:  # outside the part that answers its own (parsing the arguments)
        return EXIT_INTERRUPTED
