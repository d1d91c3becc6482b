"""Whose entry it is (owners and admins see the organization's) and every entry reachable, page by
page (round 7: no User column or filter; nothing past the newest 200)."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from litestar.testing import TestClient

from hours_core.model import TimeEntry, User
from hours_core.services import CreateTimeEntry
from hours_web.pages.entries import LIST_LIMIT
from tests.world import World

from .conftest import sign_in

_NOTE = re.compile(r"<td>(note \d+)</td>")
_NEXT = re.compile(r'<a href="([^"]+)" rel="next">Next page')


def log_as(world: World, user: User, note: str, day: str = "2026-03-02") -> TimeEntry:
    return world.services.entries.create_time_entry(
        world.caller(user),
        CreateTimeEntry(
            project_id=world.project.id, entry_date=date.fromisoformat(day), duration="1m", note=note
        ),
    )


@pytest.fixture
def member(browser: TestClient, world: World) -> TestClient:  # type: ignore[type-arg]
    world.services.sign_in.set_password(world.member.id, "member password")
    assert sign_in(browser, world.member.email, "member password").status_code == 303  # type: ignore[attr-defined]
    return browser


def test_an_owner_sees_whose_entry_each_is_and_can_filter_by_user(owner: TestClient, world: World) -> None:
    log_as(world, world.member, "the member's")
    log_as(world, world.owner, "the owner's")

    everyone = owner.get("/app/entries").text
    members = owner.get(f"/app/entries?user={world.member.id}").text

    assert '<th scope="col">User</th>' in everyone and '<select id="f-user" name="user">' in everyone
    for user in (world.owner, world.admin, world.member):
        assert f'<option value="{user.id}"' in everyone  # the team, to choose from
    member_row = everyone[everyone.index("<td>the member&#39;s</td>") - 200 :]
    assert f"<td>{world.member.name}</td>" in member_row
    assert "the member&#39;s" in members and "the owner&#39;s" not in members
    assert f'<option value="{world.member.id}" selected>' in members


def test_a_user_filter_that_is_none_of_the_team_is_refused(owner: TestClient, world: World) -> None:
    log_as(world, world.owner, "the owner's")

    for user in ("zzz", "01900000-0000-7000-8000-000000000000"):
        page = owner.get(f"/app/entries?user={user}")
        assert page.status_code == 422, user
        assert "User: is not one of the choices: choose from the list" in page.text
        assert "the owner&#39;s" not in page.text


def test_a_member_sees_no_user_column_or_filter_and_no_one_else_s_entries(
    member: TestClient, world: World
) -> None:
    log_as(world, world.member, "mine")
    log_as(world, world.owner, "the owner's")

    page = member.get("/app/entries").text
    asking = member.get(f"/app/entries?user={world.owner.id}")

    assert "mine" in page and "the owner&#39;s" not in page
    assert '<th scope="col">User</th>' not in page and 'name="user"' not in page
    assert asking.status_code == 403 and "the owner&#39;s" not in asking.text


def test_the_edit_page_names_whose_entry_it_is_when_not_the_viewer_s(owner: TestClient, world: World) -> None:
    theirs = log_as(world, world.member, "the member's")
    mine = log_as(world, world.owner, "the owner's")

    their_page = unescape(owner.get(f"/app/entries/{theirs.id}/edit").text)
    my_page = unescape(owner.get(f"/app/entries/{mine.id}/edit").text)

    assert f"Edit the entry of 2026-03-02 by {world.member.name}</h1>" in their_page
    assert f"This is {world.member.name}’s entry ({world.member.email}), not yours" in their_page.replace(
        "<strong>", ""
    ).replace("</strong>", "")
    assert "Edit the entry of 2026-03-02</h1>" in my_page and "not yours" not in my_page


def test_every_entry_of_a_crowded_day_is_reached_page_by_page(owner: TestClient, world: World) -> None:
    count = LIST_LIMIT + 5
    for number in range(count):
        log_as(world, world.owner, f"note {number}")
    log_as(world, world.owner, "note 999", day="2026-03-03")  # another day: outside the filter

    first = owner.get("/app/entries?from=2026-03-02&to=2026-03-02").text
    link = _NEXT.search(first)
    assert link is not None
    second = owner.get(unescape(link.group(1))).text

    first_notes, second_notes = _NOTE.findall(first), _NOTE.findall(second)
    assert len(first_notes) == LIST_LIMIT and len(second_notes) == 5
    assert sorted(first_notes + second_notes) == sorted(f"note {n}" for n in range(count))
    assert "from=2026-03-02" in link.group(1) and "to=2026-03-02" in link.group(1)
    assert (
        _NEXT.search(second) is None
        and 'href="/app/entries?from=2026-03-02&amp;to=2026-03-02">First page' in second
    )


def test_a_next_page_link_of_another_session_or_altered_is_refused(owner: TestClient, world: World) -> None:
    for number in range(LIST_LIMIT + 1):
        log_as(world, world.owner, f"note {number}")
    link = _NEXT.search(owner.get("/app/entries").text)
    assert link is not None
    address = unescape(link.group(1))
    signed = address.split("after=", 1)[1]

    for after in (signed[:-1] + ("0" if signed[-1] != "0" else "1"), "2026-03-02", signed.split(".", 1)[0]):
        page = owner.get("/app/entries", params={"after": after})
        assert page.status_code == 422, after
        assert "After: is not a next-page link of this session" in page.text

    other = TestClient(owner.app, base_url=str(owner.base_url))
    with other:
        sign_in(other, world.owner.email, world.owner_password)
        assert other.get(address).status_code == 422
