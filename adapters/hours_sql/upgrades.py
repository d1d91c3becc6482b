"""What the schema migrations of every SQL database compute in Python, written once.

Each database keeps its own migrations (its DDL differs), but a value that only the core knows how
to compute is computed here, for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from hours_core.emails import email_key
from hours_core.model import User

__all__ = ["named_and_keyed"]


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
