"""The store's part of the overlap policy, for every store: the entries that may cover a range of
time (``TimeEntryRepository.intersecting``), the user lock, and the organization's policy."""

from datetime import timedelta

from hours_core.model import OverlapPolicy, TimeEntry

from .conftest import T0, Build, OpenStore, World

HOUR = timedelta(hours=1)


def test_intersecting_reads_the_live_timed_entries_that_may_cover_the_range(
    store: OpenStore, world: World, build: Build
) -> None:
    a, b = world.a, world.b

    def span(start: float, end: float | None, *, user: object = a.owner, **more: object) -> TimeEntry:
        stop = None if end is None else T0 + end * HOUR
        return build.entry(user, a.project, started_at=T0 + start * HOUR, stopped_at=stop, **more)  # type: ignore[arg-type]

    before = span(-2, -1)
    touching_start = span(-1, 0)
    inside = span(0, 1)
    around = span(-1, 3)
    touching_end = span(2, 3)
    running = span(1.5, None, duration_seconds=0)
    deleted = span(0, 1, deleted_at=T0)
    duration_only = build.entry(a.owner, a.project)
    members = span(0.5, 1, user=a.member)
    foreign = build.entry(b.owner, b.project, started_at=T0, stopped_at=T0 + HOUR)
    store.seed(
        before,
        touching_start,
        inside,
        around,
        touching_end,
        running,
        deleted,
        duration_only,
        members,
        foreign,
    )
    with store.unit_of_work(read_only=True) as uow:
        owners = uow.entries.intersecting(a.org.id, T0, T0 + 2 * HOUR, user_id=a.owner.id, limit=50)
        everyone = uow.entries.intersecting(a.org.id, T0, T0 + 2 * HOUR, limit=50)
        first_two = uow.entries.intersecting(a.org.id, T0, T0 + 2 * HOUR, limit=2)
        rest = uow.entries.intersecting(a.org.id, T0, T0 + 2 * HOUR, after=first_two[-1], limit=50)

    by_user_then_start = sorted([around, inside, running], key=lambda e: (e.started_at, e.id))
    assert [e.id for e in owners] == [e.id for e in by_user_then_start]
    assert owners[-1] == running
    expected = sorted([*by_user_then_start, members], key=lambda e: (e.user_id, e.started_at, e.id))
    assert [e.id for e in everyone] == [e.id for e in expected]
    assert [e.id for e in [*first_two, *rest]] == [e.id for e in expected]


def test_a_user_lock_reads_the_user_of_its_own_organization_only(store: OpenStore, world: World) -> None:
    with store.unit_of_work() as uow:
        assert uow.users.lock(world.a.org.id, world.a.member.id) == world.a.member
        assert uow.users.lock(world.b.org.id, world.a.member.id) is None


def test_the_overlap_policy_is_stored_with_the_organization(store: OpenStore, world: World) -> None:
    assert world.a.org.overlap_policy is OverlapPolicy.ALLOW
    with store.unit_of_work() as uow:
        assert uow.orgs.get(world.a.org.id) == world.a.org
        uow.orgs.update(world.a.org.with_settings(overlap_policy=OverlapPolicy.REJECT))
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        stored = uow.orgs.get(world.a.org.id)
        other = uow.orgs.get(world.b.org.id)
    assert stored is not None
    assert stored.overlap_policy is OverlapPolicy.REJECT
    assert other is not None
    assert other.overlap_policy is OverlapPolicy.ALLOW
