"""Recording events: each use case appends the event of its change to the unit of work it runs in.

:class:`EventRecorder` builds a :class:`~hours_core.events.NewEvent` (a new id, the clock's time,
who and from where, what changed) and appends it to ``uow.events``; the unit of work numbers and
writes it when it commits (see :mod:`hours_core.events`). An update that changes no field writes
no event. The idempotency key of the request, if any, comes from :func:`keyed`, which the
idempotent runner wraps around the work it runs once per key (so a replay, which runs nothing,
records nothing).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import attrs

from hours_core.events import (
    Actor,
    Change,
    EventId,
    EventType,
    NewEvent,
    Subject,
    SubjectType,
    Via,
    changes_between,
)
from hours_core.model import Client, Org, OrgId, Project, Rate, Task, TimeEntry, User, UserId
from hours_core.ports import Clock, IdFactory, UnitOfWork
from hours_core.services.caller import Caller
from hours_core.tokens import ApiToken

__all__ = ["OPERATOR", "EventRecorder", "Origin", "keyed"]


@attrs.frozen
class Origin:
    """Who makes a change, and the id of the request that carried it (if the boundary has one)."""

    actor: Actor
    request_id: str | None = None

    @classmethod
    def of(cls, caller: Caller) -> Origin:
        """The origin of the caller's changes."""
        return cls(caller.actor, caller.request_id)

    @classmethod
    def importing(cls, caller: Caller) -> Origin:
        """The origin of what an import (or its undo) changes: the caller, ``via: import``."""
        return cls(attrs.evolve(caller.actor, via=Via.IMPORT), caller.request_id)


OPERATOR = Origin(Actor(user_id=None, token_prefix=None, via=Via.CLI))
"""The operator of the installation, acting through the ``hours`` command."""

_idempotency_key: ContextVar[str | None] = ContextVar("hours_idempotency_key", default=None)


@contextmanager
def keyed(key: str) -> Iterator[None]:
    """Within the block, recorded events carry ``key`` as their idempotency key."""
    token = _idempotency_key.set(key)
    try:
        yield
    finally:
        _idempotency_key.reset(token)


_ARCHIVABLE_KINDS: dict[type, SubjectType] = {
    Project: SubjectType.PROJECT,
    Task: SubjectType.TASK,
    Client: SubjectType.CLIENT,
}


def _with_archived(
    changes: dict[str, Change], old: Project | Task | Client | None, new: Client
) -> dict[str, Change]:
    """A client's changes with ``archived`` (derived from ``archived_at``) just before it: a client
    archives as a project does, and its events say so as a project's do."""
    derived = Change(None if old is None else old.archived, new.archived)
    with_it: dict[str, Change] = {}
    for name, change in changes.items():
        if name == "archived_at":
            with_it["archived"] = derived
        with_it[name] = change
    return with_it


class EventRecorder:
    """Appends the events of changes to their units of work."""

    def __init__(self, clock: Clock, ids: IdFactory) -> None:
        self._clock = clock
        self._ids = ids

    def record(
        self,
        uow: UnitOfWork,
        origin: Origin | Caller,
        type_: EventType,
        subject: Subject,
        changes: Mapping[str, Change],
        *,
        org_id: OrgId,
        owner_id: UserId | None,
    ) -> None:
        """Append the event of a change of ``subject`` in ``org_id``."""
        if isinstance(origin, Caller):
            origin = Origin.of(origin)
        uow.events.append(
            NewEvent(
                id=EventId(self._ids.new_id()),
                org_id=org_id,
                type=type_,
                occurred_at=self._clock.now(),
                actor=origin.actor,
                request_id=origin.request_id,
                idempotency_key=_idempotency_key.get(),
                subject=subject,
                changes=changes,
                owner_id=owner_id,
            )
        )

    def entry(
        self,
        uow: UnitOfWork,
        origin: Origin | Caller,
        type_: EventType,
        old: TimeEntry | None,
        new: TimeEntry,
        *,
        override: str | None = None,
    ) -> None:
        """The event of a time entry's change (timers included: their subject is the entry).

        ``override`` is the reason an owner gave to write through a closed period: the event
        records it as the change ``lock_override`` (from ``None`` to the reason).
        """
        changes = changes_between(old, new)
        if old is not None and not changes:
            return
        if override is not None:
            changes["lock_override"] = Change(None, override)
        subject = Subject(SubjectType.TIME_ENTRY, str(new.id))
        self.record(uow, origin, type_, subject, changes, org_id=new.org_id, owner_id=new.user_id)

    def entries_created(self, uow: UnitOfWork, origin: Origin | Caller, entries: Sequence[TimeEntry]) -> None:
        """``time_entry.created`` for each of ``entries`` (the bulk path: an import)."""
        if isinstance(origin, Caller):
            origin = Origin.of(origin)
        # :meth:`record` per entry, with what is the same for every entry read once.
        actor, request_id, key = origin.actor, origin.request_id, _idempotency_key.get()
        now, new_id, append = self._clock.now, self._ids.new_id, uow.events.append
        for entry in entries:
            append(
                NewEvent(
                    id=EventId(new_id()),
                    org_id=entry.org_id,
                    type=EventType.TIME_ENTRY_CREATED,
                    occurred_at=now(),
                    actor=actor,
                    request_id=request_id,
                    idempotency_key=key,
                    subject=Subject(SubjectType.TIME_ENTRY, str(entry.id)),
                    changes=changes_between(None, entry),
                    owner_id=entry.user_id,
                )
            )

    def archivable(
        self,
        uow: UnitOfWork,
        origin: Origin | Caller,
        old: Project | Task | Client | None,
        new: Project | Task | Client,
    ) -> None:
        """``project.*``, ``task.*`` or ``client.*``: ``created``, ``archived``, ``unarchived`` or
        ``updated`` (a change of ``archived`` decides; a client's changes carry its ``archived``,
        derived from ``archived_at``, beside it)."""
        changes = changes_between(old, new)
        if old is not None and not changes:
            return
        if isinstance(new, Client) and "archived_at" in changes:
            changes = _with_archived(changes, old, new)
        kind = _ARCHIVABLE_KINDS[type(new)]
        if old is None:
            what = "created"
        elif new.archived != old.archived:
            what = "archived" if new.archived else "unarchived"
        else:
            what = "updated"
        subject = Subject(kind, str(new.id))
        self.record(
            uow, origin, EventType(f"{kind}.{what}"), subject, changes, org_id=new.org_id, owner_id=None
        )

    def rate(self, uow: UnitOfWork, origin: Origin | Caller, type_: EventType, rate: Rate) -> None:
        """``rate.created`` (every field, from ``None``) or ``rate.deleted`` (every field, to ``None``:
        a rate is deleted for good). Rates are the managers' own reading: no owner."""
        changes = (
            changes_between(None, rate) if type_ is EventType.RATE_CREATED else changes_between(rate, None)
        )
        subject = Subject(SubjectType.RATE, str(rate.id))
        self.record(uow, origin, type_, subject, changes, org_id=rate.org_id, owner_id=None)

    def token(
        self, uow: UnitOfWork, origin: Origin | Caller, type_: EventType, old: ApiToken | None, new: ApiToken
    ) -> None:
        """The event of a token's creation or revocation (its subject id is the token's prefix)."""
        changes = changes_between(old, new)
        subject = Subject(SubjectType.TOKEN, new.prefix)
        self.record(uow, origin, type_, subject, changes, org_id=new.org_id, owner_id=new.user_id)

    def org(self, uow: UnitOfWork, origin: Origin | Caller, old: Org, new: Org) -> None:
        """``org.updated``, unless nothing changed."""
        changes = changes_between(old, new)
        if not changes:
            return
        subject = Subject(SubjectType.ORG, str(new.id))
        self.record(uow, origin, EventType.ORG_UPDATED, subject, changes, org_id=new.id, owner_id=None)

    def user(
        self, uow: UnitOfWork, origin: Origin | Caller, type_: EventType, old: User | None, new: User
    ) -> None:
        """The event of a team change about ``new`` (its own data: the user is its owner)."""
        changes = changes_between(old, new)
        if old is not None and not changes:
            return
        subject = Subject(SubjectType.USER, str(new.id))
        self.record(uow, origin, type_, subject, changes, org_id=new.org_id, owner_id=new.id)
