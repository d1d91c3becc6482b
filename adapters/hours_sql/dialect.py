"""What differs between the SQL databases hours runs on, and nothing else.

A :class:`Dialect` is a small value that each database adapter defines once (``hours_sqlite``,
``hours_postgres``) and hands to the shared layer. It says:

* how a statement spells a parameter (:attr:`Dialect.placeholder`): the shared SQL is written
  with ``?`` and :meth:`Dialect.sql` rewrites it once, when the statement is built;
* how each kind of value is stored (:class:`Kind`, :class:`ScalarCodec`): SQLite keeps UUIDs,
  dates and instants as ``TEXT`` and booleans as 0/1, PostgreSQL has the native types and its
  driver converts them, so its codecs are "as is";
* how a read locks the rows it reads (:attr:`Dialect.row_lock`), and how a transaction locks a key
  that no row stands for (:attr:`Dialect.shared_key_lock`);
* how a date column is bucketed into the first day of its week, month or year
  (:attr:`Dialect.period_starts`, for the ``GROUP BY`` of reports).

Everything else that differs lives in the adapter's own session (transactions, locking, bulk
inserts, reading the driver's errors), behind :class:`hours_sql.session.Session`. What is the
same on both databases is written once in this package, including the ``INSERT ... ON CONFLICT``
spelling of an upsert and of "insert unless it exists": SQLite (3.24 and later) and PostgreSQL
spell both alike, so the dialect has nothing to say about them.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs

__all__ = ["AS_IS", "JSON_STRINGS", "Dialect", "Kind", "ScalarCodec"]


class Kind(enum.Enum):
    """The kinds of stored values whose storage form a dialect chooses."""

    UUID = "uuid"
    """An id of the row itself (or any UUID that few rows share)."""
    REFERENCE = "reference"
    """An id that many rows share (an organization, user, project or task): worth memoizing."""
    DATE = "date"
    INSTANT = "instant"
    """A timezone-aware UTC ``datetime``."""
    BOOLEAN = "boolean"
    BYTES = "bytes"
    STRINGS = "strings"
    """A tuple of strings (a webhook's event types): a JSON array in a text column, on every database."""


@attrs.frozen
class ScalarCodec:
    """How one kind of value goes into a statement and comes out of a row.

    ``None`` means "as is": the driver takes and returns the Python value itself, and the
    generated row codecs then do not even call a function for it.
    """

    encode: Callable[[Any], Any] | None = None
    decode: Callable[[Any], Any] | None = None


AS_IS = ScalarCodec()
"""The codec of a value the driver converts by itself."""


def _encode_strings(value: tuple[str, ...]) -> str:
    return json.dumps(list(value), ensure_ascii=False, separators=(",", ":"))


def _decode_strings(text: str) -> tuple[str, ...]:
    value = json.loads(text)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"expected a stored JSON array of strings, got {text!r}")
    return tuple(value)


JSON_STRINGS = ScalarCodec(_encode_strings, _decode_strings)
"""The codec of :attr:`Kind.STRINGS` on every database: a JSON array of strings, as text."""


def _check_codecs(_instance: object, _attribute: object, value: Mapping[Kind, ScalarCodec]) -> None:
    missing = set(Kind) - set(value)
    if missing:
        raise ValueError(
            f"a dialect needs a codec for every kind; missing: {sorted(k.value for k in missing)}"
        )


@attrs.frozen
class Dialect:
    """One database's spelling of parameters and storage forms of values."""

    name: str
    placeholder: str
    """How a statement of the driver spells a positional parameter (``?`` or ``%s``)."""
    codecs: Mapping[Kind, ScalarCodec] = attrs.field(validator=_check_codecs, hash=False)
    row_lock: str = ""
    """What ends a ``SELECT`` that locks the rows it reads until the transaction ends
    (`` FOR NO KEY UPDATE`` on PostgreSQL); empty for a database whose writers run one at a time
    (SQLite), where a write transaction's reads are not raced anyway."""
    period_starts: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    """For ``week``, ``month`` and ``year``: an expression of the first day of the period that holds
    the date ``{column}``, of the type the dialect stores dates in; ``{first}`` is the first day of a
    week, 1 for Monday and 0 for Sunday (the numbering of SQLite's ``%w`` and PostgreSQL's ``dow``)."""

    def period_start(self, period: str, column: str, first: int) -> str:
        """The SQL of the first day of the ``period`` (day, week, month, year) that holds ``column``."""
        if period == "day":
            return column
        return self.period_starts[period].format(column=column, first=first)

    one_if_true: str = "(CASE WHEN {condition} THEN 1 ELSE 0 END)"
    """An integer expression: 1 where the boolean SQL ``{condition}`` holds, else 0 (SQLite's
    booleans are these integers already)."""

    def one_if(self, condition: str) -> str:
        """The SQL of 1 where ``condition`` holds, else 0 (see :attr:`one_if_true`)."""
        return self.one_if_true.format(condition=condition)

    reference_as_text: str = "{column}"
    """The text of the id in ``{column}``, in the form SQLite stores ids in (``CAST(... AS TEXT)``
    where the database has a type of its own for them)."""

    def reference_text(self, column: str) -> str:
        """The SQL of the id in ``column`` as text (see :attr:`reference_as_text`)."""
        return self.reference_as_text.format(column=column)

    index_hint: str = ""
    """What follows a table's name in a statement to make the planner read it through the index
    ``{index}`` (`` INDEXED BY {index}`` on SQLite); empty where the planner weighs the indexes
    itself (PostgreSQL, which has statistics). See :meth:`indexed_by`. Without statistics SQLite's
    planner picks the primary key for an ``ORDER BY`` of it however selective another index is
    (the audit trail's filters); an index on ``org_id`` alone over the primary key for a list of
    ids (``WHERE org_id = ? AND id IN (...)``: an import's undo read the organization once a page);
    the organization's every entry over the partial index of the running timers; and a sort of
    every entry changed since ``updatedSince`` on each page (``Statements.entry_list``'s
    ``changed_many``)."""

    def indexed_by(self, index: str) -> str:
        """What follows a table's name to read it through ``index`` (see :attr:`index_hint`)."""
        return self.index_hint.format(index=index)

    skip_locked: str = ""
    """What ends a ``SELECT`` that claims rows for this transaction and passes over rows another
    transaction has claimed (`` FOR UPDATE SKIP LOCKED`` on PostgreSQL: the webhook dispatchers of
    several processes); empty where writers run one at a time (SQLite)."""

    shared_key_lock: str = ""
    exclusive_key_lock: str = ""
    """Statements that take a lock on a key of two integer parameters (``?, ?``) until the
    transaction ends, shared or exclusive: a key that no row stands for (PostgreSQL's
    transaction-level advisory locks). Empty where writers run one at a time (SQLite)."""

    @property
    def one_writer(self) -> bool:
        """Whether the database runs one write transaction at a time (SQLite: it needs no
        :attr:`row_lock`), so that a transaction's writes are never raced."""
        return not self.row_lock

    def sql(self, statement: str) -> str:
        """``statement``, written with ``?`` parameters, in this dialect's parameter style.

        The shared statements contain no other ``?`` and no ``%`` (a ``%`` is doubled for drivers
        whose placeholder uses it, so that it stays a literal).
        """
        if self.placeholder == "?":
            return statement
        if "%" in self.placeholder:
            statement = statement.replace("%", "%%")
        return statement.replace("?", self.placeholder)

    def encoder(self, kind: Kind) -> Callable[[Any], Any]:
        """The function that turns a value of ``kind`` into a parameter (identity when as is)."""
        encode = self.codecs[kind].encode
        return _identity if encode is None else encode


def _identity(value: Any) -> Any:
    return value
