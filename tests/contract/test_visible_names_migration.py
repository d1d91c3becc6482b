"""``0024_visible_names`` on SQLite and PostgreSQL: a name stored under the older name rule that the
rule now finds blank (variation selectors only) gets a visible one, so that every row still loads
through its entity and every list holding it still answers; other names are left as they are."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from .conftest import Build, OpenStore, make_tenant
from .stopped_stores import STOPPED_STORES, StoppedStore

MIGRATION = "0024_visible_names"

BLANK_NOW = "\ufe0f \U000e0100"
"""Variation selectors and a space: visible to the name rule before 0024, blank since."""


@pytest.fixture(params=STOPPED_STORES)
def before(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[StoppedStore]:
    """SQLite and PostgreSQL, each migrated up to, not including, 0024."""
    with request.param(MIGRATION, tmp_path) as opened:
        yield opened


def test_names_the_rule_now_finds_blank_get_visible_ones(before: StoppedStore, build: Build) -> None:
    acme = make_tenant(build, "Acme")
    client = build.client(acme.org)
    token = build.token(acme.member)
    OpenStore("stopped", before.store.unit_of_work).seed(
        acme.org, acme.owner, acme.member, client, acme.project, acme.other_project, acme.task, token
    )
    sql = before.dialect.sql
    before.execute(
        [
            (sql(f"UPDATE {table} SET name = ? WHERE id = ?"), (BLANK_NOW, str(row_id)))
            for table, row_id in (
                ("orgs", acme.org.id),
                ("users", acme.member.id),
                ("projects", acme.project.id),
                ("tasks", acme.task.id),
                ("clients", client.id),
                ("api_tokens", token.id),
            )
        ]
    )

    assert before.store.migrate()[0] == MIGRATION

    with before.store.unit_of_work(read_only=True) as uow:
        org = uow.orgs.get(acme.org.id)
        users = {user.id: user.name for user in uow.users.list(acme.org.id)}
        projects = {project.id: project.name for project in uow.projects.list(acme.org.id)}
        tasks = [task.name for task in uow.tasks.list_for_project(acme.org.id, acme.project.id)]
        clients = [each.name for each in uow.clients.list(acme.org.id)]
        tokens = [each.name for each in uow.tokens.list_for_user(acme.org.id, acme.member.id)]
    assert org is not None and org.name == "Unnamed organization"
    assert users == {acme.owner.id: acme.owner.name, acme.member.id: "member"}
    assert projects == {acme.project.id: "Unnamed project", acme.other_project.id: "Support"}
    assert (tasks, clients, tokens) == (["Unnamed task"], ["Unnamed client"], ["Unnamed token"])
