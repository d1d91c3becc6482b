"""Transaction scopes: one unit of work per outermost write, shared by everything inside it.

Services open ``with transactions.write() as uow:``. The outermost scope opens a unit of work and
commits it when the block ends without an exception; scopes opened inside it (in the same
thread or task) join that unit of work. So a use case can run on its own, or inside a larger
transaction (an idempotent request records its response in the same transaction as the change),
without knowing which.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from hours_core.ports import UnitOfWork, UnitOfWorkFactory

__all__ = ["Transactions"]


class Transactions:
    """Opens and joins units of work for the services."""

    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._unit_of_work = unit_of_work
        self._current: ContextVar[UnitOfWork | None] = ContextVar(f"hours_uow_{id(self)}", default=None)

    @contextmanager
    def write(self) -> Iterator[UnitOfWork]:
        """A writing scope: joins the open one, or opens one and commits it on success."""
        outer = self._current.get()
        if outer is not None:
            yield outer
            return
        with self._unit_of_work() as uow:
            token = self._current.set(uow)
            try:
                yield uow
                uow.commit()
            finally:
                self._current.reset(token)

    @contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        """A reading scope: joins the open one (to see its writes), or opens a read-only one."""
        outer = self._current.get()
        if outer is not None:
            yield outer
            return
        with self._unit_of_work(read_only=True) as uow:
            yield uow
