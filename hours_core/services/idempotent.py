"""Running a write under an ``Idempotency-Key``.

The claim, the change and the recorded result are one transaction:

1. A completed record this process remembers (step 4) answers at once, with no store access.
   Nothing reads the store before the write: a lookup there would cost every first use a
   transaction to find, almost always, nothing, and the claim of step 2 answers a replay the
   memory does not hold (and teaches the memory).
2. Otherwise, inside one write transaction: claim the key (an atomic insert on the unique
   (org, user, key) index; on a store whose write transactions run one at a time, a read, the
   record written once with its result), run the change, record its result, commit. A
   concurrent claim of the same key waits on that index (or for the one writer) until this
   transaction ends, then sees the committed record and replays it.
3. Any error rolls the whole transaction back, the claim with it, so a failed request releases
   its key and a corrected retry runs as new. A crash mid-request leaves nothing behind.
4. A completed record, once durable, is also kept in this process's
   :class:`~hours_core.services.replay_memory.ReplayMemory`, which answers the key's later
   requests (replay or reuse) with no store access until the record expires.
5. A write whose transaction the database rolled back to break a deadlock
   (:class:`~hours_core.errors.StoreDeadlock`, PostgreSQL's ``40P01``) runs once more, claim and
   all, when this runner opened that transaction: nothing of it was stored, and the writer it
   waited for has gone on. A second deadlock is answered as the busy store it is (503
   ``store_busy``). A write that joined a transaction opened around the runner is not run again
   (the transaction it would run in is the one that was rolled back).
6. At most once per :data:`PURGE_INTERVAL` per process, a keyed request first deletes the
   records past the replay window, in a short write transaction of its own. (Inside the claim's
   transaction it would hold the expired rows' locks for the whole request: on PostgreSQL a
   concurrent claim of an expired key would wait on them.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import attrs

from hours_core.errors import (
    IdempotencyKeyReused,
    IdempotencyRequestInProgress,
    StoreBusy,
    StoreDeadlock,
    StoreFull,
)
from hours_core.idempotency import REPLAY_WINDOW, Decision, IdempotencyRecord, decide
from hours_core.ports import Clock
from hours_core.services.caller import Caller
from hours_core.services.recording import keyed
from hours_core.services.replay_memory import ReplayMemory
from hours_core.services.transactions import Transactions

__all__ = ["IdempotentRunner", "KeyedRequest", "Outcome"]

PURGE_INTERVAL = timedelta(hours=1)


@attrs.frozen
class KeyedRequest:
    """The idempotency side of a request: its validated key and its fingerprint."""

    key: str
    fingerprint: str


@attrs.frozen
class Outcome:
    """The result of a keyed write, as its adapter encoded it, and whether it is a recorded one replayed."""

    result: bytes
    replayed: bool = False


class IdempotentRunner:
    """Runs writes once per key and replays their recorded results."""

    def __init__(
        self,
        transactions: Transactions,
        clock: Clock,
        *,
        housekeeping: Callable[[], object] | None = None,
        memory: ReplayMemory | None = None,
    ) -> None:
        self._transactions = transactions
        self._clock = clock
        self._memory = ReplayMemory() if memory is None else memory
        self._housekeeping = housekeeping
        self._purge_lock = threading.Lock()
        self._next_purge: datetime | None = None

    @property
    def memory(self) -> ReplayMemory:
        """The process's memory of completed records, which answers replays before the store."""
        return self._memory

    def run(
        self,
        caller: Caller,
        keyed: KeyedRequest | None,
        work: Callable[[], bytes],
    ) -> Outcome:
        """Run ``work`` in one write transaction, once per key; replay when the key was used.

        ``work`` performs the change through the services (which join this transaction) and
        returns its result, encoded by the adapter (the HTTP adapter: the response it sends), to
        record with the change. A key the memory holds is decided there (:meth:`replay`); any
        other is decided by the claim in the write transaction (replay, in progress, reused).
        """
        if keyed is not None:
            outcome = self._recalled(caller, keyed)
            if outcome is not None:
                return outcome
        if self._housekeeping is not None:
            _postponed_if_refused(self._housekeeping)
        if keyed is None:
            return self._once_more_after_a_deadlock(partial(self._unrecorded, work))
        if self._take_purge_turn():
            _postponed_if_refused(self.purge_expired)
        return self._once_more_after_a_deadlock(partial(self._claim_and_run, caller, keyed, work))

    def _once_more_after_a_deadlock(self, attempt: Callable[[], Outcome]) -> Outcome:
        """``attempt()``, and once more if the database broke a deadlock by rolling its transaction
        back, when it ran in a transaction of its own (see the module's docstring, step 5)."""
        if self._transactions.writing:
            return attempt()
        try:
            return attempt()
        except StoreDeadlock:
            return attempt()

    def _unrecorded(self, work: Callable[[], bytes]) -> Outcome:
        with self._transactions.write():
            return Outcome(work())

    def _claim_and_run(
        self, caller: Caller, keyed_request: KeyedRequest, work: Callable[[], bytes]
    ) -> Outcome:
        with self._transactions.write() as uow:
            now = self._clock.now()
            claim = IdempotencyRecord(
                org_id=caller.org_id,
                user_id=caller.user_id,
                key=keyed_request.key,
                fingerprint=keyed_request.fingerprint,
                created_at=now,
            )
            existing = uow.idempotency.claim(claim)
            if decide(existing, keyed_request.fingerprint, now) is Decision.EXPIRED and not (
                uow.idempotency.replace(claim, expired_before=now - REPLAY_WINDOW)
            ):  # another request took the expired key over first: its record decides
                existing = uow.idempotency.get(caller.org_id, caller.user_id, keyed_request.key)
                if decide(existing, keyed_request.fingerprint, now) in (Decision.EXPIRED, Decision.NEW):
                    raise IdempotencyRequestInProgress()  # expired or gone again meanwhile: retry
            if existing is not None:  # a replay, a refusal (reused, in progress), or an expired record
                replay = self._decide_replay(existing, keyed_request, now)
                if replay is not None:
                    self._remember(existing)
                    return replay
            with keyed(keyed_request.key):
                result = work()
            completed = claim.completed(result, self._clock.now())
            uow.idempotency.complete(completed)
            self._remember(completed)
        return Outcome(result)

    def replay(self, caller: Caller, keyed: KeyedRequest) -> Outcome | None:
        """The recorded result, if the process's memory of completed records holds the key and
        the request replays it; ``None`` if the memory does not hold it (the request has to run,
        and its claim decides). Raises for a key reused with another request. No store access.
        """
        return self._recalled(caller, keyed)

    def _recalled(self, caller: Caller, keyed: KeyedRequest) -> Outcome | None:
        remembered = self._memory.recall(caller.org_id, caller.user_id, keyed.key)
        if remembered is None:
            return None
        outcome = self._decide_replay(remembered, keyed)
        if outcome is None:
            self._memory.forget(caller.org_id, caller.user_id, keyed.key)  # expired
        return outcome

    def _decide_replay(
        self, existing: IdempotencyRecord, keyed: KeyedRequest, now: datetime | None = None
    ) -> Outcome | None:
        """The replay of ``existing``, if the request replays it; ``None`` if it has to run (the
        record expired); raises for a key reused with another request, or one still in progress."""
        decision = decide(existing, keyed.fingerprint, self._clock.now() if now is None else now)
        _raise_for(decision)
        if decision is not Decision.REPLAY:
            return None
        assert existing.result is not None
        return Outcome(existing.result, replayed=True)

    def _remember(self, record: IdempotencyRecord) -> None:
        """Keep a completed ``record`` in memory once what read or wrote it is durable."""
        self._transactions.when_durable(partial(self._memory.remember, record))

    def _take_purge_turn(self) -> bool:
        """Whether this request purges the expired records (at most once per :data:`PURGE_INTERVAL`)."""
        now = self._clock.now()
        with self._purge_lock:
            if self._next_purge is not None and now < self._next_purge:
                return False
            self._next_purge = now + PURGE_INTERVAL
        return True

    def purge_expired(self) -> int:
        """Delete every record past the replay window; return how many went."""
        with self._transactions.write() as uow:
            return uow.idempotency.purge_completed_before(self._clock.now() - REPLAY_WINDOW)


def _postponed_if_refused(job: Callable[[], object]) -> None:
    """Run a write's housekeeping ``job`` (the events' retention purge, the purge of expired records:
    each at most once an hour per process, in a transaction of its own); a busy store or a full disk
    puts it off to its next turn, never fails the request (whose own write may still fit)."""
    try:
        job()
    except (StoreBusy, StoreFull):
        return


def _raise_for(decision: Decision) -> None:
    if decision is Decision.REUSED:
        raise IdempotencyKeyReused()
    if decision is Decision.IN_PROGRESS:
        raise IdempotencyRequestInProgress()
