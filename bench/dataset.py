"""Databases for the suite: a seeded organization for the write runs, and a large one for reads.

Both go through the composition root (``hours_app.composition.build``) the way the server does,
so the file has the real schema, migrations and settings.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

from hours_app.composition import build
from hours_app.settings import Settings
from hours_core.model import OrgId, Plan, ProjectId, Role, TimeEntry, TimeEntryId, UserId

__all__ = ["Seeded", "load_entries", "seed"]

TOKEN_ENV = "live"


@dataclass(frozen=True)
class Seeded:
    """What the write runs need: the owner's token and a project to log time on."""

    database_url: str
    token: str
    org_id: OrgId
    owner_id: UserId
    project_id: ProjectId


def settings_for(database_url: str, synchronous: str = "full") -> Settings:
    """The settings the server will read from its environment."""
    return Settings.from_env({"HOURS_DATABASE_URL": database_url, "HOURS_SQLITE_SYNCHRONOUS": synchronous})


def seed(database_url: str) -> Seeded:
    """A new organization (agency plan), its owner, a project and the owner's token."""
    application = build(settings_for(database_url))
    try:
        made = application.services.admin.bootstrap(
            org_name="Bench Co", plan=Plan.AGENCY, email="owner@bench.example", env=TOKEN_ENV
        )
    finally:
        application.close()
    return Seeded(database_url, made.token.plaintext, made.org.id, made.user.id, made.project.id)


@dataclass(frozen=True)
class Loaded:
    """A loaded database: the seed, the figures of the load, and the dates it spans."""

    seeded: Seeded
    entries: int
    seconds: float
    first_day: dt.date
    last_day: dt.date


def load_entries(
    database_url: str,
    count: int,
    *,
    users: int = 50,
    projects: int = 200,
    years: int = 5,
    chunk: int = 50_000,
    seed_value: int = 20261128,
) -> Loaded:
    """``count`` entries of one organization, ``users`` users and ``projects`` projects, spread over
    ``years`` years ending 2026-06-30, stored through the bulk path (``uow.entries.add_many``, one
    transaction per ``chunk``). Only the storing is timed.
    """
    seeded = seed(database_url)
    application = build(settings_for(database_url))
    try:
        admin = application.services.admin
        user_ids = [seeded.owner_id] + [
            admin.create_user(seeded.org_id, f"user{n}@bench.example", Role.MEMBER).id
            for n in range(users - 1)
        ]
        project_ids = [seeded.project_id] + [
            admin.create_project(seeded.org_id, f"Project {n}").id for n in range(projects - 1)
        ]
        last_day = dt.date(2026, 6, 30)
        first_day = last_day - dt.timedelta(days=round(365.25 * years) - 1)
        unit_of_work = application.store.unit_of_work
        stored = 0
        seconds = 0.0
        for batch in _entries(
            seeded.org_id, user_ids, project_ids, first_day, last_day, count, chunk, seed_value
        ):
            started = time.perf_counter()
            with unit_of_work() as uow:
                uow.entries.add_many(batch)
                uow.commit()
            seconds += time.perf_counter() - started
            stored += len(batch)
    finally:
        application.close()
    return Loaded(seeded, stored, seconds, first_day, last_day)


def _entries(
    org_id: OrgId,
    user_ids: list[UserId],
    project_ids: list[ProjectId],
    first_day: dt.date,
    last_day: dt.date,
    count: int,
    chunk: int,
    seed_value: int,
) -> Iterator[list[TimeEntry]]:
    """``count`` valid entries in date order, in lists of ``chunk``.

    Fast because everything repeated is shared: the ids of users and projects, the dates, and one
    datetime per day; entry ids are UUIDv7-shaped from their creation time and a counter.
    """
    rng = random.Random(seed_value)
    days = (last_day - first_day).days + 1
    utc = dt.UTC
    batch: list[TimeEntry] = []
    made = 0
    for day_number in range(days):
        day = first_day + dt.timedelta(days=day_number)
        per_day = (count - made) // (days - day_number)
        evening = dt.datetime(day.year, day.month, day.day, 17, 0, tzinfo=utc)
        for n in range(per_day):
            created_at = evening + dt.timedelta(milliseconds=n * 50)
            millis = int(created_at.timestamp() * 1000)
            entry_id = TimeEntryId(UUID(int=(millis << 80) | (0x7 << 76) | (0b10 << 62) | made))
            batch.append(
                TimeEntry(
                    id=entry_id,
                    org_id=org_id,
                    user_id=user_ids[rng.randrange(len(user_ids))],
                    project_id=project_ids[rng.randrange(len(project_ids))],
                    task_id=None,
                    invoice_id=None,
                    duration_seconds=rng.randrange(15, 481) * 60,
                    billable=rng.random() < 0.6,
                    note=None if rng.random() < 0.5 else "Worked on the thing",
                    entry_date=day,
                    started_at=None,
                    stopped_at=None,
                    created_at=created_at,
                    updated_at=created_at,
                )
            )
            made += 1
            if len(batch) == chunk:
                yield batch
                batch = []
    if batch:
        yield batch
