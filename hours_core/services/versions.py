"""Optimistic concurrency: the ``If-Match`` of a write, checked against the version stored.

Entries, projects, tasks and clients carry a ``version`` that the store moves one up with every
write (:meth:`hours_core.ports.TimeEntryRepository.update`). A use case that takes ``if_match``
checks it with :func:`check_if_match` inside its write transaction, right after it reads the row,
and writes inside :func:`raced`: on a database where two transactions can read the same version at
once (PostgreSQL), the loser's write finds the row moved (``StaleUpdate``), which :func:`raced`
turns into the same :class:`~hours_core.errors.PreconditionFailed` the check would have raised had
it run a moment later. So of two writers with one ``If-Match``, exactly one wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeAlias

from hours_core.errors import PreconditionFailed, StaleUpdate

__all__ = ["IfMatch", "Versioned", "check_if_match", "raced"]

IfMatch: TypeAlias = int | frozenset[int] | None
"""A write's precondition: ``None`` (none), the version the caller read, or the versions any of
which it accepts (an empty set accepts none)."""


class Versioned(Protocol):
    """An entity with a write count (an entry, a project, a task, a client)."""

    @property
    def version(self) -> int:
        """1 when created, one more for every write."""
        ...


def check_if_match(current: Versioned, if_match: IfMatch) -> None:
    """Raise :class:`PreconditionFailed` (with the current version) unless ``if_match`` is ``None``
    (no precondition) or names the current version."""
    if if_match is None:
        return
    accepted = if_match if isinstance(if_match, frozenset) else frozenset((if_match,))
    if current.version not in accepted:
        raise PreconditionFailed(current.version)


@contextmanager
def raced(if_match: IfMatch, reread: Callable[[], Versioned | None]) -> Iterator[None]:
    """Within the block, a :class:`StaleUpdate` becomes :class:`PreconditionFailed` when the caller
    sent ``if_match`` and the row, read again (``reread``, in the same transaction), is at another
    version; otherwise it stays what it was."""
    try:
        yield
    except StaleUpdate:
        current = None if if_match is None else reread()
        if current is not None:
            check_if_match(current, if_match)
        raise
