"""The organization's settings and its team: everyone reads, owners and admins change.

Every change takes the organization's lock first (:meth:`~hours_core.ports.OrgRepository.lock`)
and reads the acting user again under it, so that the rules on the team hold however many requests
run at once, in however many processes:

* an organization always keeps an active owner: demoting or deactivating the last one is
  :class:`~hours_core.errors.LastOwner`;
* the plan's user limit (:data:`hours_core.plans.USER_LIMITS`) counts active users when one is
  added or reactivated over the API (:class:`~hours_core.errors.PlanRequired`, ``team_members``);
* only an owner makes an owner (adds one, or promotes a user to owner); admins manage everyone
  else, and may demote or deactivate an owner as long as another active owner remains;
* a user deactivated meanwhile acts no more (the same error as any unusable token).

Deactivating a user stops their running timer at that moment (a timer on a closed day refuses the
deactivation, unless an owner overrides the lock for that stop); their entries stay, and so do their
tokens, which are refused while the user is deactivated and work again after a reactivation
(unless they expired or were revoked meanwhile).

The functions :func:`change_role`, :func:`deactivate` and :func:`reactivate` are the rules both
paths apply: this service (the API) and the operator's (:class:`~hours_core.services.AdminService`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from hours_core.emails import email_problem
from hours_core.entry_locks import ClosedDays, LockOverride, check_entry_write, require_override_allowed
from hours_core.errors import EntryLocked, Forbidden, LastOwner, NotFound, Unauthenticated
from hours_core.events import EventType
from hours_core.model import (
    KEEP,
    MAX_LOCK_AFTER_DAYS,
    Keep,
    Org,
    OrgId,
    OverlapPolicy,
    Role,
    User,
    UserId,
    WeekStart,
    name_problem,
)
from hours_core.plans import Feature, require_room_for_users
from hours_core.ports import Clock, IdFactory, UnitOfWork
from hours_core.services.account import revoke
from hours_core.services.caller import Caller
from hours_core.services.recording import EventRecorder, Origin
from hours_core.services.transactions import Transactions
from hours_core.timezones import timezone_problem
from hours_core.tokens import ApiToken
from hours_core.validation import FieldErrors

__all__ = [
    "AddUser",
    "ChangeOrg",
    "ChangeUser",
    "TeamService",
    "change_role",
    "check_new_user",
    "deactivate",
    "locked_org",
    "reactivate",
]


@attrs.frozen
class ChangeOrg:
    """Change the organization's settings; ``None`` keeps a setting. The plan is not one of them:
    it is billing's (the operator's ``hours orgs set-plan``). ``lock_after_days`` is nullable:
    :data:`~hours_core.model.KEEP` keeps it, ``None`` removes the rolling rule."""

    name: str | None = None
    timezone: str | None = None
    week_start: WeekStart | None = None
    overlap_policy: OverlapPolicy | None = None
    lock_after_days: int | Keep | None = KEEP


@attrs.frozen
class AddUser:
    """Add a user to the caller's organization."""

    email: str
    name: str
    role: Role = Role.MEMBER


@attrs.frozen
class ChangeUser:
    """Rename a user or give them another role; ``None`` keeps a field."""

    name: str | None = None
    role: Role | None = None


def check_new_user(email: str, name: str | None, errors: FieldErrors) -> None:
    """A new user's email must have a real address's shape (:func:`hours_core.emails.email_problem`)
    and their name, if given, follow the name rule."""
    problem = email_problem(email)
    if problem is not None:
        errors.add("email", problem)
    _check_name(name, errors)


def _check_name(name: str | None, errors: FieldErrors) -> None:
    problem = None if name is None else name_problem(name)
    if problem is not None:
        errors.add("name", problem)


def locked_org(uow: UnitOfWork, org_id: OrgId) -> Org:
    """The organization, locked for the rest of the unit of work (see :meth:`OrgRepository.lock`)."""
    org = uow.orgs.lock(org_id)
    if org is None:
        raise NotFound.of("organization")
    return org


def change_role(
    uow: UnitOfWork,
    events: EventRecorder,
    origin: Origin | Caller,
    user: User,
    role: Role,
    *,
    was: User | None = None,
) -> User:
    """``user`` with ``role``, stored, and ``user.updated`` recorded (from ``was``, if the user
    changed before in the same request); :class:`LastOwner` if that leaves no active owner.

    The caller holds the organization's lock.
    """
    if user.is_active_owner and role is not Role.OWNER:
        _require_another_active_owner(uow, user)
    changed = user.revised(role=role)
    uow.users.update(changed)
    events.user(uow, origin, EventType.USER_UPDATED, user if was is None else was, changed)
    return changed


def deactivate(
    uow: UnitOfWork,
    events: EventRecorder,
    origin: Origin | Caller,
    org: Org,
    user: User,
    now: datetime,
    *,
    override: LockOverride | None = None,
) -> User:
    """``user`` deactivated at ``now``, stored, their running timer stopped at the same moment and
    their web sessions ended (a reactivated user signs in again); a user already deactivated is
    returned as is. :class:`LastOwner` for the last active owner.

    The stop is a write of the timer like any other: on a closed day (or an invoiced entry) it is
    :class:`~hours_core.errors.EntryLocked` and nothing changes, unless an owner's ``override`` lets
    it through, which its ``timer.stopped`` event records (the operator, ``origin`` not a
    :class:`Caller`, has no role and may not override).

    The caller holds the organization's lock; this holds its entry writes too
    (:meth:`~hours_core.ports.PeriodRepository.hold`).
    """
    if not user.is_active:
        return user
    if user.is_active_owner:
        _require_another_active_owner(uow, user)
    # Entry writes in flight finish first and new ones wait (PostgreSQL; one writer at a time
    # elsewhere): a timer started or an entry logged for the user either committed before this
    # reads the running timer, or reads the user after this commits and is refused.
    uow.periods.hold(user.org_id)
    running = uow.entries.running_for_user(user.org_id, user.id)
    if running is not None:
        role = origin.user.role if isinstance(origin, Caller) else None
        closed = ClosedDays.read(uow.periods, org, now, days=[running.entry_date])
        try:
            overridden = check_entry_write(closed, role, running, [running.entry_date], override)
        except EntryLocked as locked:
            raise EntryLocked(
                locked.reason,
                through=locked.through,
                message=(
                    f"The user's running timer (time entry {running.id}) cannot be stopped, so the user "
                    f"was not deactivated: {locked.message}"
                ),
                more=locked.more,
            ) from None
        stopped = running.stopped_by_deactivation(now)
        stopped = uow.entries.update(stopped, expected_updated_at=running.updated_at)
        events.entry(uow, origin, EventType.TIMER_STOPPED, running, stopped, override=overridden)
    changed = user.deactivated(now)
    uow.users.update(changed)
    uow.sessions.delete_for_user(user.org_id, user.id)  # for good: a reactivation signs nobody back in
    events.user(uow, origin, EventType.USER_DEACTIVATED, user, changed)
    return changed


def reactivate(uow: UnitOfWork, events: EventRecorder, origin: Origin | Caller, user: User) -> User:
    """``user`` active again, stored; a user who is active is returned as is.

    The caller holds the organization's lock and has checked the plan's user limit, if it binds.
    """
    if user.is_active:
        return user
    changed = user.reactivated()
    uow.users.update(changed)
    events.user(uow, origin, EventType.USER_REACTIVATED, user, changed)
    return changed


def _require_another_active_owner(uow: UnitOfWork, owner: User) -> None:
    if uow.users.count_active(owner.org_id, role=Role.OWNER) <= 1:
        raise LastOwner()


class TeamService:
    """The caller's organization: its settings, its users and their tokens."""

    def __init__(self, transactions: Transactions, clock: Clock, ids: IdFactory) -> None:
        self._transactions = transactions
        self._clock = clock
        self._ids = ids
        self._events = EventRecorder(clock, ids)

    # The organization.

    def get_org(self, caller: Caller) -> Org:
        """The caller's organization, with its settings."""
        with self._transactions.read() as uow:
            org = uow.orgs.get(caller.org_id)
        if org is None:
            raise NotFound.of("organization")
        return org

    def change_org(self, caller: Caller, change: ChangeOrg) -> Org:
        """Rename the organization, or change its time zone or first day of the week (owners and admins)."""
        errors = FieldErrors()
        _check_name(change.name, errors)
        if change.timezone is not None:
            problem = timezone_problem(change.timezone)
            if problem is not None:
                errors.add("timezone", problem)
        after_days = change.lock_after_days
        if isinstance(after_days, int) and not 1 <= after_days <= MAX_LOCK_AFTER_DAYS:
            errors.add("lock_after_days", f"must be a whole number of days from 1 to {MAX_LOCK_AFTER_DAYS}")
        errors.raise_if_any()
        with self._transactions.write() as uow:
            acting = self._acting(uow, caller)
            acting.require_manager("change the organization's settings")
            if isinstance(after_days, int):
                acting.require_feature(Feature.PERIOD_LOCKS)
            changed = acting.org.with_settings(
                name=change.name,
                timezone=change.timezone,
                week_start=change.week_start,
                overlap_policy=change.overlap_policy,
                lock_after_days=after_days,
            )
            uow.orgs.update(changed)
            self._events.org(uow, acting, acting.org, changed)
        return changed

    # Users.

    def list_users(self, caller: Caller) -> Sequence[User]:
        """The organization's users, deactivated ones included, oldest first."""
        with self._transactions.read() as uow:
            return uow.users.list(caller.org_id)

    def get_user(self, caller: Caller, user_id: UserId) -> User:
        """One user of the caller's organization."""
        with self._transactions.read() as uow:
            return _user(uow, caller.org_id, user_id)

    def add_user(self, caller: Caller, command: AddUser) -> User:
        """A new user of the caller's organization (owners and admins; only owners add owners).

        The plan must hold one more active user; the email must be free in the organization.
        """
        errors = FieldErrors()
        check_new_user(command.email, command.name, errors)
        errors.raise_if_any()
        with self._transactions.write() as uow:
            acting = self._acting(uow, caller)
            acting.require_manager("add users")
            if command.role is Role.OWNER:
                _require_owner(acting, "add an owner")
            require_room_for_users(acting.org.plan, uow.users.count_active(acting.org_id) + 1)
            user = User.new(
                UserId(self._ids.new_id()),
                acting.org_id,
                command.email,
                command.name,
                command.role,
                self._clock.now(),
            )
            uow.users.add(user)
            self._events.user(uow, acting, EventType.USER_CREATED, None, user)
        return user

    def change_user(self, caller: Caller, user_id: UserId, change: ChangeUser) -> User:
        """Rename a user or change their role.

        Owners and admins change anyone (only owners promote to owner); a member may rename
        themselves only. Demoting the last active owner is :class:`LastOwner`.
        """
        errors = FieldErrors()
        _check_name(change.name, errors)
        errors.raise_if_any()
        with self._transactions.write() as uow:
            acting = self._acting(uow, caller)
            user = _user(uow, acting.org_id, user_id)
            if change.role is not None or user.id != acting.user_id:
                acting.require_manager("change other users or roles")
            if change.role is Role.OWNER and user.role is not Role.OWNER:
                _require_owner(acting, "make a user an owner")
            was = user
            if change.name is not None:
                user = user.revised(name=change.name)
            if change.role is not None:
                user = change_role(uow, self._events, acting, user, change.role, was=was)
            elif change.name is not None:
                uow.users.update(user)
                self._events.user(uow, acting, EventType.USER_UPDATED, was, user)
        return user

    def deactivate_user(
        self, caller: Caller, user_id: UserId, *, override: LockOverride | None = None
    ) -> User:
        """Deactivate a user (owners and admins): their tokens stop working at once, their running
        timer stops now, their entries stay. Deactivating a deactivated user changes nothing.

        A running timer on a closed day refuses the deactivation (:class:`~hours_core.errors.EntryLocked`),
        as it refuses a stop, unless an owner's ``override`` lets the stop through; only owners may
        send one (:class:`Forbidden`, whether or not a timer runs)."""
        with self._transactions.write() as uow:
            acting = self._acting(uow, caller)
            user = _user(uow, acting.org_id, user_id)
            acting.require_manager("deactivate users")
            require_override_allowed(acting.user.role, override)
            return deactivate(
                uow, self._events, acting, acting.org, user, self._clock.now(), override=override
            )

    def reactivate_user(self, caller: Caller, user_id: UserId) -> User:
        """Reactivate a deactivated user (owners and admins); the plan must hold one more active user.
        Reactivating an active user changes nothing.

        Only an owner reactivates an owner: bringing a deactivated owner back makes an active owner,
        which an admin may not (as an admin may not promote one); an admin's try is :class:`Forbidden`.
        """
        with self._transactions.write() as uow:
            acting = self._acting(uow, caller)
            user = _user(uow, acting.org_id, user_id)
            acting.require_manager("reactivate users")
            if user.is_active:
                return user
            if user.role is Role.OWNER:
                _require_owner(acting, "reactivate an owner")
            require_room_for_users(acting.org.plan, uow.users.count_active(acting.org_id) + 1)
            return reactivate(uow, self._events, acting, user)

    # Their tokens.

    def list_user_tokens(self, caller: Caller, user_id: UserId) -> Sequence[ApiToken]:
        """A user's tokens, newest first, never their secrets: your own, or anyone's for owners and admins."""
        with self._transactions.read() as uow:
            user = _user(uow, caller.org_id, user_id)
            if user.id != caller.user_id:
                caller.require_manager("see other users' tokens")
            return uow.tokens.list_for_user(caller.org_id, user.id)

    def revoke_user_token(self, caller: Caller, user_id: UserId, prefix: str) -> None:
        """Revoke one of a user's tokens: your own, or anyone's for owners and admins. It stops
        working on the next request; revoking a revoked token keeps its first ``revoked_at``."""
        with self._transactions.write() as uow:
            user = _user(uow, caller.org_id, user_id)
            if user.id != caller.user_id:
                # The role as it is now, under the organization's lock, as every other team change
                # reads it: a demotion that commits first refuses the revocation.
                self._acting(uow, caller).require_manager("revoke other users' tokens")
            token = uow.tokens.get(caller.org_id, prefix)
            if token is None or token.user_id != user.id:
                raise NotFound.of("token")
            revoke(uow, self._events, caller, token, self._clock.now())

    def _acting(self, uow: UnitOfWork, caller: Caller) -> Caller:
        """The caller as they are now, under the organization's lock: their role may have changed
        since the request was authenticated, and a deactivated user acts no more."""
        org = locked_org(uow, caller.org_id)
        user = uow.users.get(org.id, caller.user_id)
        if user is None or not user.is_active:
            raise Unauthenticated(token_sent=True)
        return attrs.evolve(caller, user=user, org=org)


def _user(uow: UnitOfWork, org_id: OrgId, user_id: UserId) -> User:
    user = uow.users.get(org_id, user_id)
    if user is None:
        raise NotFound.of("user")
    return user


def _require_owner(acting: Caller, action: str) -> None:
    if acting.user.role is not Role.OWNER:
        raise Forbidden(f"Only owners may {action}.")
