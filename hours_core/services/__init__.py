"""The use cases of hours, built on the ports. :func:`build_services` wires them together."""

from __future__ import annotations

import attrs

from hours_core.ports import Clock, IdFactory, UnitOfWorkFactory
from hours_core.services.admin import AdminService, Bootstrapped
from hours_core.services.authentication import Authenticator
from hours_core.services.caller import Caller
from hours_core.services.idempotent import IdempotentRunner, KeyedRequest, Outcome
from hours_core.services.time_entries import CreateTimeEntry, TimeEntryService
from hours_core.services.transactions import Transactions

__all__ = [
    "AdminService",
    "Authenticator",
    "Bootstrapped",
    "Caller",
    "CreateTimeEntry",
    "IdempotentRunner",
    "KeyedRequest",
    "Outcome",
    "Services",
    "TimeEntryService",
    "Transactions",
    "build_services",
]


@attrs.frozen
class Services:
    """Every use case, sharing one transaction scope, clock and id factory."""

    authenticator: Authenticator
    idempotent: IdempotentRunner
    entries: TimeEntryService
    admin: AdminService
    clock: Clock


def build_services(
    unit_of_work: UnitOfWorkFactory, *, clock: Clock, ids: IdFactory, env: str = "live"
) -> Services:
    """The use cases over a store. ``env`` is the token environment this installation accepts."""
    transactions = Transactions(unit_of_work)
    return Services(
        authenticator=Authenticator(transactions, clock, env),
        idempotent=IdempotentRunner(transactions, clock),
        entries=TimeEntryService(transactions, clock, ids),
        admin=AdminService(transactions, clock, ids),
        clock=clock,
    )
