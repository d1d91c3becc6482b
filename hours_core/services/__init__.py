"""The use cases of hours, built on the ports. :func:`build_services` wires them together."""

from __future__ import annotations

import attrs

from hours_core.exchange import FileFormats
from hours_core.passwords import SCRYPT_N
from hours_core.ports import Clock, IdFactory, UnitOfWorkFactory
from hours_core.services.account import AccountService
from hours_core.services.admin import AdminService, Bootstrapped
from hours_core.services.authentication import Authenticator
from hours_core.services.caller import Caller
from hours_core.services.clients import ChangeClient, ClientService
from hours_core.services.exports import Export, ExportEntries, ExportService
from hours_core.services.idempotent import IdempotentRunner, KeyedRequest, Outcome
from hours_core.services.imports import ImportEntries, ImportReport, ImportService
from hours_core.services.projects import ChangeProject, ChangeTask, ProjectService
from hours_core.services.rates import (
    CreateRate,
    RateChange,
    RateService,
    ReapplyRates,
    ReapplyResult,
)
from hours_core.services.reports import ReportService, TimeReport, TimeReportRequest
from hours_core.services.sign_in import SessionCaller, SignedIn, SignInService
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
    "Authenticator",
    "Bootstrapped",
    "Caller",
    "ChangeClient",
    "ChangeOrg",
    "ChangeProject",
    "ChangeTask",
    "ChangeUser",
    "ClientService",
    "CreateRate",
    "CreateTimeEntry",
    "EntryPage",
    "Export",
    "ExportEntries",
    "ExportService",
    "IdempotentRunner",
    "ImportEntries",
    "ImportReport",
    "ImportService",
    "KeyedRequest",
    "Outcome",
    "ProjectService",
    "RateChange",
    "RateService",
    "ReapplyRates",
    "ReapplyResult",
    "ReportService",
    "Services",
    "SessionCaller",
    "SignInService",
    "SignedIn",
    "StartTimer",
    "TeamService",
    "TimeEntryService",
    "TimeReport",
    "TimeReportRequest",
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
    clients: ClientService
    rates: RateService
    team: TeamService
    account: AccountService
    admin: AdminService
    sign_in: SignInService
    exports: ExportService
    imports: ImportService
    reports: ReportService
    clock: Clock


def build_services(
    unit_of_work: UnitOfWorkFactory,
    *,
    clock: Clock,
    ids: IdFactory,
    env: str = "live",
    file_formats: FileFormats | None = None,
    password_cost: int = SCRYPT_N,
) -> Services:
    """The use cases over a store. ``env`` is the token environment this installation accepts;
    ``file_formats`` are what exports write and imports read (without them, both refuse to run);
    ``password_cost`` is scrypt's ``n`` for new password hashes (tests lower it to run fast)."""
    transactions = Transactions(unit_of_work)
    return Services(
        authenticator=Authenticator(transactions, clock, env),
        idempotent=IdempotentRunner(transactions, clock),
        entries=TimeEntryService(transactions, clock, ids),
        projects=ProjectService(transactions, clock, ids),
        clients=ClientService(transactions, clock, ids),
        rates=RateService(transactions, clock, ids),
        team=TeamService(transactions, clock, ids),
        account=AccountService(transactions, clock, ids, env),
        admin=AdminService(transactions, clock, ids, password_cost=password_cost),
        sign_in=SignInService(transactions, clock, password_cost=password_cost),
        exports=ExportService(transactions, clock, file_formats),
        imports=ImportService(transactions, clock, ids, file_formats),
        reports=ReportService(transactions, clock),
        clock=clock,
    )
