"""A stop signal that reaches a worker between two runs of its uvloop loop is not lost.

These tests play granian's part with a real uvloop loop in this process: a handler for SIGTERM
registered with the loop (granian's sets its stop event), a first run (the lifespan startup), the
signal while the loop is not running (while granian starts its server), then a second run (the
serving) that must see it, once.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterator

import pytest

from hours_app.stop_signals import STOP_SIGNALS, StopSignalCatcher, set_the_stop_event_once
from tests.server_support import python_output

uvloop = pytest.importorskip("uvloop")

PATIENCE_SECONDS = 30


class Worker:
    """A uvloop loop with granian's kind of SIGTERM handler, and what that handler saw."""

    def __init__(self, catcher: StopSignalCatcher | None) -> None:
        self.catcher = catcher
        self.loop = uvloop.new_event_loop()
        self.stops: list[str] = []
        self.loop.add_signal_handler(signal.SIGTERM, self.stops.append, "stop")

    def run(self, step: Callable[[], object] | None = None) -> None:
        """One run of the loop: the catcher's watch on the first, then ``step`` (if any)."""

        async def once() -> None:
            if self.catcher is not None and not hasattr(self, "_watching"):
                self.catcher.watch(asyncio.get_running_loop())
                self._watching = True
            if step is not None:
                step()
            for _ in range(10):  # a few turns of the loop, for a signal sent in ``step`` to arrive
                await asyncio.sleep(0)

        self.loop.run_until_complete(once())

    def run_until_stopped(self) -> None:
        """Run the loop until its handler saw a stop, or :data:`PATIENCE_SECONDS` passed."""

        async def stopped() -> None:
            deadline = asyncio.get_running_loop().time() + PATIENCE_SECONDS
            while not self.stops and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.01)

        self.loop.run_until_complete(stopped())

    def settle(self) -> None:
        """Run the loop a little: long enough for the catcher to read its pipe and act."""
        self.loop.run_until_complete(asyncio.sleep(0.2))


def stop_myself() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


@pytest.fixture
def worker_of() -> Iterator[Callable[[bool], Worker]]:
    """A :class:`Worker`, with a catcher or without; the process's signal state put back after."""
    previous_handler = signal.getsignal(signal.SIGTERM)
    previous_wakeup = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(previous_wakeup)
    made: list[Worker] = []

    def make(catching: bool) -> Worker:
        catcher = StopSignalCatcher() if catching else None
        if catcher is not None:
            catcher.before_the_loop()
        made.append(Worker(catcher))
        return made[-1]

    yield make
    for worker in made:
        worker.loop.remove_signal_handler(signal.SIGTERM)
        worker.loop.close()
        if worker.catcher is not None:
            worker.catcher.close()
    signal.set_wakeup_fd(previous_wakeup)
    signal.signal(signal.SIGTERM, previous_handler)


def test_without_the_catcher_uvloop_loses_a_signal_sent_between_two_runs(
    worker_of: Callable[[bool], Worker],
) -> None:
    worker = worker_of(False)
    worker.run()
    stop_myself()  # the loop is not running
    worker.settle()
    assert worker.stops == []  # the defect the catcher is for (if uvloop mends it, the catcher can go)


def test_a_signal_sent_between_two_runs_reaches_the_loop_once_it_runs(
    worker_of: Callable[[bool], Worker],
) -> None:
    worker = worker_of(True)
    worker.run()
    stop_myself()
    worker.run_until_stopped()
    worker.settle()
    assert worker.stops == ["stop"]
    assert worker.catcher is not None and worker.catcher.sent_again


def test_a_signal_sent_while_the_loop_runs_is_not_sent_again(worker_of: Callable[[bool], Worker]) -> None:
    worker = worker_of(True)
    worker.run(stop_myself)
    worker.settle()
    assert worker.stops == ["stop"]
    assert worker.catcher is not None and not worker.catcher.sent_again


def test_after_a_stop_that_reached_the_loop_a_missed_one_is_not_sent_again(
    worker_of: Callable[[bool], Worker],
) -> None:
    """granian's stop event must be set once: a second ``set`` before its server read the first
    blocks for good, so a second signal lost between runs stays lost."""
    worker = worker_of(True)
    worker.run(stop_myself)
    stop_myself()  # between runs: missed
    worker.settle()
    assert worker.stops == ["stop"]
    assert worker.catcher is not None and worker.catcher.missed == 1 and not worker.catcher.sent_again


def test_a_sigint_between_two_runs_is_not_sent_again(worker_of: Callable[[bool], Worker]) -> None:
    """A worker ignores SIGINT; one that a handler still noted (granian registers one for a moment
    as the worker starts serving) is not the catcher's to send again: sent again in place of a
    SIGTERM missed with it, it would be ignored, and the SIGTERM lost."""
    previous = signal.signal(signal.SIGINT, lambda number, frame: None)
    try:
        worker = worker_of(True)
        worker.run()
        os.kill(os.getpid(), signal.SIGINT)  # between runs: noted in the wakeup pipe only
        worker.settle()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert worker.catcher is not None and worker.catcher.missed == 0 and not worker.catcher.sent_again


_FORK_WITH_A_STOP = """
import os, signal, sys, time
from hours_app.stop_signals import default_stop_signals_in_forked_children

noted = []
signal.signal(signal.SIGTERM, lambda number, frame: noted.append(number))  # the supervisor's: a flag
if sys.argv[1] == "hooks":
    default_stop_signals_in_forked_children()
child = os.fork()
if child == 0:  # a worker being born: it would go on with the supervisor's handler
    for _ in range(3000):  # until it notes the signal, or lost it (Python drops one taken mid-fork)
        if noted:
            break
        time.sleep(0.01)
    os._exit(0)
if sys.argv[2] == "ctrl-c-first":  # a Ctrl-C reaches it too, first: it is the supervisor's
    os.kill(child, signal.SIGINT)
os.kill(child, signal.SIGTERM)  # the supervisor stops it at once
_, status = os.waitpid(child, 0)
blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
print(os.WTERMSIG(status) if os.WIFSIGNALED(status) else "exited", signal.SIGTERM in blocked)
"""


@pytest.mark.parametrize("sent", ["sigterm", "ctrl-c-first"])
def test_a_stop_signal_sent_to_a_worker_as_it_is_forked_ends_it(sent: str) -> None:
    """A worker started in place of one that died got a SIGTERM within milliseconds of its fork
    when the server was stopped then; it ran the supervisor's handler (a flag nobody read in the
    child), served on, and the supervisor killed it after 30 s. With the hooks, the child is
    born with the stop signals blocked and obeys them by default once it unblocks them; the
    supervisor's own mask is as before the fork. (Without them the child notes the signal, or
    loses it outright when it comes before Python's own after-fork step, which drops signals
    pending then.) A Ctrl-C that reaches the child first changes nothing: the child ignores it,
    and it is the SIGTERM that ends it. In a process of its own: the hooks cannot be removed."""
    assert python_output(_FORK_WITH_A_STOP, "hooks", sent).split() == [str(int(signal.SIGTERM)), "False"]


class RecordedStopEvent:
    """Stands in for granian's stop event (``WorkerSignal``): counts its ``set`` calls."""

    def __init__(self) -> None:
        self.sets = 0

    def set(self) -> None:
        self.sets += 1


@pytest.fixture
def granian_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[asyncio.AbstractEventLoop, RecordedStopEvent]]:
    """A uvloop loop, and the stop event of a stand-in for ``granian._signals.set_loop_signals``
    that registers handlers as granian's does (each stop signal sets the event); the stand-in is
    granian's function for the test, and the loop's handlers and SIGINT's are put back after it."""
    import granian._signals as granian_signals

    event = RecordedStopEvent()
    previous_sigint = signal.getsignal(signal.SIGINT)

    def set_loop_signals(loop: asyncio.AbstractEventLoop) -> RecordedStopEvent:
        for number in STOP_SIGNALS:
            loop.add_signal_handler(number, lambda *_: event.set(), number, None)
        return event

    monkeypatch.setattr(granian_signals, "set_loop_signals", set_loop_signals)
    loop = uvloop.new_event_loop()
    yield loop, event
    for number in STOP_SIGNALS:
        loop.remove_signal_handler(number)
    loop.close()
    signal.signal(signal.SIGINT, previous_sigint)


def _signal_myself(loop: asyncio.AbstractEventLoop, *numbers: signal.Signals) -> None:
    """Send this process each of ``numbers`` in turn while ``loop`` runs, letting each arrive."""

    async def signalled() -> None:
        for number in numbers:
            os.kill(os.getpid(), number)
            for _ in range(10):
                await asyncio.sleep(0.01)

    loop.run_until_complete(signalled())


def test_a_worker_sets_its_stop_event_once_however_many_stop_signals_it_gets(
    granian_loop: tuple[asyncio.AbstractEventLoop, RecordedStopEvent],
) -> None:
    """A SIGTERM sent to the whole group (systemd's default stop) reaches a worker, then the
    supervisor sends it SIGTERM: granian's handlers set the stop event twice, and a second ``set``
    while granian's server was taking the first blocked the worker for good (the supervisor killed
    it after 30 s). The handler that :func:`set_the_stop_event_once` registers sets it on the first
    SIGTERM only."""
    import granian._signals as granian_signals

    loop, event = granian_loop
    set_the_stop_event_once()
    assert granian_signals.set_loop_signals(loop) is event
    _signal_myself(loop, signal.SIGTERM, signal.SIGTERM, signal.SIGTERM)
    assert event.sets == 1


def test_a_serving_worker_ignores_ctrl_c(
    granian_loop: tuple[asyncio.AbstractEventLoop, RecordedStopEvent],
) -> None:
    """A terminal's Ctrl-C reaches every worker; stopping them is the supervisor's (a worker that
    stopped on it by itself was an unexpected exit to granian, status 1, in the middle of a
    SIGHUP's replacement of the workers)."""
    import granian._signals as granian_signals

    loop, event = granian_loop
    set_the_stop_event_once()
    granian_signals.set_loop_signals(loop)
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    _signal_myself(loop, signal.SIGINT)
    assert event.sets == 0
    _signal_myself(loop, signal.SIGTERM)
    assert event.sets == 1


def test_without_the_guard_each_stop_signal_sets_the_event(
    granian_loop: tuple[asyncio.AbstractEventLoop, RecordedStopEvent],
) -> None:
    """The stand-in behaves as granian's handlers do, so the test above shows the guard's work."""
    import granian._signals as granian_signals

    loop, event = granian_loop
    granian_signals.set_loop_signals(loop)
    _signal_myself(loop, signal.SIGINT, signal.SIGTERM)
    assert event.sets == 2


def test_granian_looks_its_loop_signals_up_as_a_worker_starts_serving() -> None:
    """:func:`set_the_stop_event_once` replaces ``granian._signals.set_loop_signals``: that reaches
    the workers only while granian's ASGI worker imports the function as it starts (as granian 2.8
    does), after the app factory ran, not once when its module is imported. If a granian upgrade
    changes that, this fails rather than the guard silently doing nothing."""
    import inspect

    import granian.server.mp as granian_mp

    assert "set_loop_signals" not in vars(granian_mp)
    spawn = inspect.getsource(granian_mp.MPServer._spawn_asgi_lifespan_worker)
    assert "from granian._signals import set_loop_signals" in spawn
    assert spawn.index("set_loop_signals(loop)") < spawn.index("serve(scheduler, loop, shutdown_event)")


class LoopWithoutSignalHandlers:
    """A loop that cannot handle signals (``add_signal_handler`` raises ``NotImplementedError``, as
    on Windows): granian then gives its handlers to Python's ``signal`` module."""

    def add_signal_handler(self, *args: object) -> None:
        raise NotImplementedError

    def remove_signal_handler(self, number: int) -> bool:
        raise NotImplementedError


def test_on_a_loop_without_signal_handlers_the_guard_is_pythons_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """granian's fallback registers Python handlers; the guard's fallback replaces SIGTERM's with
    the stop-once handler and ignores SIGINT, as on a loop that handles signals."""
    import granian._signals as granian_signals

    event = RecordedStopEvent()

    def set_loop_signals(loop: object) -> RecordedStopEvent:
        for number in STOP_SIGNALS:  # as granian's fallback: each stop signal sets the event
            signal.signal(number, lambda *_: event.set())
        return event

    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    monkeypatch.setattr(granian_signals, "set_loop_signals", set_loop_signals)
    try:
        set_the_stop_event_once()
        assert granian_signals.set_loop_signals(LoopWithoutSignalHandlers()) is event
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGTERM):
            os.kill(os.getpid(), number)  # Python runs the handler before the next line
        assert event.sets == 1
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
