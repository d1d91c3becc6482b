"""A small organization to test against: owner, admin and member, a project with a task."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs

from hours_core.clock import FixedClock
from hours_core.ids import UuidV7Ids
from hours_core.model import Org, Plan, Project, Role, Task, User
from hours_core.periods import ClosedPeriod
from hours_core.ports import UnitOfWorkFactory
from hours_core.services import Caller, Services, build_services
from hours_core.subscriptions import UrlPolicy
from hours_exchange import FILE_FORMATS
from hours_http import JsonEventBodies
from hours_http.responses import RunWrite

__all__ = ["START", "TEST_PASSWORD_COST", "World", "make_world"]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

TEST_PASSWORD_COST = 2**8
"""scrypt's ``n`` for the passwords of test worlds: cheap, so that a world is made in milliseconds."""


@attrs.frozen
class World:
    """One organization with a user of each role, and the services over its store."""

    services: Services
    clock: FixedClock
    org: Org
    owner: User
    admin: User
    member: User
    project: Project
    task: Task
    owner_token: str
    admin_token: str
    member_token: str
    owner_password: str
    run_write: RunWrite | None = None
    """How an app over this world runs its writes (``create_app(run_write=...)``): SQLite's writer
    queue for a SQLite world, as the server runs it; ``None`` (a worker thread each) otherwise."""
    reads_in_thread: bool = True
    """Where an app over this world reads (``create_app(reads_in_thread=...)``): on the event loop
    for a SQLite world, as the server reads it (replays then answer before the route:
    :class:`hours_http.replays.ReplayFirst`); in a worker thread otherwise."""

    def caller(self, user: User) -> Caller:
        """The caller acting as ``user``, with the org as it is stored now."""
        org = self.services.admin.list_orgs()
        current = next(o for o in org if o.id == user.org_id)
        return Caller(user=user, org=current)

    def set_plan(self, plan: Plan) -> None:
        """Move the organization to ``plan``."""
        self.services.admin.set_plan(self.org.id, plan)


def make_world(
    unit_of_work: UnitOfWorkFactory,
    *,
    plan: Plan = Plan.AGENCY,
    name: str = "Acme",
    url_policy: UrlPolicy | None = None,
) -> World:
    """Bootstrap an organization on ``plan`` in the store behind ``unit_of_work``."""
    clock = FixedClock(START)
    services = build_services(
        unit_of_work,
        clock=clock,
        ids=UuidV7Ids(),
        bodies=JsonEventBodies(),
        env="live",
        file_formats=FILE_FORMATS,
        password_cost=TEST_PASSWORD_COST,
        url_policy=url_policy,
    )
    made = services.admin.bootstrap(org_name=name, plan=plan, email=f"owner@{name.lower()}.test", env="live")
    admin = services.admin.create_user(made.org.id, f"admin@{name.lower()}.test", Role.ADMIN)
    member = services.admin.create_user(made.org.id, f"member@{name.lower()}.test", Role.MEMBER)
    return World(
        services=services,
        clock=clock,
        org=made.org,
        owner=made.user,
        admin=admin,
        member=member,
        project=made.project,
        task=made.task,
        owner_token=made.token.plaintext,
        admin_token=services.admin.mint_token(admin.id, env="live").plaintext,
        member_token=services.admin.mint_token(member.id, env="live").plaintext,
        owner_password=made.password,
    )


def close_every_third_day(world: World, unit_of_work: UnitOfWorkFactory, count: int) -> None:
    """Give ``world``'s organization ``count`` closed periods of two days every third day from
    2000-01-01 on (2000-01-01 and 02, 04 and 05, ...), stored through ``unit_of_work``."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    periods = [
        ClosedPeriod(
            world.org.id,
            date(2000, 1, 1) + timedelta(days=3 * n),
            date(2000, 1, 2) + timedelta(days=3 * n),
            f"closed {n}",
            world.owner.id,
            at,
        )
        for n in range(count)
    ]
    with unit_of_work() as uow:
        uow.periods.replace(world.org.id, periods)
        uow.commit()
