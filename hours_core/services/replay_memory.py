"""The completed idempotency records a process keeps in memory, so that a replay needs no store.

A completed record never changes while it replays: the key's fingerprint and recorded result are
fixed when its request commits, and the only writes that touch the row again are the replacement
of an *expired* record by a new claim and the purge of expired records. So a copy of a completed
record answers every request for its key exactly as the store would, until the record expires:
a replay (same fingerprint) with the recorded result, a reused key (another fingerprint) with its
refusal. Past its expiry, the copy answers nothing and the store decides again.

Two rules keep the copies exact:

* Only a **durable** record is remembered: the runner hands a record over through
  :meth:`~hours_core.services.transactions.Transactions.when_durable`, so a record whose commit
  failed (or is still waiting for a group ``COMMIT``) is never answered from memory.
* Memory is **bounded**: at most :data:`MAX_RECORDS` records and :data:`MAX_BYTES` of recorded
  results (about 11 MiB in all when full), the least recently used going first, and a result over
  :data:`MAX_RESULT_BYTES` is not kept (its replays read the store). Forgetting a record costs a
  store read, never a wrong answer.

Each process keeps its own memory; a record another process wrote is remembered here the first
time this process reads it from the store.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from hours_core.idempotency import IdempotencyRecord
from hours_core.model import OrgId, UserId

__all__ = ["MAX_BYTES", "MAX_RECORDS", "MAX_RESULT_BYTES", "ReplayMemory"]

MAX_RECORDS = 4_096
"""The most records one process remembers (a retry comes seconds or minutes after its request, so
the most recent few thousand keys answer nearly every one)."""
MAX_BYTES = 8 * 1024 * 1024
"""The most bytes of recorded results one process remembers (8 MiB; each record also costs about
750 bytes of bookkeeping: ids, fingerprint, times, map entries)."""
MAX_RESULT_BYTES = 256 * 1024
"""The largest recorded result kept in memory (256 KiB); a larger one replays from the store."""

_Slot = tuple[OrgId, UserId, str]


class ReplayMemory:
    """A bounded, thread-safe, least-recently-used map of completed records by (org, user, key)."""

    def __init__(
        self,
        *,
        max_records: int = MAX_RECORDS,
        max_bytes: int = MAX_BYTES,
        max_result_bytes: int = MAX_RESULT_BYTES,
    ) -> None:
        if max_records < 0 or max_bytes < 0 or max_result_bytes < 0:
            raise ValueError("the bounds of a replay memory cannot be negative")
        self._max_records = max_records
        self._max_bytes = max_bytes
        self._max_result_bytes = min(max_result_bytes, max_bytes)
        self._records: OrderedDict[_Slot, IdempotencyRecord] = OrderedDict()
        self._keys: dict[str, int] = {}
        """How many remembered records each key has (keys are random: almost always one)."""
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._records)

    @property
    def size_bytes(self) -> int:
        """The bytes of recorded results held now."""
        return self._bytes

    def knows_key(self, key: str) -> bool:
        """Whether a record of ``key`` is remembered for any org and user: the cheapest test that
        a request's key is new here (no caller needed yet)."""
        return key in self._keys

    def holds(self, org_id: OrgId, user_id: UserId, key: str) -> bool:
        """Whether a record of ``key`` is remembered (a peek: its place in the order stays)."""
        return (org_id, user_id, key) in self._records

    def recall(self, org_id: OrgId, user_id: UserId, key: str) -> IdempotencyRecord | None:
        """The remembered completed record of ``key``, or ``None``; a hit becomes the most recent."""
        slot = (org_id, user_id, key)
        with self._lock:
            record = self._records.get(slot)
            if record is not None:
                self._records.move_to_end(slot)
            return record

    def remember(self, record: IdempotencyRecord) -> None:
        """Keep a completed, durable ``record``, evicting the least recently used beyond the bounds.

        A record in progress (no result yet) is refused with ``ValueError``: only a completed one
        answers for its key. One whose result is over the per-record bound is not kept.
        """
        if record.result is None:
            raise ValueError("only a completed idempotency record can be remembered")
        size = len(record.result)
        slot = (record.org_id, record.user_id, record.key)
        with self._lock:
            self._drop(slot)
            if size > self._max_result_bytes or self._max_records == 0:
                return
            self._records[slot] = record
            self._keys[record.key] = self._keys.get(record.key, 0) + 1
            self._bytes += size
            while len(self._records) > self._max_records or self._bytes > self._max_bytes:
                _, evicted = self._records.popitem(last=False)
                self._forgotten(evicted)

    def forget(self, org_id: OrgId, user_id: UserId, key: str) -> None:
        """Drop the record of ``key`` (an expired one: the store decides for it from now on)."""
        with self._lock:
            self._drop((org_id, user_id, key))

    def clear(self) -> None:
        """Forget every record (what a new process starts with)."""
        with self._lock:
            self._records.clear()
            self._keys.clear()
            self._bytes = 0

    def _drop(self, slot: _Slot) -> None:
        record = self._records.pop(slot, None)
        if record is not None:
            self._forgotten(record)

    def _forgotten(self, record: IdempotencyRecord) -> None:
        """Account for ``record``, just taken out of the records."""
        self._bytes -= len(record.result or b"")
        left = self._keys[record.key] - 1
        if left:
            self._keys[record.key] = left
        else:
            del self._keys[record.key]
