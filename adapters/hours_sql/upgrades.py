"""What the schema migrations of every SQL database compute in Python, written once.

Each database keeps its own migrations (its DDL differs), but a value that only the core knows how
to compute is computed here, for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from hours_core.emails import email_key
from hours_core.model import User, is_blank

__all__ = ["NAMED_TABLES", "named_and_keyed", "rekeyed", "visible_names", "visible_user_names"]


def named_and_keyed(users: Iterable[Sequence[Any]]) -> Iterator[tuple[Any, str, str]]:
    """For each ``(id, org_id, email)`` row, oldest first within each organization: its id, the
    display name of a user who had none (:meth:`User.name_from_email`) and the key of its email
    (:func:`hours_core.emails.email_key`).

    Two emails of one organization that the key folds alike, which older versions let in (they
    compared ASCII letters only), keep their addresses; the later user's key is made unique with
    a space and its id (an address holds no space), so the unique index can hold and no new user
    takes either address.
    """
    taken: set[tuple[Any, str]] = set()
    for user_id, org_id, email in users:
        key = email_key(email)
        if (org_id, key) in taken:
            key = f"{key} {user_id}"
        taken.add((org_id, key))
        yield user_id, User.name_from_email(email), key


def rekeyed(users: Iterable[Sequence[Any]]) -> Iterator[tuple[str, Any]]:
    """For each ``(id, org_id, email, email_key)`` row, oldest first within each organization, whose
    key :func:`hours_core.emails.email_key` now computes otherwise: ``(its new key, its id)``.

    The key grew (0029: a domain label in its ASCII form, ``xn--caf-dma``, reads as the label it
    writes, ``café``). A new key that another user of the organization holds already (the same
    mailbox, stored once in each form) is made unique as :func:`named_and_keyed` makes it, with a
    space and the user's id: the user whose key did not change keeps it, both keep their addresses,
    and no new user takes either. No new key is one a row holds before it, so the rows can be
    updated one by one under the unique index.
    """
    rows = list(users)
    taken = {(org_id, key) for _user_id, org_id, _email, key in rows}
    for user_id, org_id, email, key in rows:
        new = email_key(email)
        if key in (new, f"{new} {user_id}"):
            continue
        if (org_id, new) in taken:
            new = f"{new} {user_id}"
        taken.add((org_id, new))
        yield new, user_id


NAMED_TABLES = {
    "orgs": "Unnamed organization",
    "projects": "Unnamed project",
    "tasks": "Unnamed task",
    "clients": "Unnamed client",
    "api_tokens": "Unnamed token",
}
"""The tables whose rows have a name (users apart), and the name a row gets when its own shows
nothing (:func:`visible_names`)."""


def visible_names(table: str, rows: Iterable[Sequence[Any]]) -> Iterator[tuple[str, Any]]:
    """For each ``(id, name)`` row of ``table`` whose name the name rule finds blank, ``(the name
    of NAMED_TABLES, id)``.

    The name rule grew (variation selectors count as invisible since 0024), and a row is read
    through its entity's validators, so a name stored under the older rule that the rule now calls
    blank would make every list holding the row fail: it gets a visible name instead.
    """
    for row_id, name in rows:
        if is_blank(name):
            yield NAMED_TABLES[table], row_id


def visible_user_names(users: Iterable[Sequence[Any]]) -> Iterator[tuple[str, Any]]:
    """For each ``(id, name, email)`` user row whose name the name rule finds blank, ``(the name
    from its email, id)`` (:meth:`User.name_from_email`, as 0004 named the users who had none)."""
    for user_id, name, email in users:
        if is_blank(name):
            yield User.name_from_email(email), user_id
