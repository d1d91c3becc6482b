"""The use cases of hours, built on the ports. :func:`build_services` wires them together."""

from __future__ import annotations

import attrs

from hours_core.ports import Clock, IdFactory, UnitOfWorkFactory
from hours_core.services.account import AccountService
from hours_core.services.admin import AdminService, Bootstrapped
from hours_core.services.audit import AuditFilter, EventPage, EventService, FeedPage
from hours_core.services.authentication import Authenticator
from hours_core.services.caller import Caller
from hours_core.services.idempotent import IdempotentRunner, KeyedRequest, Outcome
from hours_core.services.projects import ChangeProject, ChangeTask, ProjectService
from hours_core.services.team import AddUser, ChangeOrg, ChangeUser, TeamService
from hours_core.services.time_entries import (
    UNSET,
    CreateTimeEntry,
    EntryPage,
    StartTimer,
    TimeEntryService,
    UpdateTimeEntry,
)
from hours_core.services.transactions import Transactions

__all__ = [
    "UNSET",
    "AccountService",
    "AddUser",
    "AdminService",
    "AuditFilter",
    "Authenticator",
    "Bootstrapped",
    "Caller",
    "ChangeOrg",
    "ChangeProject",
    "ChangeTask",
    "ChangeUser",
    "CreateTimeEntry",
    "EntryPage",
    "EventPage",
    "EventService",
    "FeedPage",
    "IdempotentRunner",
    "KeyedRequest",
    "Outcome",
    "ProjectService",
    "Services",
    "StartTimer",
    "TeamService",
    "TimeEntryService",
    "Transactions",
    "UpdateTimeEntry",
    "build_services",
]


@attrs.frozen
class Services:
    """Every use case, sharing one transaction scope, clock and id factory."""

    authenticator: Authenticator
    idempotent: IdempotentRunner
    entries: TimeEntryService
    projects: ProjectService
    team: TeamService
    account: AccountService
    admin: AdminService
    events: EventService
    clock: Clock


def build_services(
    unit_of_work: UnitOfWorkFactory, *, clock: Clock, ids: IdFactory, env: str = "live"
) -> Services:
    """The use cases over a store. ``env`` is the token environment this installation accepts."""
    transactions = Transactions(unit_of_work)
    events = EventService(transactions, clock)
    return Services(
        authenticator=Authenticator(transactions, clock, env),
        idempotent=IdempotentRunner(transactions, clock, housekeeping=events.purge_if_due),
        entries=TimeEntryService(transactions, clock, ids),
        projects=ProjectService(transactions, clock, ids),
        team=TeamService(transactions, clock, ids),
        account=AccountService(transactions, clock, ids, env),
        admin=AdminService(transactions, clock, ids),
        events=events,
        clock=clock,
    )
