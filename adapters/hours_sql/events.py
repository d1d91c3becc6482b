"""The outbox in SQL: the ``events`` table, the per-org ``event_counters`` row, and their repository.

:class:`SqlEventRepository` collects a unit of work's events; :meth:`SqlEventRepository.flush`
writes them as the unit of work commits. For each organization with events it first moves the
org's counter (one upsert, ``RETURNING`` the new last number), which takes the counter row's
lock, then inserts the events numbered below it. The lock is held until the transaction ends,
so a second writer of the same org waits at its own upsert until the first has committed, and
then numbers after it: commit order is sequence order, and no reader sees number N+1 before N.
The counter moves last, just before ``COMMIT``, so the wait covers the commit only, not the
whole change. (PostgreSQL: the row lock of the upsert; SQLite: its one writer at a time.)

An event is one row; its actor and subject are columns, and its ``changes`` a JSON text
``{"field": {"from": old, "to": new}}`` in the core's field names.

A unit of work that writes many events (an import, its undo, a reapply) does not hold them all until
its commit: every :data:`SPILL_AT` events it writes those collected so far, unnumbered, to
``event_drafts`` under its own draft id, by the bulk path (SQLite's ``executemany``, PostgreSQL's
``COPY``), each with its ordinal in the org. Its commit then moves each org's counter by the number
of its events and moves the drafts into ``events`` numbered from it, in one ``INSERT ... SELECT``,
and deletes them: the counter is still moved last, so the lock is held for that copy only.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from hours_core.events import (
    Actor,
    Change,
    Event,
    EventId,
    EventQuery,
    EventType,
    NewEvent,
    Subject,
    SubjectType,
    Via,
)
from hours_core.model import OrgId, UserId
from hours_core.ports import EventRepository
from hours_sql.dialect import Dialect, Kind
from hours_sql.session import Params, Refused, Session

__all__ = [
    "EVENT_COLUMNS",
    "OUTBOX_TABLES",
    "SPILL_AT",
    "EventStatements",
    "SqlEventRepository",
    "event_statements_for",
]

OUTBOX_TABLES = ("event_counters", "events", "event_drafts")
"""The outbox's tables, referred-to one first (their rows are not entities: see the module's docstring)."""

EVENT_COLUMNS = (
    "org_id",
    "seq",
    "id",
    "type",
    "occurred_at",
    "actor_user_id",
    "actor_token_prefix",
    "actor_via",
    "request_id",
    "idempotency_key",
    "subject_type",
    "subject_id",
    "owner_id",
    "changes",
)
"""The columns of ``events``, in the order of the statements' parameters and rows."""

DRAFT_COLUMNS = ("draft_id", "org_id", "ordinal", *EVENT_COLUMNS[2:])
"""The columns of ``event_drafts``: the draft, the org and the event's ordinal in it, then an event's
columns after ``seq``."""

SPILL_AT = 1000
"""How many events a unit of work collects before it writes them to ``event_drafts``."""

PRIMARY_KEY = "sqlite_autoindex_events_1"
"""SQLite's name of the primary key (org_id, seq) of ``events``: a unique index of the rowid table
since migration 0028 (before it, the table's own B-tree)."""
BY_TIME = "events_by_time"
"""The index (org_id, occurred_at) of ``events`` (on SQLite it ends with ``seq``: migration 0028)."""
BY_SUBJECT_TYPE = "events_by_subject_type"
"""The index (org_id, subject_type, seq) of the events of every subject but entries (migration 0022)."""

NOT_ENTRY_EVENTS = f"subject_type <> '{SubjectType.TIME_ENTRY.value}'"
"""The predicate of the partial index ``events_by_subject_type`` (migration 0022): a query that
reads it states it too, as both databases need to use a partial index."""

FEW_IN_WINDOW = 1000
"""The most events of a time window that a page reads through the time index and sorts: a page of a
larger window walks the chosen index in sequence order, and finds its rows the sooner the more of
the events it walks are in the window."""


_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
"""Compact JSON, as ``json.dumps`` with these options makes it, without a new encoder per event."""


def _decoder(dialect: Dialect, kind: Kind) -> Callable[[Any], Any]:
    decode = dialect.codecs[kind].decode
    return (lambda value: value) if decode is None else decode


class EventStatements:
    """The event statements of one dialect, and its encoders and decoders of event rows."""

    def __init__(self, dialect: Dialect) -> None:
        sql = dialect.sql
        self.dialect = dialect
        self.reference = dialect.encoder(Kind.REFERENCE)
        self.uuid = dialect.encoder(Kind.UUID)
        self.instant = dialect.encoder(Kind.INSTANT)
        self.decode_reference = _decoder(dialect, Kind.REFERENCE)
        self.decode_uuid = _decoder(dialect, Kind.UUID)
        self.decode_instant = _decoder(dialect, Kind.INSTANT)
        self.columns = ", ".join(EVENT_COLUMNS)
        # The number is read from the counter that the transaction has just moved (its own write),
        # so the inserts need nothing back from the database and go with the upsert at once.
        marks = ", ".join("?" * (len(EVENT_COLUMNS) - 2))
        self.insert_numbered = sql(
            f"INSERT INTO events ({self.columns}) VALUES "  # noqa: S608 - constant identifiers
            f"(?, (SELECT last_seq FROM event_counters WHERE org_id = ?) - ?, {marks})"
        )
        self.advance = sql(
            "INSERT INTO event_counters (org_id, last_seq, purged_through) VALUES (?, ?, 0)"
            " ON CONFLICT (org_id) DO UPDATE SET last_seq = event_counters.last_seq + excluded.last_seq"
        )
        self.counters = sql("SELECT last_seq, purged_through FROM event_counters WHERE org_id = ?")
        rest = ", ".join(EVENT_COLUMNS[2:])
        self.move_drafts = sql(
            f"INSERT INTO events ({self.columns}) SELECT org_id,"  # noqa: S608 - constant identifiers
            f" (SELECT last_seq FROM event_counters WHERE org_id = ?) - ? + ordinal, {rest}"
            " FROM event_drafts WHERE draft_id = ? AND org_id = ?"
        )
        self.drop_drafts = sql("DELETE FROM event_drafts WHERE draft_id = ?")
        # The purge, org by org, on the indexes: (org_id, occurred_at) finds the last old event,
        # the primary key (org_id, seq) the prefix to delete. The old events (about an hour's, the
        # purge running hourly) are read through the time index, and their largest number taken:
        # a plain ``max(seq)`` walked the org's retained events down the primary key to the first
        # old one, on both databases (occurred_at is not in seq's order everywhere, so no walk can
        # stop at the latest-occurred old event; docs/performance.md, "Round 12: the audit trail's
        # filters"). SQLite is told the index (it holds ``seq`` there); PostgreSQL, which weighs
        # the indexes itself but planned that walk, reads the old events apart first.
        self.orgs_with_events = "SELECT org_id FROM event_counters"
        old_events = "SELECT {seq} FROM events{hint} WHERE org_id = ? AND occurred_at < ?"
        self.last_old = sql(
            old_events.format(seq="max(seq)", hint=dialect.indexed_by(BY_TIME))
            if dialect.index_hint
            else f"WITH old_events AS MATERIALIZED ({old_events.format(seq='seq', hint='')})"  # noqa: S608
            " SELECT max(seq) FROM old_events"
        )
        self.purge_mark = sql("UPDATE event_counters SET purged_through = ? WHERE org_id = ?")
        self.purge = sql("DELETE FROM events WHERE org_id = ? AND seq <= ?")

    def encode_numbered(self, event: NewEvent, back: int) -> tuple[Any, ...]:
        """The parameters of :attr:`insert_numbered` for ``event``, numbered ``back`` below the
        org's counter (0: the counter's number itself)."""
        org_id = self.reference(event.org_id)
        return (org_id, org_id, back, *self.encode_rest(event))

    def encode_draft(self, draft_id: uuid.UUID, event: NewEvent, ordinal: int) -> tuple[Any, ...]:
        """The row of ``event_drafts`` (:data:`DRAFT_COLUMNS`) of ``event``, number ``ordinal`` of its
        org in the draft."""
        return (self.uuid(draft_id), self.reference(event.org_id), ordinal, *self.encode_rest(event))

    def encode_rest(self, event: NewEvent) -> tuple[Any, ...]:
        """The values of an event's columns after ``seq``."""
        actor, subject = event.actor, event.subject
        return (
            self.uuid(event.id),
            event.type.value,
            self.instant(event.occurred_at),
            None if actor.user_id is None else self.reference(actor.user_id),
            actor.token_prefix,
            actor.via.value,
            event.request_id,
            event.idempotency_key,
            subject.type.value,
            subject.id,
            None if event.owner_id is None else self.reference(event.owner_id),
            _encode_json(
                {name: {"from": change.old, "to": change.new} for name, change in event.changes.items()}
            ),
        )

    def decode(self, row: Sequence[Any]) -> Event:
        """The event of a row in :data:`EVENT_COLUMNS` order."""
        (
            org_id,
            seq,
            event_id,
            type_,
            occurred_at,
            actor_user_id,
            token_prefix,
            via,
            request_id,
            idempotency_key,
            subject_type,
            subject_id,
            owner_id,
            changes,
        ) = row
        return Event(
            id=EventId(self.decode_uuid(event_id)),
            org_id=OrgId(self.decode_reference(org_id)),
            seq=int(seq),
            type=EventType(type_),
            occurred_at=self.decode_instant(occurred_at),
            actor=Actor(
                user_id=None if actor_user_id is None else UserId(self.decode_reference(actor_user_id)),
                token_prefix=token_prefix,
                via=Via(via),
            ),
            request_id=request_id,
            idempotency_key=idempotency_key,
            subject=Subject(SubjectType(subject_type), subject_id),
            changes={
                name: Change(change["from"], change["to"]) for name, change in json.loads(changes).items()
            },
            owner_id=None if owner_id is None else UserId(self.decode_reference(owner_id)),
        )

    def index_of(self, query: EventQuery, *, few_in_window: bool = False) -> str:
        """The index a page of ``query`` reads (SQLite's name; migrations 0008 and 0022): one
        subject's events (a handful) first, of its type or, without one, of each type (a sort of a
        few rows); else the time index when the query's time window holds few events
        (``few_in_window``, which :meth:`window_probe` tells); else a subject type's (not the
        entries'); else the owner's (a member's trail); else the actor's; else the primary key."""
        if query.subject_id is not None:  # without its type: the subject of each type, merged
            return "events_of_subject"
        if few_in_window and (query.occurred_from is not None or query.occurred_to is not None):
            return BY_TIME
        if query.subject_type is not None and query.subject_type is not SubjectType.TIME_ENTRY:
            # Before the actor: the events of every subject but entries are a small part of any
            # log, where one actor (an owner) may have made most of it.
            return BY_SUBJECT_TYPE
        if query.owner_id is not None and not query.or_subject_types:
            return "events_of_owner"  # a member's trail: at most what they may see, whoever acted
        if query.actor_id is not None:
            return "events_by_actor"
        return PRIMARY_KEY  # entries' events are most of the log: the primary key finds them

    def window_probe(self, org_id: OrgId, query: EventQuery) -> tuple[str, list[Any]]:
        """The SQL and parameters that count the events of ``query``'s time window and sequence
        range, up to :data:`FEW_IN_WINDOW` and one more, through the time index alone."""
        where = ["org_id = ?", "seq > ?"]
        params: list[Any] = [self.reference(org_id), query.after]
        if query.before is not None:
            where.append("seq < ?")
            params.append(query.before)
        if query.occurred_from is not None:
            where.append("occurred_at >= ?")
            params.append(self.instant(query.occurred_from))
        if query.occurred_to is not None:
            where.append("occurred_at < ?")
            params.append(self.instant(query.occurred_to))
        params.append(FEW_IN_WINDOW + 1)
        sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM events{self.dialect.indexed_by(BY_TIME)}"  # noqa: S608
            f" WHERE {' AND '.join(where)} LIMIT ?) AS window_events"
        )
        return self.dialect.sql(sql), params

    def listing(
        self, org_id: OrgId, query: EventQuery, *, few_in_window: bool = False
    ) -> tuple[str, list[Any]]:
        """The SQL and parameters of :meth:`SqlEventRepository.list`, through the index that
        :meth:`index_of` chooses where the dialect names one (SQLite)."""
        where = ["org_id = ?", "seq > ?"]
        params: list[Any] = [self.reference(org_id), query.after]

        def condition(sql: str, *values: Any) -> None:
            where.append(sql)
            params.extend(values)

        if query.before is not None:
            condition("seq < ?", query.before)
        if query.subject_type is not None:
            condition("subject_type = ?", query.subject_type.value)
        if query.subject_id is not None:
            if query.subject_type is None:  # every type, so that the subject's index serves
                kinds = [kind.value for kind in SubjectType]
                condition(f"subject_type IN ({', '.join('?' * len(kinds))})", *kinds)
            condition("subject_id = ?", query.subject_id)
        if query.actor_id is not None:
            condition("actor_user_id = ?", self.reference(query.actor_id))
        if query.occurred_from is not None:
            condition("occurred_at >= ?", self.instant(query.occurred_from))
        if query.occurred_to is not None:
            condition("occurred_at < ?", self.instant(query.occurred_to))
        order = "DESC" if query.descending else "ASC"
        index = self.index_of(query, few_in_window=few_in_window)
        if index == BY_SUBJECT_TYPE:
            condition(NOT_ENTRY_EVENTS)
        if (
            query.owner_id is not None
            and query.or_subject_types
            and index == PRIMARY_KEY
            and self.dialect.index_hint
        ):
            sql = self._either(where, params, query.owner_id, query.or_subject_types)
            params = [*params, max(query.limit, 0)]
            return self.dialect.sql(f"{sql} ORDER BY seq {order} LIMIT ?"), params
        if query.owner_id is not None:
            shared = ", ".join("?" * len(query.or_subject_types))
            either = f" OR subject_type IN ({shared})" if shared else ""
            condition(
                f"(owner_id = ?{either})",
                self.reference(query.owner_id),
                *(kind.value for kind in query.or_subject_types),
            )
        params.append(max(query.limit, 0))
        hint = self.dialect.indexed_by(index)
        sql = (
            f"SELECT {self.columns} FROM events{hint} WHERE {' AND '.join(where)}"  # noqa: S608
            f" ORDER BY seq {order} LIMIT ?"
        )
        return self.dialect.sql(sql), params

    def _either(
        self, where: list[str], params: list[Any], owner_id: UserId, kinds: tuple[SubjectType, ...]
    ) -> str:
        """The ``UNION ALL`` of the events of ``where`` owned by ``owner_id`` (the owner index) and,
        for each of ``kinds``, those of that subject type that it does not own (the subject type
        index): each part in sequence order, so that the database merges them and stops at the
        page's end. ``where`` and ``params`` are the other conditions and their parameters;
        ``params`` is extended with each part's. SQLite only: PostgreSQL's planner reads the ``OR``
        through both indexes itself, and planned this shape worse (25 ms against 2.5 ms)."""
        common, values = " AND ".join(where), list(params)
        owner = self.reference(owner_id)
        parts = [
            f"SELECT {self.columns} FROM events{self.dialect.indexed_by('events_of_owner')}"  # noqa: S608
            f" WHERE {common} AND owner_id = ?"
        ]
        params.append(owner)
        for kind in dict.fromkeys(kinds):
            of_kind = "" if kind is SubjectType.TIME_ENTRY else f" AND {NOT_ENTRY_EVENTS}"
            index = PRIMARY_KEY if kind is SubjectType.TIME_ENTRY else BY_SUBJECT_TYPE
            parts.append(
                f"SELECT {self.columns} FROM events{self.dialect.indexed_by(index)}"  # noqa: S608
                f" WHERE {common} AND subject_type = ?{of_kind} AND (owner_id IS NULL OR owner_id <> ?)"
            )
            params.extend([*values, kind.value, owner])
        return " UNION ALL ".join(parts)


@functools.cache
def event_statements_for(dialect: Dialect) -> EventStatements:
    """The event statements of ``dialect``, built on first use and kept for the process."""
    return EventStatements(dialect)


class SqlEventRepository:
    """Events in SQL (see the module's docstring for how numbers are assigned)."""

    def __init__(self, session: Session, dialect: Dialect) -> None:
        self._session = session
        self._sql = event_statements_for(dialect)
        self._pending: list[NewEvent] = []
        self._draft_key: uuid.UUID | None = None
        self._drafted: dict[OrgId, int] = {}
        """How many events of each org this unit of work has written to ``event_drafts``."""

    @property
    def _draft_id(self) -> uuid.UUID:
        """The id of this unit of work's spilled drafts, made when the first one spills (most units
        of work spill none, and a random UUID costs a call to the kernel)."""
        if self._draft_key is None:
            self._draft_key = uuid.uuid4()
        return self._draft_key

    def append(self, event: NewEvent) -> None:
        """Collect ``event``; :meth:`flush` writes it as the unit of work commits (every
        :data:`SPILL_AT` events, the collected ones go to the drafts first)."""
        self._pending.append(event)
        if len(self._pending) >= SPILL_AT:
            self._spill()

    def collected(self) -> tuple[list[NewEvent], dict[OrgId, int]]:
        """What is collected now (a mark for :meth:`forget_after`): the pending events, and the
        counts of the drafts (which a spill inside a savepoint writes, and its rollback undoes)."""
        return list(self._pending), dict(self._drafted)

    def forget_after(self, mark: tuple[list[NewEvent], dict[OrgId, int]]) -> None:
        """Go back to what :meth:`collected` returned as ``mark`` (a savepoint undone): events
        spilled since are collected again, their rows having been rolled back with the savepoint."""
        pending, drafted = mark
        self._pending, self._drafted = list(pending), dict(drafted)

    def flush(self) -> None:
        """Number and insert the collected events, org by org (the commit's last step before ``COMMIT``)."""
        if self._drafted:
            self._spill()
            self._move_drafts()
            return
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        sql = self._sql
        statements: list[tuple[str, Params]] = []
        for org_id, events in _by_org(pending).items():
            statements.append((sql.advance, (sql.reference(org_id), len(events))))
            statements += [
                (sql.insert_numbered, sql.encode_numbered(event, len(events) - 1 - offset))
                for offset, event in enumerate(events)
            ]
        self._execute(statements)

    def _spill(self) -> None:
        """Write the collected events to ``event_drafts``, each with its ordinal in its org; or,
        where the database runs one writer at a time (SQLite), number them now and write them to
        ``events`` at once: no other transaction can number or commit before this one."""
        if self._sql.dialect.one_writer:
            self._number_now()
            return
        pending, self._pending = self._pending, []
        rows = []
        for event in pending:
            ordinal = self._drafted.get(event.org_id, 0) + 1
            self._drafted[event.org_id] = ordinal
            rows.append(self._sql.encode_draft(self._draft_id, event, ordinal))
        try:
            self._session.insert_rows("event_drafts", DRAFT_COLUMNS, rows)
        except Refused as refusal:
            raise refusal.error("event") from refusal

    def _number_now(self) -> None:
        """Move each org's counter by its collected events and insert them numbered from it, by
        the bulk path (for a database with one writer at a time only)."""
        pending, self._pending = self._pending, []
        sql, session = self._sql, self._session
        rows: list[tuple[Any, ...]] = []
        for org_id, events in _by_org(pending).items():
            org = sql.reference(org_id)
            self._execute([(sql.advance, (org, len(events)))])
            last = int(session.rows(sql.counters, (org,))[0][0])
            first = last - len(events) + 1
            rows += [(org, first + offset, *sql.encode_rest(event)) for offset, event in enumerate(events)]
        try:
            session.insert_rows("events", EVENT_COLUMNS, rows)
        except Refused as refusal:
            raise refusal.error("event") from refusal

    def _move_drafts(self) -> None:
        """Move each org's counter by its drafted events and copy them into ``events`` numbered from
        it; then delete the drafts."""
        sql, draft = self._sql, self._sql.uuid(self._draft_id)
        drafted, self._drafted = self._drafted, {}
        statements: list[tuple[str, Params]] = []
        for org_id, count in drafted.items():
            org = sql.reference(org_id)
            statements.append((sql.advance, (org, count)))
            statements.append((sql.move_drafts, (org, count, draft, org)))
        statements.append((sql.drop_drafts, (draft,)))
        self._execute(statements)

    def _execute(self, statements: list[tuple[str, Params]]) -> None:
        try:
            self._session.execute_all(statements)
        except Refused as refusal:
            raise refusal.error("event") from refusal

    def list(self, org_id: OrgId, query: EventQuery) -> Sequence[Event]:
        """At most ``query.limit`` committed events of the org matching ``query``, by ``seq``.

        Where the dialect chooses the index (SQLite) and the query has a time window, the window's
        events are counted first, up to :data:`FEW_IN_WINDOW`: a window of fewer is read through
        the time index and sorted, a larger one in sequence order (see :meth:`EventStatements.index_of`).
        """
        sql = self._sql
        few = False
        if sql.dialect.index_hint and sql.index_of(query, few_in_window=True) == BY_TIME:
            probe, probe_params = sql.window_probe(org_id, query)
            few = int(self._session.rows(probe, probe_params)[0][0]) <= FEW_IN_WINDOW
        statement, params = sql.listing(org_id, query, few_in_window=few)
        return [self._sql.decode(row) for row in self._session.rows(statement, params)]

    def latest_seq(self, org_id: OrgId) -> int:
        """The org's last committed sequence number (0 before its first event)."""
        rows = self._session.rows(self._sql.counters, (self._sql.reference(org_id),))
        return int(rows[0][0]) if rows else 0

    def purged_through(self, org_id: OrgId) -> int:
        """The highest sequence number the retention purge has deleted in the org (0: none)."""
        rows = self._session.rows(self._sql.counters, (self._sql.reference(org_id),))
        return int(rows[0][1]) if rows else 0

    def purge_before(self, cutoff: datetime) -> int:
        """Delete each org's events up to the last one that occurred before ``cutoff``."""
        sql, session = self._sql, self._session
        at, gone = sql.instant(cutoff), 0
        for (org_id,) in session.rows(sql.orgs_with_events):
            rows = session.rows(sql.last_old, (org_id, at))
            through = rows[0][0] if rows else None
            if through is None:
                continue
            session.write(sql.purge_mark, (through, org_id))
            gone += session.write(sql.purge, (org_id, through))
        return gone


def _by_org(events: list[NewEvent]) -> dict[OrgId, list[NewEvent]]:
    """``events`` by organization, each org's in their order."""
    by_org: dict[OrgId, list[NewEvent]] = {}
    for event in events:
        by_org.setdefault(event.org_id, []).append(event)
    return by_org


_: type[EventRepository] = SqlEventRepository
