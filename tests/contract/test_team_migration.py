"""``0004_org_settings_and_team`` on SQLite and PostgreSQL: organizations and users stored before it
load after it, with its defaults, names from emails, and email keys that hold the unique index even
where the older comparison (SQLite's NOCASE, PostgreSQL's lower()) let two emails in that the key
folds alike."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import attrs
import pytest

from hours_core.errors import EmailTaken
from hours_core.model import Role, WeekStart

from .conftest import Build, make_tenant, rows_before_0004
from .stopped_stores import STOPPED_STORES, StoppedStore

MIGRATION = "0004_org_settings_and_team"


@pytest.fixture(params=STOPPED_STORES)
def before(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[StoppedStore]:
    """SQLite and PostgreSQL, each migrated up to, not including, 0004."""
    with request.param(MIGRATION, tmp_path) as opened:
        yield opened


def test_organizations_and_users_stored_before_the_upgrade_load_after_it(
    before: StoppedStore, build: Build
) -> None:
    acme, globex = make_tenant(build, "Acme"), make_tenant(build, "Globex")
    owner = attrs.evolve(acme.owner, email="Ada.Lovelace@acme.example")
    older = build.user(acme.org, "STRASSE@acme.example")
    newer = build.user(acme.org, "straße@acme.example")  # the old comparisons told these two apart
    namesake = build.user(globex.org, "straße@acme.example")
    before.execute(rows_before_0004(before.dialect, acme.org, owner, older, newer))
    before.execute(rows_before_0004(before.dialect, globex.org, namesake))

    assert before.store.migrate()[0] == MIGRATION  # later migrations may follow it

    store = before.store
    with store.unit_of_work(read_only=True) as uow:
        org = uow.orgs.get(acme.org.id)
        users = {user.id: user for user in uow.users.list(acme.org.id)}
        assert uow.users.list(globex.org.id)[0].name == "straße"
    assert org is not None and (org.timezone, org.week_start) == ("UTC", WeekStart.MONDAY)
    assert [users[u.id].name for u in (owner, older, newer)] == ["Ada.Lovelace", "STRASSE", "straße"]
    assert all(user.is_active for user in users.values())
    assert users[owner.id].role is Role.OWNER and users[owner.id].email == "Ada.Lovelace@acme.example"

    keys = dict(
        before.execute(
            [(before.dialect.sql("SELECT email, email_key FROM users WHERE org_id = ?"), (str(acme.org.id),))]
        )
    )
    assert keys["Ada.Lovelace@acme.example"] == "ada.lovelace@acme.example"
    assert keys["STRASSE@acme.example"] == "strasse@acme.example"
    assert keys["straße@acme.example"] == f"strasse@acme.example {newer.id}"

    with store.unit_of_work() as uow:
        with pytest.raises(EmailTaken):
            uow.users.add(build.user(acme.org, "Strasse@Acme.example"))
        uow.users.update(users[newer.id].revised(name="Renamed"))  # its key stays as the migration left it
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        renamed = uow.users.get(acme.org.id, newer.id)
    assert renamed is not None and renamed.name == "Renamed"
