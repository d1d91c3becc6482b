"""The authentication cache: hits, misses, its ttl and size, and what empties it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from hours_core.errors import Unauthenticated
from hours_core.ids import UuidV7Ids
from hours_core.model import Plan, Role
from hours_core.ports import UnitOfWork, UnitOfWorkFactory
from hours_core.services import Authenticator, ChangeOrg, ChangeUser, IdentityCache, TeamService
from hours_core.services.transactions import Transactions
from hours_core.tokens import hash_token
from hours_memory import InMemoryStore
from tests.world import START, World


class CountingReads:
    """A unit-of-work factory that counts the read-only units of work it opens."""

    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._unit_of_work = unit_of_work
        self.reads = 0

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        self.reads += read_only
        return self._unit_of_work(read_only=read_only)


@pytest.fixture
def reads(store: InMemoryStore) -> CountingReads:
    return CountingReads(store.unit_of_work)


def authenticator(world: World, reads: CountingReads, ttl: timedelta = timedelta(seconds=1)) -> Authenticator:
    return Authenticator(Transactions(reads), world.clock, "live", cache_ttl=ttl)


def wrong_secret(token: str) -> str:
    return token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")


def test_a_token_that_authenticated_a_moment_ago_is_served_without_a_read(
    world: World, reads: CountingReads
) -> None:
    auth = authenticator(world, reads)
    first = auth.authenticate(world.member_token)
    world.clock.advance(timedelta(milliseconds=999))
    second = auth.authenticate(world.member_token)
    assert reads.reads == 1
    assert second == first and second.user == world.member


def test_another_token_is_a_miss(world: World, reads: CountingReads) -> None:
    auth = authenticator(world, reads)
    auth.authenticate(world.member_token)
    assert auth.authenticate(world.admin_token).user == world.admin
    assert reads.reads == 2


def test_an_entry_is_served_for_at_most_the_ttl(world: World, reads: CountingReads) -> None:
    auth = authenticator(world, reads)
    auth.authenticate(world.member_token)
    world.clock.advance(timedelta(seconds=1))
    auth.authenticate(world.member_token)
    assert reads.reads == 2


def test_a_clock_that_went_back_makes_an_entry_stale(world: World, reads: CountingReads) -> None:
    auth = authenticator(world, reads)
    auth.authenticate(world.member_token)
    world.clock.set(START - timedelta(seconds=5))
    auth.authenticate(world.member_token)
    assert reads.reads == 2


def test_a_wrong_secret_with_a_cached_prefix_never_hits(world: World, reads: CountingReads) -> None:
    auth = authenticator(world, reads)
    auth.authenticate(world.member_token)
    with pytest.raises(Unauthenticated):
        auth.authenticate(wrong_secret(world.member_token))
    assert reads.reads == 2
    assert len(auth.cache) == 1


def test_failures_are_not_cached(world: World, reads: CountingReads) -> None:
    auth = authenticator(world, reads)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            auth.authenticate(wrong_secret(world.member_token))
    assert reads.reads == 2 and len(auth.cache) == 0


def test_the_key_is_a_digest_not_the_token(world: World, reads: CountingReads) -> None:
    auth = authenticator(world, reads)
    auth.authenticate(world.member_token)
    assert auth.cache.get(hash_token(world.member_token), world.clock.now()) is not None
    assert auth.cache.get(world.member_token, world.clock.now()) is None


def test_a_cached_token_that_expires_is_refused_at_once(world: World, reads: CountingReads) -> None:
    auth = authenticator(world, reads)
    caller = auth.authenticate(world.member_token)
    assert caller.token is not None and caller.token.expires_at is not None
    world.clock.set(caller.token.expires_at - timedelta(milliseconds=500))
    auth.authenticate(world.member_token)
    world.clock.advance(timedelta(milliseconds=500))  # within the ttl of that read
    with pytest.raises(Unauthenticated):
        auth.authenticate(world.member_token)
    assert reads.reads == 2


def test_a_ttl_of_zero_turns_the_cache_off(world: World, reads: CountingReads) -> None:
    auth = authenticator(world, reads, ttl=timedelta(0))
    for _ in range(3):
        auth.authenticate(world.member_token)
    assert reads.reads == 3 and len(auth.cache) == 0 and not auth.cache.enabled


def test_the_cache_keeps_at_most_its_size_and_drops_the_oldest(world: World) -> None:
    cache = IdentityCache(timedelta(seconds=1), max_entries=2)
    callers = [world.caller(user) for user in (world.owner, world.admin, world.member)]
    now = world.clock.now()
    for key, caller in zip("abc", callers, strict=True):
        cache.put(key, caller, now, cache.ticket())
    assert len(cache) == 2
    assert cache.get("a", now) is None
    assert cache.get("b", now) == callers[1] and cache.get("c", now) == callers[2]


def test_a_read_that_began_before_a_forget_is_not_stored(world: World) -> None:
    cache = IdentityCache()
    ticket = cache.ticket()
    cache.forget()  # a change committed while the read was under way
    cache.put("a", world.caller(world.member), world.clock.now(), ticket)
    assert cache.get("a", world.clock.now()) is None


def test_a_hit_notes_the_use_once_a_minute_not_every_request(world: World, reads: CountingReads) -> None:
    auth = authenticator(world, reads)
    first = auth.authenticate(world.member_token)
    assert auth.last_uses.write() == 1
    world.clock.advance(timedelta(milliseconds=500))
    second = auth.authenticate(world.member_token)
    assert auth.last_uses.pending() == 0  # the cached caller carries the use just noted
    assert first.token is not None and second.token is not None
    assert second.token.last_used_at == first.token.last_used_at == START


def test_writing_the_last_uses_keeps_the_cache(world: World) -> None:
    auth = world.services.authenticator
    auth.authenticate(world.member_token)
    assert auth.last_uses.write() == 1
    assert len(auth.cache) == 1


def test_several_threads_share_the_cache(world: World, reads: CountingReads) -> None:
    auth = authenticator(world, reads, ttl=timedelta(seconds=60))
    tokens = [world.owner_token, world.admin_token, world.member_token] * 50
    failures: list[BaseException] = []

    def run() -> None:
        try:
            for token in tokens:
                auth.authenticate(token)
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures and len(auth.cache) == 3


# What empties it: every committed change of an org, a user or a token, through any service.


def test_a_revocation_is_seen_on_the_next_authentication(world: World) -> None:
    auth = world.services.authenticator
    caller = auth.authenticate(world.member_token)
    assert caller.token is not None
    world.services.account.revoke_token(caller, caller.token.prefix)
    with pytest.raises(Unauthenticated):
        auth.authenticate(world.member_token)


def test_an_operator_revocation_is_seen_on_the_next_authentication(world: World) -> None:
    auth = world.services.authenticator
    auth.authenticate(world.member_token)
    world.services.admin.revoke_token(world.member_token.split("_")[2])
    with pytest.raises(Unauthenticated):
        auth.authenticate(world.member_token)


def test_a_deactivation_is_seen_on_the_next_authentication(world: World) -> None:
    auth = world.services.authenticator
    auth.authenticate(world.member_token)
    world.services.team.deactivate_user(world.caller(world.owner), world.member.id)
    with pytest.raises(Unauthenticated):
        auth.authenticate(world.member_token)


def test_a_role_change_is_seen_on_the_next_authentication(world: World) -> None:
    auth = world.services.authenticator
    auth.authenticate(world.member_token)
    world.services.team.change_user(world.caller(world.owner), world.member.id, ChangeUser(role=Role.ADMIN))
    assert auth.authenticate(world.member_token).user.role is Role.ADMIN
    world.services.admin.set_role(world.member.id, Role.MEMBER)
    assert auth.authenticate(world.member_token).user.role is Role.MEMBER


def test_a_plan_change_and_the_org_settings_are_seen_on_the_next_authentication(world: World) -> None:
    auth = world.services.authenticator
    auth.authenticate(world.member_token)
    world.set_plan(Plan.FREE)
    assert auth.authenticate(world.member_token).org.plan is Plan.FREE
    world.services.team.change_org(world.caller(world.owner), ChangeOrg(timezone="Europe/Paris"))
    assert auth.authenticate(world.member_token).org.timezone == "Europe/Paris"


def test_a_change_that_rolls_back_keeps_the_cache(world: World) -> None:
    auth = world.services.authenticator
    auth.authenticate(world.member_token)

    def change_then_fail() -> None:
        with world.services.transactions.write() as uow:
            uow.users.update(world.member)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert len(auth.cache) == 1


def test_any_call_on_an_identity_repository_but_a_read_counts_as_a_change(world: World) -> None:
    auth = world.services.authenticator
    auth.authenticate(world.member_token)
    with world.services.transactions.write() as uow:
        uow.users.get(world.org.id, world.member.id)
        uow.orgs.lock(world.org.id)
        uow.entries.list  # noqa: B018 - another repository: never a change
    assert len(auth.cache) == 1
    with world.services.transactions.write() as uow:
        uow.users.update(world.member)
    assert len(auth.cache) == 0


def test_cached_answers_a_hit_as_authenticate_does_and_a_miss_with_none(
    world: World, reads: CountingReads
) -> None:
    auth = authenticator(world, reads)
    assert auth.cached(world.member_token) is None
    assert reads.reads == 0  # never touches the store
    first = auth.authenticate(world.member_token)
    assert auth.cached(world.member_token) == first
    world.clock.advance(timedelta(seconds=1))
    assert auth.cached(world.member_token) is None
    with pytest.raises(Unauthenticated):
        auth.cached("not a token")
    assert reads.reads == 1


# Other processes: a store's shared identity signal (SQLite's file beside the database).


class SharedMark:
    """An in-memory :class:`~hours_core.ports.IdentitySignal` that several "processes" share."""

    def __init__(self) -> None:
        self.mark = 0
        self.moves = 0

    def current(self) -> int:
        return self.mark

    def move(self) -> None:
        self.mark += 1
        self.moves += 1


def process(world: World, reads: CountingReads, mark: SharedMark) -> tuple[Authenticator, TeamService]:
    """The authenticator and team service of one more process on the same store (a long ttl: only
    the mark may empty the cache)."""
    transactions = Transactions(reads)
    auth = Authenticator(
        transactions, world.clock, "live", cache_ttl=timedelta(seconds=60), identity_signal=mark
    )
    return auth, TeamService(transactions, world.clock, UuidV7Ids())


def test_another_processs_deactivation_holds_on_the_next_request(world: World, reads: CountingReads) -> None:
    mark = SharedMark()
    (serving, _), (_, team) = process(world, reads, mark), process(world, reads, mark)
    serving.authenticate(world.member_token)
    assert serving.authenticate(world.member_token).user == world.member and reads.reads == 1  # cached
    team.deactivate_user(world.caller(world.owner), world.member.id)
    assert mark.moves >= 1  # the commit moved the shared mark
    with pytest.raises(Unauthenticated):
        serving.authenticate(world.member_token)


def test_the_cache_is_kept_while_the_mark_stands_still(world: World, reads: CountingReads) -> None:
    mark = SharedMark()
    auth, _ = process(world, reads, mark)
    for _ in range(5):
        auth.authenticate(world.member_token)
    assert reads.reads == 1 and len(auth.cache) == 1


def test_a_read_that_began_before_another_processs_change_is_not_stored(world: World) -> None:
    mark = SharedMark()
    cache = IdentityCache(timedelta(seconds=60), shared=mark)
    ticket = cache.ticket()
    mark.move()  # another process committed a change while this read was under way
    cache.put("a", world.caller(world.member), world.clock.now(), ticket)
    assert cache.get("a", world.clock.now()) is None


def test_forgetting_moves_the_shared_mark_once_and_keeps_following_it(world: World) -> None:
    mark = SharedMark()
    cache = IdentityCache(timedelta(seconds=60), shared=mark)
    cache.forget()
    assert mark.moves == 1
    cache.put("a", world.caller(world.member), world.clock.now(), cache.ticket())
    assert cache.get("a", world.clock.now()) is not None  # its own move does not empty it again
