"""One writer thread for the write requests of a server process, fed from the event loop.

A SQLite file takes one writer at a time, so a pool of threads that each run a write request
only queue at the store's lock (:class:`~hours_sqlite.connection.WriterGate`), and every request
pays for two thread switches, a lock hand-over and a wake-up of its own. :class:`WriteQueue`
instead keeps one thread that owns the writing: the event loop appends a request's work to the
queue and awaits a future; the thread takes everything queued (at most :data:`MAX_BATCH`), runs
each piece of work in turn, each in its own savepoint of one group transaction, commits the
group once (one ``COMMIT``, one sync of the WAL), and only then answers the whole batch, with one
wake-up of the event loop per batch.

The guarantees are those of group commit (:mod:`hours_sqlite.connection`):

* No answer before its write is durable: every future is resolved after the ``COMMIT`` of the
  group its work joined. If that ``COMMIT`` fails, every work of the group that succeeded gets
  the error (as from :meth:`~hours_sqlite.connection.WriterGate.wait_for`).
* A work that raises rolls back its own savepoint only, and its future gets its own error, after
  the group has ended too (it may have read the group's changes).
* Each work runs in the :mod:`contextvars` context of the request that queued it.
* The commit hooks a work fired (:meth:`~hours_core.services.Transactions.on_identity_change`:
  the authentication cache forgets) run again right after the ``COMMIT`` of its group, in the
  thread that ends the group, before anyone is answered
  (:func:`~hours_core.services.transactions.commit_hooks_held`, :meth:`WriteGroup.after_end`):
  a token revoked in a batch is refused by every request after that ``COMMIT``, even one that
  read the token in between.
* What waits for a work's commits to be durable
  (:meth:`~hours_core.services.Transactions.when_durable`: the replay memory of idempotency keeps
  a completed record) runs once its groups' ``COMMIT`` succeeded, before it is answered, and
  never if the work failed or a ``COMMIT`` did
  (:func:`~hours_core.services.transactions.durable_callbacks_held`).
* Writers of other threads (the CLI, background jobs) still use the gate as before; they may join
  or commit a batch's group, which changes nothing above.
* A work waits for the writer at most the store's busy timeout (5 s), as a writer of another thread
  waits for the gate: a work not started when its wait runs out (a long write ahead of it, in the
  queue or in the writer's batch: the undo of a large import; another process holding the file) is
  withdrawn and its request gets :class:`~hours_core.errors.StoreBusy` at once (503
  ``store_busy``, retryable; it never ran, so nothing of it was written). A watcher thread, which
  the queue starts with its writer thread, looks every quarter of the timeout (at most every
  second), and the writer looks again before it starts each work: a work is either started or
  withdrawn, never both (its state changes under the queue's lock).

The thread starts with the first work and stops when the queue is closed, after running what was
queued (the store's ``close`` waits up to 30 seconds for it).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, TypeVar

import attrs

from hours_core.services.transactions import commit_hooks_held, durable_callbacks_held
from hours_sqlite.connection import MAX_GROUP, WriteGroup, WriterGate, busy, waiting_until

__all__ = ["MAX_BATCH", "WriteQueue"]

MAX_BATCH = MAX_GROUP
"""The most pieces of work one batch takes (one group transaction, one ``COMMIT``)."""

_CLOSE_WAIT_SECONDS = 30.0

logger = logging.getLogger("hours")

_T = TypeVar("_T")


_QUEUED, _STARTED, _WITHDRAWN = "queued", "started", "withdrawn"


@attrs.define
class _Work:
    run: Callable[[], Any]
    context: contextvars.Context
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    result: Any = None
    error: BaseException | None = None
    groups: list[WriteGroup] = attrs.Factory(list)
    after_durable: list[Callable[[], None]] = attrs.Factory(list)
    on_success: list[Callable[[], None]] = attrs.Factory(list)
    deadline: float | None = None
    """When (``time.monotonic()``) it stops waiting for the writer: queued + the busy timeout
    (``None``: no limit)."""
    state: str = _QUEUED
    """:data:`_QUEUED`, then :data:`_STARTED` or :data:`_WITHDRAWN` (changed under the queue's lock)."""

    def run_held(self, deadline: float | None) -> None:
        """Run the work, waiting for the writer until ``deadline`` at most (``time.monotonic()``;
        ``None``: the busy timeout), keeping the commit hooks it fired to call again once its groups
        ended, and the callbacks that wait for its commits to be durable (:attr:`on_success`)."""
        waiting = nullcontext() if deadline is None else waiting_until(deadline)
        with waiting, commit_hooks_held() as held, durable_callbacks_held() as durable:
            try:
                self.result = self.run()
            finally:
                self.after_durable = held
                self.on_success = durable


class WriteQueue:
    """Runs write work on one thread, in batches that share one ``COMMIT`` (see the module)."""

    def __init__(self, gate: WriterGate, *, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch!r}")
        self._gate = gate
        self._max_batch = max_batch
        self._queued: list[_Work] = []
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._watcher: threading.Thread | None = None
        self._stop_watching = threading.Event()
        self._closed = False
        self._batch: list[_Work] = []
        """The batch the writer thread is running (its works not started yet may be withdrawn)."""
        self._wait: float | None = gate.busy_timeout_seconds or None
        """How long a work may wait for the writer before it starts. ``None`` for a busy timeout of 0
        (only tests open a store so): a queue cannot answer at once without ever running a work, so
        there it waits without limit."""
        self.batches = 0
        """How many batches the thread has run (for tests and benchmarks)."""

    async def run(self, work: Callable[[], _T]) -> _T:
        """Run ``work`` on the writer thread and return its result (or raise its error) once the
        transaction it wrote in is durable. Raises ``RuntimeError`` once the queue is closed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()
        deadline = None if self._wait is None else time.monotonic() + self._wait
        queued = _Work(work, contextvars.copy_context(), future, loop, deadline=deadline)
        with self._ready:
            if self._closed:
                raise RuntimeError("the store is closed")
            self._queued.append(queued)
            if self._thread is None:
                thread = threading.Thread(target=self._serve, name="hours-sqlite-writer", daemon=True)
                thread.start()
                self._thread = thread
                if self._wait is not None:
                    watcher = threading.Thread(
                        target=self._watch, name="hours-sqlite-queue-watch", daemon=True
                    )
                    watcher.start()
                    self._watcher = watcher
            self._ready.notify()
        return await future

    def close(self) -> None:
        """Stop taking work, let the thread finish what is queued, and wait for it (at most
        30 seconds: a shutdown does not hang on a write that never ends)."""
        with self._ready:
            self._closed = True
            self._ready.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(_CLOSE_WAIT_SECONDS)
        self._stop_watching.set()  # after the writer: what waits behind its last works is still answered

    def _watch(self) -> None:
        """Withdraw the works queued longer than the busy timeout, answering them ``StoreBusy``,
        until the queue is closed (see the module)."""
        wait = self._wait
        if wait is None:
            return
        interval = min(1.0, max(wait / 4, 0.01))
        while not self._stop_watching.wait(interval):  # its own event: never takes the writer's wake-up
            with self._ready:
                now = time.monotonic()
                expired = [
                    work
                    for work in (*self._queued, *self._batch)
                    if work.state == _QUEUED and _ran_out(work, now)
                ]
                for work in expired:
                    work.state = _WITHDRAWN
                if expired:
                    self._queued = [work for work in self._queued if work.state == _QUEUED]
            _withdrawn(expired)

    def _start(self, work: _Work) -> bool:
        """Whether the writer may run ``work`` now: it was not withdrawn and its wait has not run out
        (else it is withdrawn here, and answered)."""
        with self._ready:
            if work.state == _WITHDRAWN:
                return False
            if _ran_out(work, time.monotonic()):
                work.state = _WITHDRAWN
            else:
                work.state = _STARTED
                return True
        _withdrawn([work])
        return False

    def _serve(self) -> None:
        self._gate.serve_batches()
        try:
            self._serve_batches()
        finally:
            self._gate.stop_serving_batches()

    def _serve_batches(self) -> None:
        while True:
            with self._ready:
                while not self._queued and not self._closed:
                    self._ready.wait()
                if not self._queued:
                    return
                batch = self._queued[: self._max_batch]
                del self._queued[: self._max_batch]
                self._batch = batch
            try:
                self._run_batch(batch)
            except Exception:  # a bug here must not stop the writer: the batch is answered regardless
                logger.exception("the SQLite writer thread failed on a batch")
            finally:
                with self._ready:
                    self._batch = []

    def _run_batch(self, batch: list[_Work]) -> None:
        gate = self._gate
        last = len(batch) - 1
        started: list[_Work] = []
        for index, work in enumerate(batch):
            gate.expect_more(index < last)
            if not self._start(work):  # withdrawn: it waited its time behind the works before it
                continue
            started.append(work)
            try:
                work.context.run(work.run_held, work.deadline)
            except BaseException as error:  # handed to the request that queued the work
                work.error = _answerable(error)
            work.groups = gate.take_deferred()
            if work.error is not None and not work.groups:
                # It failed and took part in no group (it waited for the writer in vain, or read
                # nothing another work wrote): nothing of it waits for a COMMIT, so it is answered
                # now, not when the batch ends (a batch of works that each wait out their deadline
                # would otherwise answer the first one only with the last).
                started.remove(work)
                _answer([work])
                continue
            for group in work.groups:  # the hooks run again right after the durable COMMIT
                group.after_end(work.after_durable)
        try:
            if started:  # a batch whose every work was withdrawn wrote nothing: nothing to settle
                gate.settle()
            for work in started:
                _wait_for_groups(gate, work)
        except Exception as error:  # not durable, then: no work of the batch may succeed
            for work in started:
                work.error = work.error or error
        else:
            for work in started:  # durable: what waited for it may now use it, before the answers
                if work.error is None:
                    for callback in work.on_success:
                        callback()
        finally:
            gate.expect_more(False)
            self.batches += 1
            _answer(started)  # the withdrawn ones were answered when they were withdrawn


def _wait_for_groups(gate: WriterGate, work: _Work) -> None:
    """Wait until every group ``work`` wrote in has ended; a failed ``COMMIT`` becomes the
    error of a work that succeeded (one that failed reports its own error)."""
    for group in work.groups:
        try:
            gate.wait_for(group)
        except Exception as error:
            if work.error is None:
                work.error = error


def _ran_out(work: _Work, now: float) -> bool:
    """Whether ``work``'s wait for the writer has run out."""
    return work.deadline is not None and now >= work.deadline


def _withdrawn(works: list[_Work]) -> None:
    """Answer works withdrawn before they started: the database was busy for longer than they may wait."""
    if works:
        for work in works:
            work.error = busy()
        _answer(works)


def _answer(batch: list[_Work]) -> None:
    """Resolve the batch's futures: one call into each event loop for the whole batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Work]] = {}
    for work in batch:
        by_loop.setdefault(work.loop, []).append(work)
    for loop, works in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, works)
        except RuntimeError:  # the loop is closed: nobody awaits these any more
            continue


def _resolve(works: list[_Work]) -> None:
    for work in works:
        if work.future.done():  # the request was cancelled (its client went away)
            continue
        try:
            if work.error is not None:
                work.future.set_exception(work.error)
            else:
                work.future.set_result(work.result)
        except Exception as error:  # never leave the rest of the batch unanswered
            work.future.set_exception(RuntimeError(f"the write's outcome could not be handed over: {error}"))


def _answerable(error: BaseException) -> BaseException:
    """``error`` as a future can carry it: asyncio refuses ``StopIteration`` (it would end a
    coroutine silently), so that becomes a ``RuntimeError`` caused by it."""
    if isinstance(error, StopIteration | StopAsyncIteration):
        wrapped = RuntimeError(f"the write raised {type(error).__name__}")
        wrapped.__cause__ = error
        return wrapped
    return error
