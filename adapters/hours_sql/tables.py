"""The tables, described once from the entities they store.

A :class:`Table` takes its columns from the attrs fields of its entity, in field order, with the
field's name as the column's name; each field's type says how the value is stored
(:func:`column_kind`). So a new field of ``TimeEntry`` needs, in the store, only the migration that
adds its column: the statements and the row codecs of every dialect follow from this description.

The unique constraints that the repositories turn into errors of their own
(:data:`UNIQUE_CONSTRAINTS`) are named here once, with the same names in every database's schema.
"""

from __future__ import annotations

import datetime
import enum
import functools
import types
import typing
import uuid
from typing import Any

import attrs

from hours_core.idempotency import IdempotencyRecord
from hours_core.installation import InstallationSecret
from hours_core.invoices import Invoice
from hours_core.model import Client, Import, ImportCreation, Org, Project, Rate, Task, TimeEntry, User
from hours_core.periods import ClosedPeriod
from hours_core.subscriptions import Webhook, WebhookDelivery
from hours_core.timesheets import Timesheet
from hours_core.tokens import ApiToken
from hours_core.web_sessions import WebSession
from hours_sql.dialect import Kind

__all__ = [
    "CLIENTS",
    "CLOSED_PERIODS",
    "EMAIL_PER_ORG",
    "ENTRIES",
    "ENTRY_RATE_COLUMNS",
    "EXTERNAL_REF_PER_ORG",
    "IDEMPOTENCY_KEY",
    "IDEMPOTENCY_RECORDS",
    "IMPORTS",
    "IMPORT_CREATIONS",
    "INSTALLATION_SECRETS",
    "INVOICES",
    "ONE_RUNNING_TIMER",
    "ORGS",
    "PROJECTS",
    "RATES",
    "TABLES",
    "TASKS",
    "TIMESHEETS",
    "TOKENS",
    "TOKEN_PREFIX",
    "UNIQUE_CONSTRAINTS",
    "USERS",
    "WEBHOOKS",
    "WEBHOOK_DELIVERIES",
    "WEB_SESSIONS",
    "Column",
    "Table",
    "Unique",
    "column_kind",
]


@attrs.frozen
class Column:
    """One column: the entity field it stores, how (``kind``; ``None``: as is), and whether it may be NULL."""

    name: str
    kind: Kind | None
    nullable: bool
    enum: type[enum.Enum] | None = None
    """The enum class of a field stored as its value (plans, roles)."""
    derived: bool = False
    """Whether the column stores a property of the entity computed from its fields (see
    :attr:`Table.derived`) rather than a field."""
    embedded_in: str | None = None
    """The entity field (an optional attrs value object, :attr:`Table.embedded`) this column
    stores one member of; ``None`` for a column of a field of its own."""
    member: str | None = None
    """The member of the embedded value this column stores."""
    required_member: bool = False
    """Whether the member is never ``None`` in a stored value: such a column is NULL exactly when
    the embedded value is ``None``, and the decoder reads it to tell."""


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type of a field without ``| None``, and whether ``None`` was part of it."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [member for member in typing.get_args(annotation) if member is not type(None)]
        if len(members) != 1:
            raise TypeError(f"a stored field must have one type (or that type | None), got {annotation!r}")
        return members[0], True
    return annotation, False


def column_kind(name: str, annotation: Any, *, memoize_id: bool = False) -> Column:
    """The column that stores a field called ``name`` of type ``annotation``.

    ``UUID`` and its ``NewType`` ids are UUIDs; an id of another entity (a ``NewType`` field named
    ``*_id``) is a reference, and so is the table's own ``id`` when ``memoize_id`` says that
    many rows of other tables name it. ``bool`` is a boolean, ``datetime`` an instant, ``date`` a
    date, ``bytes`` bytes; ``int`` and ``str`` are stored as they are, an ``enum.Enum`` as its value.
    """
    kind_type, nullable = _unwrap(annotation)
    supertype = getattr(kind_type, "__supertype__", None)  # a typing.NewType
    base = kind_type if supertype is None else supertype
    if base is uuid.UUID:
        is_reference = (supertype is not None and name.endswith("_id")) or (name == "id" and memoize_id)
        return Column(name, Kind.REFERENCE if is_reference else Kind.UUID, nullable)
    if base is bool:
        return Column(name, Kind.BOOLEAN, nullable)
    if base is datetime.datetime:
        return Column(name, Kind.INSTANT, nullable)
    if base is datetime.date:
        return Column(name, Kind.DATE, nullable)
    if base is bytes:
        return Column(name, Kind.BYTES, nullable)
    if typing.get_origin(base) is tuple and typing.get_args(base) == (str, ...):
        return Column(name, Kind.STRINGS, nullable)
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return Column(name, None, nullable, enum=base)
    if base in (int, str):
        return Column(name, None, nullable)
    raise TypeError(f"no storage form for the field {name}: {annotation!r}")


@attrs.frozen
class Table:
    """A table and the entity each of its rows is.

    ``columns`` are the entity's attrs fields in order, then its ``derived`` properties;
    ``memoize_id`` marks a table whose ids many rows of other tables refer to (organizations,
    users), so that decoding them is memoized.

    A derived column stores a property the entity computes from its fields (``User.email_key``),
    so that the database can index it without knowing how it is computed. It is written when a
    row is inserted and never read back: a row's entity is built from its fields alone, and the
    select statements (:attr:`field_columns`) leave derived columns out.
    """

    name: str
    entity: type
    memoize_id: bool = False
    derived: tuple[str, ...] = ()
    embedded: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    """Fields whose value is an optional attrs value object (``TimeEntry.rate``), stored as one
    nullable column per member, in the place of the field: ``(field, ((member, column), ...))``."""
    apart: tuple[Column, ...] = ()
    """Columns the entity has no field for, read and written by statements of their own (a user's
    password hash: no user object carries it); an insert leaves them NULL."""

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        """Every column of the table: :attr:`columns`, then :attr:`apart`."""
        return self.columns + self.apart

    @functools.cached_property
    def columns(self) -> tuple[Column, ...]:
        """One column per attrs field of the entity, in field order (one per member of an embedded
        field), then one per derived property."""
        hints = typing.get_type_hints(self.entity)
        embedded = dict(self.embedded)
        fields: tuple[Column, ...] = ()
        for field in attrs.fields(self.entity):
            if field.name in embedded:
                fields += self._embedded_columns(field.name, hints[field.name], embedded[field.name])
            else:
                fields += (column_kind(field.name, hints[field.name], memoize_id=self.memoize_id),)
        derived = tuple(
            attrs.evolve(column_kind(name, self.annotation(name)), derived=True) for name in self.derived
        )
        return fields + derived

    @staticmethod
    def _embedded_columns(
        field: str, annotation: Any, members: tuple[tuple[str, str], ...]
    ) -> tuple[Column, ...]:
        value_class, _nullable = _unwrap(annotation)
        hints = typing.get_type_hints(value_class)
        if [name for name, _column in members] != [each.name for each in attrs.fields(value_class)]:
            raise TypeError(
                f"the columns of {field} must name every member of {value_class.__name__} in order"
            )
        columns = []
        for member, column_name in members:
            column = column_kind(column_name, hints[member])
            columns.append(
                attrs.evolve(
                    column,
                    nullable=True,
                    embedded_in=field,
                    member=member,
                    required_member=not column.nullable,
                )
            )
        return tuple(columns)

    @functools.cached_property
    def field_columns(self) -> tuple[Column, ...]:
        """The columns of the entity's fields: what a select reads and a decoder takes."""
        return tuple(column for column in self.columns if not column.derived)

    def annotation(self, name: str) -> Any:
        """The type of the field or derived property ``name`` of the entity (of the member, for the
        column of an embedded field)."""
        hints = typing.get_type_hints(self.entity)
        for field, members in self.embedded:
            member = {column: member for member, column in members}.get(name)
            if member is not None:
                return typing.get_type_hints(_unwrap(hints[field])[0])[member] | None
        if name in hints:
            return hints[name]
        prop = getattr(self.entity, name)
        return typing.get_type_hints(prop.fget)["return"]

    @property
    def column_names(self) -> tuple[str, ...]:
        """The columns' names, in order."""
        return tuple(column.name for column in self.columns)

    @property
    def field_column_names(self) -> tuple[str, ...]:
        """The names of :attr:`field_columns`, in order."""
        return tuple(column.name for column in self.field_columns)


ORGS = Table("orgs", Org, memoize_id=True)
USERS = Table(  # decoded on every request
    "users",
    User,
    memoize_id=True,
    derived=("email_key",),
    apart=(Column("password_hash", None, nullable=True),),
)
CLIENTS = Table("clients", Client)
PROJECTS = Table("projects", Project)
TASKS = Table("tasks", Task)
ENTRY_RATE_COLUMNS = (
    ("billable_rate_minor", "rate_billable_minor"),
    ("cost_rate_minor", "rate_cost_minor"),
    ("currency", "rate_currency"),
    ("scope", "rate_scope"),
    ("rate_id", "rate_id"),
)
"""The columns of an entry's stored rate (``TimeEntry.rate``), one per member of ``StoredRate``."""
ENTRIES = Table("time_entries", TimeEntry, embedded=(("rate", ENTRY_RATE_COLUMNS),))
IMPORTS = Table("imports", Import)
IMPORT_CREATIONS = Table("import_creations", ImportCreation)
TOKENS = Table("api_tokens", ApiToken)
IDEMPOTENCY_RECORDS = Table("idempotency_records", IdempotencyRecord)
INSTALLATION_SECRETS = Table("installation_secrets", InstallationSecret)
RATES = Table("rates", Rate)
WEB_SESSIONS = Table("web_sessions", WebSession)
WEBHOOKS = Table("webhooks", Webhook)
WEBHOOK_DELIVERIES = Table("webhook_deliveries", WebhookDelivery)
TIMESHEETS = Table("timesheets", Timesheet)
CLOSED_PERIODS = Table("closed_periods", ClosedPeriod)
INVOICES = Table("invoices", Invoice)

TABLES = (
    ORGS,
    USERS,
    CLIENTS,
    PROJECTS,
    TASKS,
    IMPORTS,
    IMPORT_CREATIONS,
    ENTRIES,
    TOKENS,
    IDEMPOTENCY_RECORDS,
    WEB_SESSIONS,
    INSTALLATION_SECRETS,
    RATES,
    WEBHOOKS,
    WEBHOOK_DELIVERIES,
    TIMESHEETS,
    CLOSED_PERIODS,
    INVOICES,
)
"""Every table, referred-to ones first."""


@attrs.frozen
class Unique:
    """A unique constraint (or index) a repository maps to an error of its own, by its name."""

    name: str
    table: str
    columns: tuple[str, ...]


EMAIL_PER_ORG = Unique("users_email_per_org", "users", ("org_id", "email_key"))
ONE_RUNNING_TIMER = Unique("time_entries_one_running_per_user", "time_entries", ("org_id", "user_id"))
TOKEN_PREFIX = Unique("api_tokens_pkey", "api_tokens", ("prefix",))
IDEMPOTENCY_KEY = Unique("idempotency_records_pkey", "idempotency_records", ("org_id", "user_id", "key"))
EXTERNAL_REF_PER_ORG = Unique("time_entries_external_ref_per_org", "time_entries", ("org_id", "external_ref"))

UNIQUE_CONSTRAINTS = (EMAIL_PER_ORG, ONE_RUNNING_TIMER, TOKEN_PREFIX, IDEMPOTENCY_KEY, EXTERNAL_REF_PER_ORG)
"""The constraints the repositories name. A database whose errors name columns rather than
constraints (SQLite) finds the name here by table and columns."""
