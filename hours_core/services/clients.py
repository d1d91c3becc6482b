"""Client use cases: owners and admins write, everyone in the org reads; clients are on every plan."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from hours_core.errors import Conflict, NotFound, ValidationFailed
from hours_core.model import KEEP, Client, ClientId, Keep, Project, name_problem
from hours_core.money import currency_problem
from hours_core.plans import Feature
from hours_core.ports import Clock, IdFactory, UnitOfWork
from hours_core.services.caller import Caller
from hours_core.services.recording import EventRecorder
from hours_core.services.transactions import Transactions
from hours_core.services.versions import IfMatch, check_if_match, raced
from hours_core.validation import FieldErrors

__all__ = ["ChangeClient", "ClientService", "client_for_project", "rates_bound_to_client"]


@attrs.frozen
class ChangeClient:
    """Rename, archive or unarchive a client, change its currency or billable default.

    ``None`` keeps ``name``, ``currency`` and ``archived``; ``billable_by_default`` is nullable, so
    :data:`~hours_core.model.KEEP` keeps it and ``None`` clears it.
    """

    name: str | None = None
    currency: str | None = None
    archived: bool | None = None
    billable_by_default: bool | Keep | None = KEEP


class ClientService:
    """Clients: whom projects are for, and the currency of their rates."""

    def __init__(self, transactions: Transactions, clock: Clock, ids: IdFactory) -> None:
        self._transactions = transactions
        self._clock = clock
        self._ids = ids
        self._events = EventRecorder(clock, ids)

    def list_clients(self, caller: Caller, *, include_archived: bool = True) -> Sequence[Client]:
        """The organization's clients, oldest first."""
        with self._transactions.read() as uow:
            return uow.clients.list(caller.org_id, include_archived=include_archived)

    def get_client(self, caller: Caller, client_id: ClientId) -> Client:
        """One client of the caller's organization."""
        with self._transactions.read() as uow:
            return _client(uow, caller, client_id)

    def create_client(
        self, caller: Caller, name: str, currency: str, *, billable_by_default: bool | None = None
    ) -> Client:
        """A new client (owners and admins); ``billable_by_default: true`` needs ``billable_time``."""
        _check_fields(name, currency)
        caller.require_manager("create clients")
        if billable_by_default:
            caller.require_feature(Feature.BILLABLE_TIME)
        client = Client.new(
            ClientId(self._ids.new_id()),
            caller.org_id,
            name,
            currency,
            self._clock.now(),
            billable_by_default=billable_by_default,
        )
        with self._transactions.write() as uow:
            uow.clients.add(client)
            self._events.archivable(uow, caller, None, client)
        return client

    def change_client(
        self, caller: Caller, client_id: ClientId, change: ChangeClient, *, if_match: IfMatch = None
    ) -> Client:
        """Rename, archive, unarchive, or change the currency or billable default of a client.

        A currency change is refused (:class:`Conflict`) while rates that must be in the client's
        currency exist: rates of the client, and rates of its projects. ``if_match``: the version
        the caller read (:class:`~hours_core.errors.PreconditionFailed` if it is not the client's),
        checked after the caller's role.
        """
        _check_fields(change.name, change.currency)
        with self._transactions.write() as uow:
            if change.currency is not None or change.archived:
                # Rates and projects are created under the organization's lock: taken first, the
                # count of the rates bound to the client below sees every one committed, and a
                # project created meanwhile reads the client archived.
                uow.orgs.lock(caller.org_id)
            client = _client(uow, caller, client_id)
            caller.require_manager("change clients")
            check_if_match(client, if_match)
            if change.billable_by_default is True:
                caller.require_feature(Feature.BILLABLE_TIME)
            if change.currency is not None and change.currency != client.currency:
                bound = rates_bound_to_client(uow, client)
                if bound:
                    raise Conflict(
                        f"The client has {bound} rate(s) in {client.currency} (its own or its projects'); "
                        "delete them before changing its currency."
                    )
            changed = client.revised(
                self._clock.now(),
                name=change.name,
                currency=change.currency,
                archived=change.archived,
                billable_by_default=change.billable_by_default,
            )
            with raced(if_match, lambda: uow.clients.get(caller.org_id, client_id)):
                changed = uow.clients.update(changed)
            self._events.archivable(uow, caller, client, changed)
        return changed


def rates_bound_to_client(uow: UnitOfWork, client: Client) -> int:
    """How many rates must be in ``client``'s currency: the client's, and its projects'."""
    return len(uow.rates.bound_to_client(client.org_id, client.id))


def client_for_project(uow: UnitOfWork, caller: Caller, client_id: ClientId) -> Client:
    """The client a project is to belong to: of the org (else 404) and not archived (else 422)."""
    client = _client(uow, caller, client_id)
    if client.archived:
        raise ValidationFailed.one("client_id", "the client is archived and takes no new projects")
    return client


def check_project_rates_currency(uow: UnitOfWork, project: Project, client: Client) -> None:
    """Refuse (422 on ``client_id``) to put ``project`` under ``client`` if the project has rates in
    another currency: a rate's currency is its client's."""
    currencies = sorted(
        {rate.currency for rate in uow.rates.of_project(project.org_id, project.id)} - {client.currency}
    )
    if currencies:
        raise ValidationFailed.one(
            "client_id",
            f"the project has rates in {', '.join(currencies)}; the client's currency is {client.currency}",
        )


def _check_fields(name: str | None, currency: str | None) -> None:
    errors = FieldErrors()
    if name is not None:
        problem = name_problem(name)
        if problem is not None:
            errors.add("name", problem)
    if currency is not None:
        problem = currency_problem(currency)
        if problem is not None:
            errors.add("currency", problem)
    errors.raise_if_any()


def _client(uow: UnitOfWork, caller: Caller, client_id: ClientId) -> Client:
    client = uow.clients.get(caller.org_id, client_id)
    if client is None:
        raise NotFound.of("client")
    return client
