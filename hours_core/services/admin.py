"""Operator use cases: what the ``hours`` command line does outside the API.

These act without a caller, as the operator of the installation, so they may look rows up by id
across organizations (``locate``). The API never reaches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

import attrs

from hours_core.errors import NotFound, ValidationFailed
from hours_core.events import EventType
from hours_core.model import (
    Org,
    OrgId,
    Plan,
    Project,
    ProjectId,
    Role,
    Task,
    TaskId,
    TimeEntry,
    TimeEntryId,
    User,
    UserId,
)
from hours_core.passwords import SCRYPT_N, generate_password, hash_password
from hours_core.ports import Clock, IdFactory, UnitOfWork
from hours_core.services.account import add_token, revoke
from hours_core.services.caller import Caller
from hours_core.services.recording import OPERATOR, EventRecorder
from hours_core.services.team import change_role, check_new_user, deactivate, locked_org, reactivate
from hours_core.services.transactions import Transactions
from hours_core.tokens import DEFAULT_TOKEN_LIFETIME, ApiToken, MintedToken
from hours_core.validation import FieldErrors

__all__ = ["DEACTIVATED_USER_GETS_NO_TOKEN", "AdminService", "Bootstrapped", "NoActiveOwner"]

DEACTIVATED_USER_GETS_NO_TOKEN = (
    "is a deactivated user, whose tokens do not work: reactivate them first (their tokens work again then)"
)
"""The field message of a token minted for a deactivated user (:meth:`AdminService.mint_token`)."""


@attrs.frozen
class Bootstrapped:
    """What ``hours bootstrap`` made: a usable demo organization, a token and a first password for
    its owner (the web app's sign-in)."""

    org: Org
    user: User
    project: Project
    task: Task
    token: MintedToken
    password: str = attrs.field(repr=False)


class NoActiveOwner(NotFound):
    """The organization has no active owner for an operator command to act as
    (:meth:`AdminService.owner_caller`): its caller says how to give it one."""


class AdminService:
    """Creates organizations, users, projects, tasks and tokens for the operator."""

    def __init__(
        self, transactions: Transactions, clock: Clock, ids: IdFactory, *, password_cost: int = SCRYPT_N
    ) -> None:
        self._transactions = transactions
        self._clock = clock
        self._ids = ids
        self._password_cost = password_cost
        self._events = EventRecorder(clock, ids)

    def create_org(self, name: str, plan: Plan = Plan.FREE) -> Org:
        """A new organization on ``plan``, in UTC, with weeks from Monday."""
        org = Org.new(OrgId(self._ids.new_id()), name, plan, self._clock.now())
        with self._transactions.write() as uow:
            uow.orgs.add(org)
        return org

    def list_orgs(self) -> Sequence[Org]:
        """Every organization, oldest first."""
        with self._transactions.read() as uow:
            return uow.orgs.list()

    def set_plan(self, org_id: OrgId, plan: Plan) -> Org:
        """Move an organization to another plan.

        Under the organization's lock, as every other writer of the organization's row (``PATCH
        /org``) and of what the plan limits (users, active projects) reads it: the row is written
        whole, so a plan change that read it unlocked wrote back, on PostgreSQL, the settings as
        they were before a change that committed meanwhile, and no event told of that."""
        with self._transactions.write() as uow:
            org = uow.orgs.lock(org_id)
            if org is None:
                raise NotFound.of("organization")
            changed = org.with_plan(plan)
            uow.orgs.update(changed)
            self._events.org(uow, OPERATOR, org, changed)
        return changed

    def create_user(
        self, org_id: OrgId, email: str, role: Role = Role.MEMBER, name: str | None = None
    ) -> User:
        """A new user of the organization; ``name`` defaults to the email's local part.

        The email must have a real address's shape and be free in the organization. The plan's
        user limit does not bind the operator.
        """
        errors = FieldErrors()
        check_new_user(email, name, errors)
        errors.raise_if_any()
        with self._transactions.write() as uow:
            if uow.orgs.get(org_id) is None:
                raise NotFound.of("organization")
            user = User.new(
                UserId(self._ids.new_id()),
                org_id,
                email,
                User.name_from_email(email) if name is None else name,
                role,
                self._clock.now(),
            )
            uow.users.add(user)
            self._events.user(uow, OPERATOR, EventType.USER_CREATED, None, user)
        return user

    def list_users(self, org_id: OrgId) -> Sequence[User]:
        """The organization's users, deactivated ones included, oldest first."""
        with self._transactions.read() as uow:
            if uow.orgs.get(org_id) is None:
                raise NotFound.of("organization")
            return uow.users.list(org_id)

    def set_role(self, user_id: UserId, role: Role) -> User:
        """Give a user another role; the organization keeps an active owner (:class:`LastOwner`)."""
        with self._transactions.write() as uow:
            _org, user = self._locked_user(uow, user_id)
            return change_role(uow, self._events, OPERATOR, user, role)

    def deactivate_user(self, user_id: UserId) -> User:
        """Deactivate a user: their tokens stop working, their running timer stops now. A timer on a
        closed day refuses it (:class:`~hours_core.errors.EntryLocked`): the operator has no
        override (an owner may deactivate the user over the API with one, or the day is reopened)."""
        with self._transactions.write() as uow:
            org, user = self._locked_user(uow, user_id)
            return deactivate(uow, self._events, OPERATOR, org, user, self._clock.now())

    def reactivate_user(self, user_id: UserId) -> User:
        """Reactivate a deactivated user (the plan's user limit does not bind the operator)."""
        with self._transactions.write() as uow:
            _org, user = self._locked_user(uow, user_id)
            return reactivate(uow, self._events, OPERATOR, user)

    def _locked_user(self, uow: UnitOfWork, user_id: UserId) -> tuple[Org, User]:
        """The user's organization, locked, and the user, read again under that lock."""
        found = uow.users.locate(user_id)
        if found is None:
            raise NotFound.of("user")
        org = locked_org(uow, found.org_id)
        user = uow.users.get(found.org_id, user_id)
        assert user is not None  # users are never deleted
        return org, user

    def create_project(self, org_id: OrgId, name: str, *, billable_by_default: bool = False) -> Project:
        """A new project of the organization."""
        now = self._clock.now()
        project = Project.new(
            ProjectId(self._ids.new_id()), org_id, name, now, billable_by_default=billable_by_default
        )
        with self._transactions.write() as uow:
            if uow.orgs.get(org_id) is None:
                raise NotFound.of("organization")
            uow.projects.add(project)
            self._events.archivable(uow, OPERATOR, None, project)
        return project

    def owner_caller(self, org_id: OrgId) -> Caller:
        """The organization's oldest active owner as a caller: whom an operator command acts as
        when it runs a use case of the API (``hours export``, ``hours import``)."""
        with self._transactions.read() as uow:
            org = uow.orgs.get(org_id)
            if org is None:
                raise NotFound.of("organization")
            owner = next((user for user in uow.users.list(org_id) if user.is_active_owner), None)
        if owner is None:
            raise NoActiveOwner("The organization has no active owner to act as.")
        return Caller(user=owner, org=org)

    def create_task(self, project_id: ProjectId, name: str) -> Task:
        """A new task of the project."""
        with self._transactions.write() as uow:
            project = uow.projects.locate(project_id)
            if project is None:
                raise NotFound.of("project")
            now = self._clock.now()
            task = Task.new(TaskId(self._ids.new_id()), project, name, now)
            uow.tasks.add(task)
            self._events.archivable(uow, OPERATOR, None, task)
        return task

    def mint_token(
        self,
        user_id: UserId,
        *,
        env: str,
        name: str = "cli",
        lifetime: timedelta | None = DEFAULT_TOKEN_LIFETIME,
    ) -> MintedToken:
        """A new personal access token for the user; the plaintext is in the result only.

        The user's active tokens are capped as on the API (:func:`add_token`). A deactivated user
        gets none (:class:`~hours_core.errors.ValidationFailed` on ``user_id``): no request of theirs
        is served, so the token would be a secret that does nothing yet (reactivating them gives them
        back the tokens they had).
        """
        with self._transactions.write() as uow:
            user = uow.users.locate(user_id)
            if user is None:
                raise NotFound.of("user")
            if not user.is_active:
                raise ValidationFailed.one("user_id", DEACTIVATED_USER_GETS_NO_TOKEN)
            minted = ApiToken.mint(
                token_id=self._ids.new_id(),
                org_id=user.org_id,
                user_id=user.id,
                name=name,
                env=env,
                now=self._clock.now(),
                lifetime=lifetime,
            )
            add_token(uow, minted.token, minted.token.created_at)
            self._events.token(uow, OPERATOR, EventType.TOKEN_CREATED, None, minted.token)
        return minted

    def list_tokens(self, user_id: UserId) -> Sequence[ApiToken]:
        """The user's tokens, newest first, without secrets."""
        with self._transactions.read() as uow:
            user = uow.users.locate(user_id)
            if user is None:
                raise NotFound.of("user")
            return uow.tokens.list_for_user(user.org_id, user.id)

    def revoke_token(self, prefix: str) -> ApiToken:
        """Revoke the token with ``prefix``; it stops working on the next request."""
        with self._transactions.write() as uow:
            credentials = uow.tokens.find_credentials(prefix)
            if credentials is None:
                raise NotFound.of("token")
            revoke(uow, self._events, OPERATOR, credentials.token, self._clock.now())
            revoked = uow.tokens.get(credentials.org.id, prefix)
        assert revoked is not None
        return revoked

    def mark_invoiced(self, org_id: OrgId, entry_id: TimeEntryId, invoice_id: UUID) -> TimeEntry:
        """Attach an invoice to an entry (for an invoicing integration); the entry is locked from then on."""
        with self._transactions.write() as uow:
            entry = uow.entries.get(org_id, entry_id)
            if entry is None:
                raise NotFound.of("time entry")
            invoiced = entry.invoiced(invoice_id, self._clock.now())
            invoiced = uow.entries.update(invoiced, expected_updated_at=entry.updated_at)
            self._events.entry(uow, OPERATOR, EventType.TIME_ENTRY_UPDATED, entry, invoiced)
        return invoiced

    def bootstrap(
        self, *, org_name: str, plan: Plan, email: str, env: str, project_name: str = "My first project"
    ) -> Bootstrapped:
        """A demo organization: owner, one project with one task, a token and a first password; each call
        makes a new one."""
        with self._transactions.write() as uow:
            org = self.create_org(org_name, plan)
            user = self.create_user(org.id, email, Role.OWNER)
            project = self.create_project(org.id, project_name)
            task = self.create_task(project.id, "General")
            token = self.mint_token(user.id, env=env, name="bootstrap")
            password = generate_password()
            uow.sessions.set_password(org.id, user.id, hash_password(password, cost=self._password_cost))
        return Bootstrapped(org=org, user=user, project=project, task=task, token=token, password=password)
