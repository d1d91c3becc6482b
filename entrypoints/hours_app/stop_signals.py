"""A worker's stop signal is not lost between two runs of its uvloop event loop.

granian runs a worker's event loop three times: the app's lifespan startup; then, once it has
started its HTTP server, the serving (a wait for the stop signal); then the lifespan shutdown.
While the loop is not running, uvloop puts back the signal wakeup descriptor the process had
before: a SIGTERM that arrives while granian starts its server wakes nothing, and the loop then
waits for a signal it already had. The supervisor waited its 30 s (``SHUTDOWN_SECONDS``) and
killed the worker, which served on meanwhile; it happened once in 20 to 30 stops of two workers on
a busy machine.

:class:`StopSignalCatcher` gives the process a wakeup descriptor of its own before the loop first
runs, so that uvloop puts back that one between runs, and reads it from the loop: a stop signal
found there arrived while the loop was not listening, and is sent again, now that it is. It is
sent again at most once, and only if no stop signal reached the loop before it: granian's stop
event must be set once (a second ``set`` before its server has read the first blocks for good).

What it cannot see: a signal that uvloop noted but had not read when a run ended (its own self-pipe
is closed then). That window is one turn of the loop, against the whole start of the server; the
supervisor's kill after ``SHUTDOWN_SECONDS`` stays the backstop. asyncio's loops keep their
wakeup descriptor between runs and need none of this.

Earlier still, a stop signal could be lost between the ``fork`` of a worker and its first line of
hours: the child runs the supervisor's Python handlers, which flag the supervisor's loop (a copy,
in the child) and nothing else. :func:`default_stop_signals_in_forked_children` closes that window:
the supervisor blocks the stop signals across each ``fork``, and the child gives SIGTERM its
default action (the worker ends; it has served nothing yet) and ignores SIGINT (below) before it
unblocks them, so a SIGTERM sent meanwhile is obeyed then. It mattered most for a worker started
in place of one that died, which a SIGTERM could reach within milliseconds of its ``fork``.

A worker leaves Ctrl-C to its supervisor, and sets granian's stop event once. A terminal's Ctrl-C
(SIGINT) reaches the supervisor and every worker (their process group); the supervisor then sends
each worker SIGTERM. Two faults came of the worker's obeying both:

- granian's handler set its stop event on each signal, and a second ``set`` that came while
  granian's server thread was taking the first blocked the worker's main thread for good: the
  worker stopped serving but never finished, and the supervisor killed it after its 30 s. It
  happened in 3 of 30 stops of one run that sent the two signals within a millisecond (in another
  run, once in about 200), and in 1 of 40 Ctrl-Cs of a two-worker server on a busy machine;
- a worker that stopped on the Ctrl-C before the supervisor had asked it to (the supervisor reads
  no signal while it replaces the workers after a SIGHUP, 3.5 s per worker) was an unexpected
  exit to granian, which logged an error for each and ended the server with status 1.

So a worker ignores SIGINT from its ``fork`` on (:func:`default_stop_signals_in_forked_children`),
and its loop's handler for SIGTERM sets the stop event on the first signal only
(:func:`set_the_stop_event_once`): a SIGTERM sent to the whole group, as systemd's default
``KillMode=control-group`` does, still reaches each worker twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from litestar.types import ASGIApp, LifeSpanScope, Receive, Scope, Send

__all__ = [
    "STOP_SIGNALS",
    "WORKER_STOP_SIGNAL",
    "CatchStopSignals",
    "StopSignalCatcher",
    "default_stop_signals_in_forked_children",
    "note_the_first_stop",
    "set_the_stop_event_once",
    "workers_stop_on_sigterm_alone",
]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
"""The signals that stop granian: its supervisor, and a worker left to granian's handlers."""

WORKER_STOP_SIGNAL = signal.SIGTERM
"""The signal that stops an hours worker: its supervisor's (SIGINT, a terminal's Ctrl-C, is the
supervisor's to act on, and a worker ignores it)."""

_Handler = Callable[[int, FrameType | None], Any]


def default_stop_signals_in_forked_children() -> None:
    """From now on, every ``os.fork`` of this process (a granian supervisor's workers) blocks the
    stop signals across the fork, and the child gives SIGTERM its default action and ignores SIGINT
    (:func:`workers_stop_on_sigterm_alone`) before unblocking them: a SIGTERM sent to a child as it is
    born ends it, rather than reaching the parent's Python handlers in the child, where nothing
    would act on it, and a Ctrl-C is left to the supervisor (see the module)."""
    os.register_at_fork(
        before=_block_stop_signals,
        after_in_parent=_unblock_stop_signals,
        after_in_child=_child_stops_by_default,
    )


def note_the_first_stop(note: Callable[[signal.Signals], None]) -> None:
    """Call ``note`` with the first stop signal this process gets, before the handler it has now
    (granian's supervisor's, which sets its stop flag) runs; later ones go to that handler alone.

    ``hours serve`` logs its stop from here, in the supervisor: a terminal's Ctrl-C reaches every
    worker too (their process group), but they ignore it, and their SIGTERM handler is granian's
    own (a worker's loop, or the default action until it serves:
    :func:`default_stop_signals_in_forked_children`), so the line is written once per server,
    whatever the number of workers."""
    noted = False

    for number in STOP_SIGNALS:
        handler = signal.getsignal(number)
        if not callable(handler):
            continue

        def noting(received: int, frame: FrameType | None, handler: _Handler = handler) -> None:
            nonlocal noted
            if not noted:
                noted = True
                note(signal.Signals(received))
            handler(received, frame)

        signal.signal(number, noting)


def workers_stop_on_sigterm_alone() -> None:
    """This process (a worker) ignores SIGINT and ends on SIGTERM, until granian's loop handles
    SIGTERM (:func:`set_the_stop_event_once`): the supervisor stops its workers, and a Ctrl-C that
    reaches the whole group is the supervisor's alone (see the module)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(WORKER_STOP_SIGNAL, signal.SIG_DFL)


def set_the_stop_event_once() -> None:
    """From now on, the stop handling granian gives a worker's loop sets its stop event on the first
    SIGTERM only, later ones doing nothing (see the module: a second ``set`` can block for good), and
    leaves SIGINT ignored (a terminal's Ctrl-C is the supervisor's).

    It replaces ``granian._signals.set_loop_signals``, which granian's worker looks up as it
    starts serving, after the app factory (which calls this) has run: granian's own function
    makes the event and registers its handlers, then the loop's handler for SIGTERM is replaced by
    one that sets the event once, and its handler for SIGINT is removed. Call it in the worker
    process.
    """
    import granian._signals as granian_signals

    granian_set_loop_signals: Callable[[asyncio.AbstractEventLoop], Any] = granian_signals.set_loop_signals

    def set_loop_signals(loop: asyncio.AbstractEventLoop) -> Any:
        stop_event = granian_set_loop_signals(loop)
        stopping = False

        def stop_once(number: int, frame: FrameType | None) -> None:
            nonlocal stopping
            if not stopping:
                stopping = True
                stop_event.set()

        # SIGINT is held back meanwhile: removing the loop's handler gives SIGINT Python's default
        # one (a KeyboardInterrupt) until it is ignored again, and one held is then discarded.
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
        try:
            loop.add_signal_handler(WORKER_STOP_SIGNAL, stop_once, WORKER_STOP_SIGNAL, None)
            loop.remove_signal_handler(signal.SIGINT)
        except NotImplementedError:  # a loop without signal handlers: granian's are Python's
            signal.signal(WORKER_STOP_SIGNAL, stop_once)
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
        return stop_event

    granian_signals.set_loop_signals = set_loop_signals


def _block_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def _unblock_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _child_stops_by_default() -> None:
    workers_stop_on_sigterm_alone()
    _unblock_stop_signals()


class StopSignalCatcher:
    """The SIGTERMs (:data:`WORKER_STOP_SIGNAL`) that arrive while a uvloop loop is not running,
    sent again once it runs (a worker ignores SIGINT).

    Call :meth:`before_the_loop` in the main thread before the loop first runs, then :meth:`watch`
    from a coroutine on the loop once its own signal handlers are registered.
    """

    def __init__(self) -> None:
        self._read_end, self._write_end = os.pipe()
        for end in (self._read_end, self._write_end):
            os.set_blocking(end, False)
        self.seen = 0
        """Stop signals whose Python-level handler ran (those that reached the loop, and the rest)."""
        self.missed = 0
        """Stop signals that arrived while the loop was not listening."""
        self.sent_again = False

    def before_the_loop(self) -> int:
        """Make this catcher's pipe the process's signal wakeup descriptor; the one before it."""
        return signal.set_wakeup_fd(self._write_end, warn_on_full_buffer=False)

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read the pipe from ``loop``, and count the stop signals its handlers see."""
        handler = signal.getsignal(WORKER_STOP_SIGNAL)
        if callable(handler):
            signal.signal(WORKER_STOP_SIGNAL, self._counting(handler))
        loop.add_reader(self._read_end, self._read)

    def close(self) -> None:
        """Close the pipe (after the loop has stopped reading it)."""
        for end in (self._read_end, self._write_end):
            os.close(end)

    def _counting(self, handler: _Handler) -> _Handler:
        def stop_signal(number: int, frame: FrameType | None) -> None:
            self.seen += 1
            handler(number, frame)

        return stop_signal

    def _read(self) -> None:
        missed: list[int] = []
        while True:
            try:
                data = os.read(self._read_end, 512)
            except BlockingIOError:
                break
            if not data:
                break
            missed.extend(number for number in data if number == WORKER_STOP_SIGNAL)
        self.missed += len(missed)
        if missed and not self.sent_again and self.seen <= self.missed:
            self.sent_again = True
            os.kill(os.getpid(), missed[0])


class CatchStopSignals:
    """ASGI middleware: a :class:`StopSignalCatcher` watches the worker's loop from its lifespan startup.

    Build it before the loop first runs (in the app factory): it sets the wakeup descriptor then.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.catcher = StopSignalCatcher()
        self.catcher.before_the_loop()

    async def __call__(self, scope: Scope | LifeSpanScope, receive: Receive, send: Send) -> None:
        """Serve through the wrapped app; a lifespan scope first starts the watch."""
        if scope["type"] == "lifespan":
            self.catcher.watch(asyncio.get_running_loop())
        await self.app(scope, receive, send)  # type: ignore[arg-type]  # litestar types ASGI apps without lifespan scopes
