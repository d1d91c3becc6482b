"""The authentication cache over HTTP: a change is effective on the very next request through the
same app, and within the cache's ttl through another app (another process) on the same database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_core.clock import FixedClock
from hours_core.ids import UuidV7Ids
from hours_core.model import Plan
from hours_core.services import build_services
from hours_http import JsonEventBodies, create_app
from hours_sqlite import SqliteStore
from tests.http.conftest import bearer
from tests.world import START, World, make_world


def prefix_of(token: str) -> str:
    return token.split("_")[2]


def revoke(client: TestClient[Any], world: World) -> int:
    url = f"/tokens/{prefix_of(world.member_token)}"
    return client.delete(url, headers=bearer(world.member_token)).status_code


def deactivate(client: TestClient[Any], world: World) -> int:
    url = f"/users/{world.member.id}/deactivate"
    return client.post(url, headers=bearer(world.owner_token)).status_code


@pytest.mark.parametrize(
    ("change", "status"), [(revoke, 204), (deactivate, 200)], ids=["revoked", "deactivated"]
)
def test_a_token_cut_off_is_refused_on_the_very_next_request(
    client_reading_either_way: TestClient[Any], world: World, change: Callable[..., int], status: int
) -> None:
    client, member = client_reading_either_way, bearer(world.member_token)
    assert client.get("/me", headers=member).status_code == 200
    assert client.get("/me", headers=member).status_code == 200  # served from the cache
    assert change(client, world) == status
    assert client.get("/me", headers=member).status_code == 401


def test_a_new_role_holds_from_the_very_next_request(
    client_reading_either_way: TestClient[Any], world: World
) -> None:
    client, member = client_reading_either_way, bearer(world.member_token)
    assert client.get("/me", headers=member).json()["data"]["user"]["role"] == "member"
    assert client.get(f"/users/{world.owner.id}/tokens", headers=member).status_code == 403
    owner = bearer(world.owner_token)
    assert client.patch(f"/users/{world.member.id}", json={"role": "admin"}, headers=owner).status_code == 200
    assert client.get("/me", headers=member).json()["data"]["user"]["role"] == "admin"
    assert client.get(f"/users/{world.owner.id}/tokens", headers=member).status_code == 200


def test_a_new_plan_and_org_settings_hold_from_the_very_next_request(
    client_reading_either_way: TestClient[Any], world: World
) -> None:
    client, member = client_reading_either_way, bearer(world.member_token)
    assert client.get("/me", headers=member).json()["data"]["org"]["plan"] == "agency"
    world.set_plan(Plan.FREE)  # the operator's `hours orgs set-plan`, in this process
    assert client.get("/me", headers=member).json()["data"]["org"]["plan"] == "free"
    owner = bearer(world.owner_token)
    assert client.patch("/org", json={"name": "Acme II"}, headers=owner).status_code == 200
    assert client.get("/me", headers=member).json()["data"]["org"]["name"] == "Acme II"


# Another process: a second app, with its own store connection, cache and clock, on the same file.


class TwoApps:
    def __init__(
        self, world: World, here: TestClient[Any], there: TestClient[Any], clock: FixedClock
    ) -> None:
        self.world, self.here, self.there, self.there_clock = world, here, there, clock


@pytest.fixture
def two_apps(tmp_path: Path) -> Iterator[TwoApps]:
    first, second = SqliteStore.open(tmp_path / "hours.db"), SqliteStore.open(tmp_path / "hours.db")
    first.migrate()
    try:
        world = make_world(first.unit_of_work)
        clock = FixedClock(START)
        services = build_services(
            second.unit_of_work,
            clock=clock,
            ids=UuidV7Ids(),
            bodies=JsonEventBodies(),
            env="live",
            auth_cache_ttl=timedelta(seconds=1),
        )
        with (
            TestClient(create_app(world.services, reads_in_thread=False)) as here,
            TestClient(create_app(services, reads_in_thread=False)) as there,
        ):
            yield TwoApps(world, here, there, clock)
    finally:
        first.close()
        second.close()


def test_another_process_refuses_a_revoked_token_within_the_ttl(two_apps: TwoApps) -> None:
    world, member = two_apps.world, bearer(two_apps.world.member_token)
    assert two_apps.there.get("/me", headers=member).status_code == 200  # now cached there
    assert two_apps.here.delete(f"/tokens/{prefix_of(world.member_token)}", headers=member).status_code == 204
    assert two_apps.here.get("/me", headers=member).status_code == 401
    two_apps.there_clock.advance(timedelta(milliseconds=999))
    assert two_apps.there.get("/me", headers=member).status_code == 200  # stale, within the ttl
    two_apps.there_clock.advance(timedelta(milliseconds=1))
    assert two_apps.there.get("/me", headers=member).status_code == 401


def test_another_process_sees_a_deactivation_within_the_ttl(two_apps: TwoApps) -> None:
    world, member = two_apps.world, bearer(two_apps.world.member_token)
    assert two_apps.there.get("/me", headers=member).status_code == 200
    world.services.admin.deactivate_user(world.member.id)  # `hours users deactivate`
    two_apps.there_clock.advance(timedelta(seconds=1))
    assert two_apps.there.get("/me", headers=member).status_code == 401
