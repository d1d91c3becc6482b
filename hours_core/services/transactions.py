"""Transaction scopes: one unit of work per outermost write, shared by everything inside it.

Services open ``with transactions.write() as uow:``. The outermost scope opens a unit of work and
commits it when the block ends without an exception; scopes opened inside it (in the same
thread or task) join that unit of work. So a use case can run on its own, or inside a larger
transaction (an idempotent request records its response in the same transaction as the change),
without knowing which.

**Identity changes.** Whoever keeps what the store says about orgs, users and tokens in memory
(the :class:`~hours_core.services.identity_cache.IdentityCache` of authentication) registers with
:meth:`Transactions.on_identity_change`; it is called after every committed write scope that
changed one of them. No service has to remember to report it: the unit of work a write scope hands
out watches its ``orgs``, ``users`` and ``tokens`` repositories, and any call on them that is not
one of their reads (:data:`IDENTITY_READS`) marks the scope: ``add``, ``update``, ``revoke``, and
whatever method such a repository gains later until it is listed as a read. Writing a token's
last use (``record_use``) is the one write that does not count: the cached callers carry the use
they noted. The mark is conservative: a write undone by a savepoint still counts (one needless
refill of the cache), a scope that rolls back does not (nothing changed).

**Durable commits.** Whoever copies what a write committed into memory (the
:class:`~hours_core.services.replay_memory.ReplayMemory` of idempotency) must not copy it before
the commit is durable, nor at all if it fails: :meth:`Transactions.when_durable` calls back once
the outermost write scope's commit is durable, and never if it fails. A runner whose units of work
return from ``commit()`` before their transaction is durable (SQLite's writer queue) collects
those callbacks with :func:`durable_callbacks_held` and calls them only after its ``COMMIT``
succeeded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from hours_core.ports import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "IDENTITY_READS",
    "IDENTITY_REPOSITORIES",
    "Transactions",
    "commit_hooks_held",
    "durable_callbacks_held",
]

IDENTITY_REPOSITORIES = frozenset({"orgs", "users", "tokens"})
"""The repositories of a unit of work whose rows make up a caller (see ``Caller``)."""

IDENTITY_READS = frozenset(
    {"get", "list", "locate", "count_active", "lock", "find_credentials", "list_for_user"}
)
"""Their methods that change nothing; any other call counts as an identity change..."""

_NOT_AN_IDENTITY_CHANGE = frozenset({"record_use"})
"""...but these: a token's last use, which the cached callers already carry as they noted it."""

_HELD_HOOKS: ContextVar[list[Callable[[], None]] | None] = ContextVar("hours_held_commit_hooks", default=None)
_HELD_DURABLE: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "hours_held_durable_callbacks", default=None
)


@contextmanager
def commit_hooks_held() -> Iterator[list[Callable[[], None]]]:
    """Collect, in the list it yields, the listeners of the commits made inside the block, to be
    called again once those commits are durable.

    For a runner whose units of work return from ``commit()`` before their transaction is durable
    (SQLite's writer queue commits a batch of them at once, after the last one): listeners run at
    ``commit()`` as always, and the runner calls the held ones again after the durable commit, so
    that nothing another thread read and cached in between (the old rows, still the committed
    ones) outlives it.
    """
    with _holding(_HELD_HOOKS) as held:
        yield held


@contextmanager
def durable_callbacks_held() -> Iterator[list[Callable[[], None]]]:
    """Collect, in the list it yields, the :meth:`Transactions.when_durable` callbacks of the
    commits made inside the block, instead of calling them as each ``commit()`` returns.

    For a runner whose units of work return from ``commit()`` before their transaction is durable:
    it calls the collected callbacks once that transaction's ``COMMIT`` succeeded, and drops them
    if it failed.
    """
    with _holding(_HELD_DURABLE) as held:
        yield held


@contextmanager
def _holding(
    holder: ContextVar[list[Callable[[], None]] | None],
) -> Iterator[list[Callable[[], None]]]:
    """A new list in ``holder`` for the block's context, yielded; the one before it restored after."""
    held: list[Callable[[], None]] = []
    token = holder.set(held)
    try:
        yield held
    finally:
        holder.reset(token)


class Transactions:
    """Opens and joins units of work for the services."""

    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._unit_of_work = unit_of_work
        self._current: ContextVar[UnitOfWork | None] = ContextVar(f"hours_uow_{id(self)}", default=None)
        self._identity_listeners: list[Callable[[], None]] = []

    def on_identity_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (no arguments, never raising) after each commit that changed an org, a
        user or a token, in the thread that committed, before the write scope returns (and again
        once the commit is durable, under :func:`commit_hooks_held`). It may wait briefly: on
        PostgreSQL it waits for the other server processes to confirm the change."""
        self._identity_listeners.append(listener)

    @property
    def writing(self) -> bool:
        """Whether a write scope is open here (in this thread or task): one that :meth:`write`
        would join instead of opening its own."""
        return self._current.get() is not None

    def when_durable(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (quick, never raising) once the open write scope's commit is durable,
        and never if that scope rolls back or its commit fails; with no write scope open, at once
        (what was read outside one is committed already)."""
        outer = self._current.get()
        if outer is None:
            callback()
            return
        cast(_WatchedUnitOfWork, outer).durable_callbacks.append(callback)

    @contextmanager
    def write(self) -> Iterator[UnitOfWork]:
        """A writing scope: joins the open one, or opens one and commits it on success."""
        outer = self._current.get()
        if outer is not None:
            yield outer
            return
        with self._unit_of_work() as opened:
            uow = _WatchedUnitOfWork(opened)
            token = self._current.set(cast(UnitOfWork, uow))
            try:
                yield cast(UnitOfWork, uow)
                opened.commit()
            finally:
                self._current.reset(token)
        # The unit of work has given its connection back: a listener may use the store (PostgreSQL's
        # identity signal sends a NOTIFY) without holding two of the pool's connections at once.
        if uow.identity_changed:
            for listener in self._identity_listeners:
                listener()
            held = _HELD_HOOKS.get()
            if held is not None:
                held.extend(self._identity_listeners)
        if uow.durable_callbacks:
            later = _HELD_DURABLE.get()
            if later is not None:
                later.extend(uow.durable_callbacks)
            else:
                for callback in uow.durable_callbacks:
                    callback()

    @contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        """A reading scope: joins the open one (to see its writes), or opens a read-only one."""
        outer = self._current.get()
        if outer is not None:
            yield outer
            return
        with self._unit_of_work(read_only=True) as uow:
            yield uow


class _WatchedUnitOfWork:
    """A write unit of work as the services see it: the same, but it notes identity changes."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.identity_changed = False
        self.durable_callbacks: list[Callable[[], None]] = []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._uow, name)
        if name in IDENTITY_REPOSITORIES:
            value = _WatchedRepository(value, self)
        setattr(self, name, value)  # later lookups skip __getattr__
        return value


class _WatchedRepository:
    """An org, user or token repository that marks its unit of work on every call but a read."""

    def __init__(self, repository: object, uow: _WatchedUnitOfWork) -> None:
        self._repository = repository
        self._uow = uow

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._repository, name)
        if name not in IDENTITY_READS and name not in _NOT_AN_IDENTITY_CHANGE and callable(value):
            method = value
            uow = self._uow

            def changing(*args: Any, **kwargs: Any) -> Any:
                uow.identity_changed = True
                return method(*args, **kwargs)

            value = changing
        setattr(self, name, value)
        return value
