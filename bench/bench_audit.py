"""Benchmark: the audit trail's filters and the retention purge's first step, on a long event log.

Run from the repository root::

    .venv/bin/python -m bench.bench_audit                       # SQLite, 224,000 events
    .venv/bin/python -m bench.bench_audit --events 8300
    .venv/bin/python -m bench.bench_audit --postgres postgresql://postgres@127.0.0.1:5432/test

It makes one organization with ``--events`` events through the store's bulk path (one unit of work;
its events spill as an import's do), 98 % of them about time entries owned by one of 50 users who
also acted, the rest about tokens (1 %), projects and tasks (one in 100: what every member's change
feed shows); they occurred 23 s apart over about two
months from 2026-01-01, a few of them numbered out of their time order (as two overlapping
transactions number theirs). It then times ``EventRepository.list`` for each filter the audit
trail (and the change feed of a member) passes, as :meth:`EventService.audit` builds it (newest
first, 51 rows: a page of 50 and one more), the median of ``--runs`` reads each, and the purge's
``last_old`` statement (the first step of the retention purge) with 1 %, 10 % and 50 % of the
events older than its cutoff (an hourly purge finds about an hour's events old). On PostgreSQL it
uses a new schema, analyzes the table after the load, and drops the schema at the end.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import attrs
import psycopg

from hours_core.events import (
    SHARED_SUBJECTS,
    Actor,
    Change,
    EventId,
    EventQuery,
    EventType,
    NewEvent,
    Subject,
    SubjectType,
    Via,
)
from hours_core.model import Org, OrgId, Plan, UserId
from hours_core.ports import UnitOfWorkFactory

__all__ = ["main"]

START = datetime(2026, 1, 1, tzinfo=UTC)
STEP = timedelta(seconds=23)
USERS = 50


def _events(org_id: OrgId, count: int, users: list[UserId]) -> Iterator[NewEvent]:
    for n in range(count):
        user = users[n % USERS]
        kind = {0: SubjectType.PROJECT, 100: SubjectType.TASK}.get(n % 200, SubjectType.TIME_ENTRY)
        kind = kind if n % 97 else SubjectType.TOKEN
        late = 2 if n % 1000 == 999 else 0  # now and then an event numbered after later ones
        yield NewEvent(
            id=EventId(uuid.uuid4()),
            org_id=org_id,
            type=EventType.PROJECT_UPDATED,
            occurred_at=START + STEP * (n - late),
            actor=Actor(user_id=user, token_prefix="AbCdEfGhIjKl", via=Via.API),
            request_id=f"req-{n}",
            idempotency_key=None,
            subject=Subject(kind, str(n // 3)),
            changes={"name": Change("Old", "New")},
            owner_id=user if kind in (SubjectType.TIME_ENTRY, SubjectType.TOKEN) else None,
        )


def _time(read: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        read()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def run(
    unit_of_work: UnitOfWorkFactory, last_old: Callable[[OrgId, datetime], object], args: argparse.Namespace
) -> None:
    org_id = OrgId(uuid.uuid4())
    users = [UserId(uuid.uuid4()) for _ in range(USERS)]
    began = time.perf_counter()
    with unit_of_work() as uow:
        uow.orgs.add(Org.new(org_id, "Bench", Plan.STUDIO, START))
        for event in _events(org_id, args.events, users):
            uow.events.append(event)
        uow.commit()
    print(f"{args.events} events written in {time.perf_counter() - began:.1f} s")
    if args.postgres:  # what autovacuum does soon after such a load
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'ANALYZE "{args.schema}".events')
    end = START + STEP * args.events
    old = START + STEP * (args.events // 20)
    unknown = UserId(uuid.uuid4())
    entry = str((args.events - 10) // 3)
    audits: dict[str, EventQuery] = {
        "no filter": EventQuery(),
        "to=2020-01-01 (none)": EventQuery(occurred_to=datetime(2020, 1, 1, tzinfo=UTC)),
        "5 s window of old events": EventQuery(occurred_from=old, occurred_to=old + timedelta(seconds=5)),
        "from=the first event (all)": EventQuery(occurred_from=START),
        "to=the middle (the old half)": EventQuery(occurred_to=START + (end - START) / 2),
        "actorId=unknown user": EventQuery(actor_id=unknown),
        "actorId=a user": EventQuery(actor_id=users[7]),
        "subjectType=invoice (none)": EventQuery(subject_type=SubjectType.INVOICE),
        "subjectType=token": EventQuery(subject_type=SubjectType.TOKEN),
        "subjectType+subjectId": EventQuery(subject_type=SubjectType.TIME_ENTRY, subject_id=entry),
        "a member's trail": EventQuery(subject_type=SubjectType.TIME_ENTRY, owner_id=users[7]),
        "a new member's trail (none)": EventQuery(subject_type=SubjectType.TIME_ENTRY, owner_id=unknown),
        "actorId + 5 s window of old events": EventQuery(
            actor_id=users[7], occurred_from=old, occurred_to=old + timedelta(seconds=5)
        ),
    }
    for name, query in audits.items():
        _report(unit_of_work, org_id, name, attrs.evolve(query, descending=True, limit=51), args.runs)
    feeds = {
        "a member's feed from the start": EventQuery(
            owner_id=users[7], or_subject_types=SHARED_SUBJECTS, limit=100
        ),
        "a new member's feed from the start": EventQuery(
            owner_id=unknown, or_subject_types=SHARED_SUBJECTS, limit=100
        ),
    }
    for name, query in feeds.items():
        _report(unit_of_work, org_id, name, query, args.runs)
    for share in (1, 10, 50):
        cutoff = START + (end - START) * share / 100
        ms = _time(functools.partial(last_old, org_id, cutoff), args.runs)
        print(f"{'last_old, ' + str(share) + ' % of the events old':40} {ms:8.2f} ms")


def _report(unit_of_work: UnitOfWorkFactory, org_id: OrgId, name: str, query: EventQuery, runs: int) -> None:
    def read() -> int:
        with unit_of_work(read_only=True) as uow:
            return len(uow.events.list(org_id, query))

    rows = read()
    print(f"{name:40} {_time(read, runs):8.2f} ms  {rows:3} rows")


@contextmanager
def _sqlite() -> Iterator[tuple[UnitOfWorkFactory, Callable[[OrgId, datetime], object]]]:
    from hours_sql.events import event_statements_for
    from hours_sqlite import SqliteStore
    from hours_sqlite.dialect import SQLITE, encode_instant

    sql = event_statements_for(SQLITE)
    with tempfile.TemporaryDirectory() as directory, SqliteStore.open(f"{directory}/hours.db") as store:
        store.migrate()

        def last_old(org_id: OrgId, cutoff: datetime) -> object:
            with store.unit_of_work(read_only=True) as uow:
                session = uow._session  # the statement itself, as the purge runs it
                assert session is not None
                return session.rows(sql.last_old, (str(org_id), encode_instant(cutoff)))

        yield store.unit_of_work, last_old


@contextmanager
def _postgres(
    url: str, schema: str
) -> Iterator[tuple[UnitOfWorkFactory, Callable[[OrgId, datetime], object]]]:
    from hours_postgres import PostgresStore
    from hours_postgres.dialect import POSTGRES
    from hours_sql.events import event_statements_for

    sql = event_statements_for(POSTGRES)
    store = PostgresStore.open(url, schema=schema)
    try:
        store.migrate()

        def last_old(org_id: OrgId, cutoff: datetime) -> object:
            with store.unit_of_work(read_only=True) as uow:
                session = uow._session  # the statement itself, as the purge runs it
                assert session is not None
                return session.rows(sql.last_old, (org_id, cutoff))

        yield store.unit_of_work, last_old
    finally:
        store.drop_schema()
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=224_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL at URL instead of SQLite")
    args = parser.parse_args(argv)
    args.schema = f"bench_audit_{uuid.uuid4().hex[:8]}"
    opened = _postgres(args.postgres, args.schema) if args.postgres else _sqlite()
    with opened as (unit_of_work, last_old):
        run(unit_of_work, last_old, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
