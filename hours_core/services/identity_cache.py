"""The callers that tokens identified a moment ago, so that most requests authenticate without a read.

:class:`IdentityCache` keeps, for each token that authenticated successfully, the resolved
:class:`~hours_core.services.caller.Caller` (user, org, token) and when it was read from the store.
An entry is served for at most ``ttl`` after that read (default :data:`DEFAULT_AUTH_CACHE_TTL`, one
second; ``ttl`` 0 turns the cache off). The key is the SHA-256 of the whole presented token
(:func:`~hours_core.tokens.hash_token`), never the token itself: a token with a valid prefix and a
wrong secret has another key, so it never hits, and the plaintext is not kept.

How fresh a served caller is:

- **In this process, at once.** Every committed write that changes an org, a user or a token
  (revocation, deactivation, a role, a plan, the org's settings, a new member...) empties the cache
  when it commits: :class:`~hours_core.services.transactions.Transactions` watches the identity
  repositories of each write and calls :meth:`IdentityCache.forget` after the commit (see there).
  A lookup that began before such a commit may have read the old rows: its result is not stored
  (the cache's generation moved on while it read).
- **In other processes of a SQLite file: at once too.** Its :class:`~hours_core.ports.IdentitySignal`
  is shared memory. Such a commit also moves the store's shared mark, after it is durable
  and before its request is answered; every lookup here reads the mark first and, if it moved,
  empties the cache (and, as above, does not store a lookup that began before the move). So a
  deactivation, a revocation or a role change made by another ``hours serve`` worker or by the
  CLI holds on this process's next request.
- **In other processes on PostgreSQL: at once too.** Its signal is a ``NOTIFY`` that each server
  process hears on a listening connection and confirms once it has moved its mark; the change's
  request is answered after every listening process confirmed, and a process that is not
  listening (starting, reconnecting) serves nothing from memory. A process that does not confirm
  within a second (stopped, cut off) is logged and bounded by ``ttl``. On a store without a
  signal (memory), nothing tells this process about other processes' commits; its entries age out
  after ``ttl``.

The token's expiry is checked against the clock on every hit, so an expiring token is refused at
once whether it is cached or not. At most ``max_entries`` are kept; the oldest go first. The cache
is safe to use from several threads (authentication runs in worker threads on PostgreSQL).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from hours_core.ports import IdentitySignal
from hours_core.services.caller import Caller

__all__ = ["DEFAULT_AUTH_CACHE_ENTRIES", "DEFAULT_AUTH_CACHE_TTL", "IdentityCache"]

DEFAULT_AUTH_CACHE_TTL = timedelta(seconds=1)
"""How long an authenticated caller is served without reading the store again (at most)."""

DEFAULT_AUTH_CACHE_ENTRIES = 10_000
"""How many tokens the cache remembers at most; the oldest entries go first."""


class IdentityCache:
    """Recently authenticated callers by token digest, each for at most ``ttl`` after its read."""

    def __init__(
        self,
        ttl: timedelta = DEFAULT_AUTH_CACHE_TTL,
        max_entries: int = DEFAULT_AUTH_CACHE_ENTRIES,
        *,
        shared: IdentitySignal | None = None,
    ) -> None:
        if ttl < timedelta(0) or max_entries < 1:
            raise ValueError("the identity cache needs a ttl of 0 or more and room for an entry")
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Caller, datetime]] = {}  # caller, read at; oldest read first
        self._generation = 0
        self._lock = threading.Lock()
        self._shared = shared
        self._shared_mark: int | None = None  # not read yet: the first lookup reads it

    @property
    def enabled(self) -> bool:
        """Whether anything is cached at all (``ttl`` above 0)."""
        return self.ttl > timedelta(0)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def ticket(self) -> int:
        """Take this before reading the store; hand it to :meth:`put` with what was read."""
        with self._lock:
            self._follow_shared_mark()
            return self._generation

    def get(self, key: str, now: datetime) -> Caller | None:
        """The caller cached under ``key`` if it was read less than ``ttl`` before ``now``, else ``None``.

        A clock that went back past the read counts as stale too."""
        if not self.enabled:
            return None
        with self._lock:
            self._follow_shared_mark()
            entry = self._entries.get(key)
            if entry is None:
                return None
            caller, read_at = entry
            if timedelta(0) <= now - read_at < self.ttl:
                return caller
            del self._entries[key]
            return None

    def put(self, key: str, caller: Caller, read_at: datetime, ticket: int) -> None:
        """Cache ``caller``, read at ``read_at``, unless :meth:`forget` ran since ``ticket`` was taken
        (the read may predate a committed change). Evicts the oldest entries beyond ``max_entries``."""
        if not self.enabled:
            return
        with self._lock:
            self._follow_shared_mark()
            if ticket != self._generation:
                return
            self._entries.pop(key, None)
            self._entries[key] = (caller, read_at)
            while len(self._entries) > self.max_entries:
                del self._entries[next(iter(self._entries))]

    def replace(self, key: str, served: Caller, caller: Caller) -> None:
        """Put ``caller`` in place of ``served`` under ``key`` (keeping its read time and place) if
        ``served`` is still the entry; otherwise (expired, forgotten, read again) leave it."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is served:
                self._entries[key] = (caller, entry[1])

    def forget(self) -> None:
        """Drop every entry, and every lookup still under way (see :meth:`put`); move the shared
        mark, if any, so that every other process does the same on its next lookup. The mark moves
        outside the lock: moving it may take a round trip to the store (PostgreSQL's ``NOTIFY``),
        which lookups on an event loop must not wait for."""
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._shared_mark = None  # read again by the next lookup, which finds nothing to drop
        if self._shared is not None:
            self._shared.move()

    def _follow_shared_mark(self) -> None:
        """Empty the cache, as :meth:`forget` does, if another process moved the shared mark since
        this one last read it (the caller holds the lock). A cache that is off never reads the mark
        (on PostgreSQL, reading it starts a listening connection), but still moves it."""
        if self._shared is None or not self.enabled:
            return
        mark = self._shared.current()
        if mark != self._shared_mark:
            self._shared_mark = mark
            self._generation += 1
            self._entries.clear()
