"""``0029_email_keys_of_ascii_domains`` on SQLite and PostgreSQL: the key of an email whose domain
has a label in its ASCII form (``xn--caf-dma``) is computed again, reading the label as the one it
writes (``café``), so that the two forms of one mailbox are one address; a mailbox stored once in
each form before keeps both users, the later one with a key made unique."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from hours_core.emails import email_key

from .conftest import Build, OpenStore
from .stopped_stores import STOPPED_STORES, StoppedStore

MIGRATION = "0029_email_keys_of_ascii_domains"


@pytest.fixture(params=STOPPED_STORES)
def before(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[StoppedStore]:
    """SQLite and PostgreSQL, each migrated up to, not including, 0029."""
    with request.param(MIGRATION, tmp_path) as opened:
        yield opened


def test_emails_of_ascii_domains_get_the_key_of_their_unicode_form(
    before: StoppedStore, build: Build
) -> None:
    org = build.org("Acme")
    unicode_form = build.user(org, "bo@café.test")
    ascii_form = build.user(org, "placeholder@acme.test")
    alone = build.user(org, "al@xn--caf-dma.test")
    plain = build.user(org, "ada@acme.test")
    OpenStore("stopped", before.store.unit_of_work).seed(org, unicode_form, ascii_form, alone, plain)
    sql = before.dialect.sql
    before.execute(
        [  # the keys as the key before 0029 made them: the address case-folded
            (
                sql("UPDATE users SET email = ?, email_key = ? WHERE id = ?"),
                ("Bo@XN--CAF-DMA.test", "bo@xn--caf-dma.test", str(ascii_form.id)),
            ),
            (sql("UPDATE users SET email_key = ? WHERE id = ?"), ("al@xn--caf-dma.test", str(alone.id))),
        ]
    )

    assert before.store.migrate()[0] == MIGRATION

    rows = before.execute([(sql("SELECT id, email, email_key FROM users WHERE org_id = ?"), (str(org.id),))])
    keys = {str(user_id): (email, key) for user_id, email, key in rows}
    assert keys == {
        str(unicode_form.id): ("bo@café.test", "bo@café.test"),
        str(ascii_form.id): ("Bo@XN--CAF-DMA.test", f"bo@café.test {ascii_form.id}"),
        str(alone.id): ("al@xn--caf-dma.test", "al@café.test"),
        str(plain.id): ("ada@acme.test", "ada@acme.test"),
    }
    assert email_key("AL@CAFÉ.test") == "al@café.test"
    with before.store.unit_of_work(read_only=True) as uow:
        assert len(uow.users.list(org.id)) == 4
