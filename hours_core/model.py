"""The entities of hours: organizations, users, projects, tasks and time entries.

Entities are frozen attrs classes. Invariants live in field validators, so an invalid entity
cannot exist; changes go through named methods that return a new instance (``attrs.evolve``).
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any, NewType
from uuid import UUID

import attrs

from hours_core.emails import email_key
from hours_core.errors import ValidationFailed
from hours_core.money import currency_problem
from hours_core.timezones import DEFAULT_TIMEZONE

__all__ = [
    "KEEP",
    "MAX_ENTRY_SECONDS",
    "MAX_EXTERNAL_REF_LENGTH",
    "MAX_LOCK_AFTER_DAYS",
    "MAX_NOTE_LENGTH",
    "MAX_RATE_MINOR",
    "MAX_USER_NAME_LENGTH",
    "Client",
    "ClientId",
    "Import",
    "ImportCreation",
    "ImportId",
    "ImportedKind",
    "Keep",
    "Org",
    "OrgId",
    "OverlapPolicy",
    "Plan",
    "Project",
    "ProjectId",
    "Rate",
    "RateId",
    "RateScope",
    "Role",
    "StoredRate",
    "Task",
    "TaskId",
    "TimeEntry",
    "TimeEntryId",
    "User",
    "UserId",
    "WeekStart",
    "bidi_control_problem",
    "check_name",
    "control_character_problem",
    "is_blank",
    "name_problem",
    "one_line_problem",
]

OrgId = NewType("OrgId", UUID)
UserId = NewType("UserId", UUID)
ProjectId = NewType("ProjectId", UUID)
TaskId = NewType("TaskId", UUID)
TimeEntryId = NewType("TimeEntryId", UUID)
ClientId = NewType("ClientId", UUID)
RateId = NewType("RateId", UUID)
ImportId = NewType("ImportId", UUID)

MAX_ENTRY_SECONDS = 86_400
"""One time entry belongs to one day: at most 24 hours."""

MAX_NOTE_LENGTH = 5_000
"""The longest note, in Unicode code points."""

MAX_NAME_LENGTH = 200
"""The longest name of an organization, project or task."""


class Plan(enum.StrEnum):
    """The subscription plans, in ascending order of what they include."""

    FREE = "free"
    SOLO = "solo"
    STUDIO = "studio"
    AGENCY = "agency"

    @property
    def rank(self) -> int:
        """The plan's position in the order free < solo < studio < agency."""
        return _PLAN_ORDER.index(self)

    def includes(self, other: Plan) -> bool:
        """Whether this plan is ``other`` or a higher one."""
        return self.rank >= other.rank

    # Plans compare in their order (free < solo < studio < agency), not as the strings they are
    # ("studio" > "agency"); a plan's name counts as the plan, any other string compares as text.

    def __lt__(self, other: object) -> bool:
        rank = _rank_of(other)
        return str.__lt__(self, other) if rank is None else self.rank < rank  # type: ignore[operator]

    def __le__(self, other: object) -> bool:
        rank = _rank_of(other)
        return str.__le__(self, other) if rank is None else self.rank <= rank  # type: ignore[operator]

    def __gt__(self, other: object) -> bool:
        rank = _rank_of(other)
        return str.__gt__(self, other) if rank is None else self.rank > rank  # type: ignore[operator]

    def __ge__(self, other: object) -> bool:
        rank = _rank_of(other)
        return str.__ge__(self, other) if rank is None else self.rank >= rank  # type: ignore[operator]


_PLAN_ORDER = (Plan.FREE, Plan.SOLO, Plan.STUDIO, Plan.AGENCY)
_PLAN_NAMES = frozenset(plan.value for plan in _PLAN_ORDER)


def _rank_of(other: object) -> int | None:
    """The rank of ``other`` if it is a plan or a plan's name, else ``None``."""
    if isinstance(other, Plan):
        return other.rank
    if isinstance(other, str) and other in _PLAN_NAMES:
        return Plan(other).rank
    return None


class Role(enum.StrEnum):
    """A user's role in their organization."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"

    @property
    def manages_org(self) -> bool:
        """Owners and admins manage projects, tasks and other members' time."""
        return self in (Role.OWNER, Role.ADMIN)


_NO_OFFSET = timedelta(0)


def _aware_utc(_instance: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None and value.utcoffset() != _NO_OFFSET:
        raise ValueError(f"{attribute.name} must be a UTC datetime, got {value!r}")


_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0"
    + "".join(map(chr, (*range(0x180B, 0x1810), *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0))))
)
"""Characters that show nothing but are neither white space nor format characters (a combining
grapheme joiner, Hangul and braille blanks, and the variation selectors, which only choose the glyph
of the character before them); with those two classes they make a name look blank."""

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""The bidirectional embeddings, overrides and isolates: they reorder how the text around them is
shown (a name could display as something it is not). The marks U+200E, U+200F and U+061C stay
allowed: they change no order, and right-to-left names use them."""


def _is_invisible(char: str) -> bool:
    """White space, a format character (Cf: zero-width spaces and joiners, bidi controls, the BOM,
    soft hyphens), or one of :data:`_INVISIBLE` (variation selectors included)."""
    return char.isspace() or unicodedata.category(char) == "Cf" or char in _INVISIBLE


def is_blank(value: str) -> bool:
    """Whether ``value`` shows nothing: empty, or only white space and invisible characters (zero-width
    spaces and joiners, other format characters, the Hangul fillers, the blank braille pattern, the
    variation selectors),
    wherever they stand. The one test of "not blank" for names and short free texts."""
    return all(_is_invisible(char) for char in value)


def control_character_problem(value: str, allowed: str = "") -> str | None:
    """The message for the first control character of ``value`` (C0, DEL or C1) not in ``allowed``,
    or its first lone UTF-16 surrogate (U+D800 to U+DFFF).

    A surrogate is not a character and has no UTF-8 form, but a Python string may carry one: a
    command-line argument that was not UTF-8 (Python reads it with ``surrogateescape``), or a
    library caller's string. Every text an entity stores passes this check, so no store is ever
    handed one: each would fail its own way (SQLite cannot encode it; PostgreSQL refuses it; the
    in-memory store would keep it). One search of a compiled character class finds the first of
    either (a 5,000-character note in microseconds, not a Python loop over its characters)."""
    found = _refused_characters(allowed).search(value)
    if found is None:
        return None
    char, index = found.group(), found.start()
    if "\ud800" <= char <= "\udfff":
        return (
            f"contains the lone surrogate U+{ord(char):04X} at position {index + 1}, "
            "which is not a character (was the text valid UTF-8?)"
        )
    return f"contains the control character U+{ord(char):04X} at position {index + 1}"


@functools.cache
def _refused_characters(allowed: str) -> re.Pattern[str]:
    """The characters :func:`control_character_problem` refuses, but ``allowed``, as one class."""
    refused = [chr(code) for code in (*range(0x20), *range(0x7F, 0xA0)) if chr(code) not in allowed]
    return re.compile("[" + "".join(re.escape(char) for char in refused) + "\ud800-\udfff]")


def one_line_problem(value: str) -> str | None:
    """The message for the first line or paragraph separator (U+2028, U+2029: refused like a newline)
    or bidirectional control of ``value``: what keeps a text that is shown on one line (a name, a
    lock's reason) from breaking the line or reordering what a client displays around it."""
    for index, char in enumerate(value):
        if unicodedata.category(char) in ("Zl", "Zp"):
            return f"contains the line or paragraph separator U+{ord(char):04X} at position {index + 1}"
        if char in _BIDI_CONTROLS:
            return _bidi_message(char, index)
    return None


def bidi_control_problem(value: str) -> str | None:
    """The message for the first bidirectional embedding, override or isolate of ``value`` (for a
    text of several lines, which may hold line separators but must read as it is stored)."""
    for index, char in enumerate(value):
        if char in _BIDI_CONTROLS:
            return _bidi_message(char, index)
    return None


def _bidi_message(char: str, index: int) -> str:
    return f"contains the bidirectional control character U+{ord(char):04X} at position {index + 1}"


def name_problem(value: str, max_length: int = MAX_NAME_LENGTH) -> str | None:
    """What is wrong with a name, or ``None``.

    The one rule for the names of organizations, projects and tasks (200 characters), of users
    (200) and of tokens (100): not blank (empty, or only white space and invisible characters,
    wherever they stand), at most ``max_length`` characters, and one line of text that shows as it
    reads: no control characters (not even tab or newline), no line or paragraph separators, no
    bidirectional embeddings, overrides or isolates.
    """
    if is_blank(value):
        return "must not be blank"
    if len(value) > max_length:
        return f"must be at most {max_length} characters (got {len(value)})"
    return control_character_problem(value) or one_line_problem(value)


def check_name(value: str, max_length: int = MAX_NAME_LENGTH) -> None:
    """Raise :class:`ValidationFailed` naming ``name`` unless :func:`name_problem` finds nothing."""
    problem = name_problem(value, max_length)
    if problem is not None:
        raise ValidationFailed.one("name", problem)


def _name(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    check_name(value)


class WeekStart(enum.StrEnum):
    """The first day of an organization's week (its reports' weeks, its timesheets)."""

    MONDAY = "monday"
    SUNDAY = "sunday"


class OverlapPolicy(enum.StrEnum):
    """What a write does when a time entry would overlap another of its user's (see
    :mod:`hours_core.overlaps`): nothing, succeed with a warning, or fail."""

    ALLOW = "allow"
    WARN = "warn"
    REJECT = "reject"


def _timezone_name(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    # Only the shape: the zone database may differ from the one that checked the name when it was set
    # (hours_core.timezones.timezone_problem, in the use case), and a stored org must always load.
    if not value or len(value) > 64 or any(char.isspace() for char in value):
        raise ValueError(f"{attribute.name} must be a time zone name, got {value!r}")


class Keep(enum.Enum):
    """The type of :data:`KEEP`."""

    KEEP = "keep"

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep.KEEP
"""A nullable attribute a revision leaves as it is (``None`` sets it to ``None``)."""


MAX_LOCK_AFTER_DAYS = 3650
"""The longest rolling rule of closed periods (``Org.lock_after_days``): ten years."""


def _lock_after_days(_instance: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and (type(value) is not int or not 1 <= value <= MAX_LOCK_AFTER_DAYS):
        raise ValueError(
            f"{attribute.name} must be an int in 1..{MAX_LOCK_AFTER_DAYS} or None, got {value!r}"
        )


@attrs.frozen
class Org:
    """An organization: the tenant. Everything else belongs to exactly one.

    Its settings: ``timezone`` (an IANA name; its days are the days of its reports and closed
    periods), ``week_start``, ``overlap_policy`` (what a write of overlapping entries does), and
    ``lock_after_days`` (the rolling rule of closed periods: days older than that many days are
    closed, see :mod:`hours_core.periods`; ``None``: no rule).
    """

    id: OrgId
    name: str = attrs.field(validator=_name)
    plan: Plan
    timezone: str = attrs.field(validator=_timezone_name)
    week_start: WeekStart
    created_at: datetime = attrs.field(validator=_aware_utc)
    overlap_policy: OverlapPolicy = OverlapPolicy.ALLOW
    lock_after_days: int | None = attrs.field(default=None, validator=_lock_after_days)

    @classmethod
    def new(
        cls,
        org_id: OrgId,
        name: str,
        plan: Plan,
        now: datetime,
        *,
        timezone: str = DEFAULT_TIMEZONE,
        week_start: WeekStart = WeekStart.MONDAY,
    ) -> Org:
        """A new organization, in UTC with weeks from Monday unless told otherwise."""
        return cls(id=org_id, name=name, plan=plan, timezone=timezone, week_start=week_start, created_at=now)

    def with_plan(self, plan: Plan) -> Org:
        """The organization moved to another plan."""
        return attrs.evolve(self, plan=plan)

    def with_settings(
        self,
        *,
        name: str | None = None,
        timezone: str | None = None,
        week_start: WeekStart | None = None,
        overlap_policy: OverlapPolicy | None = None,
        lock_after_days: int | Keep | None = KEEP,
    ) -> Org:
        """The organization with the given settings changed; ``None`` leaves one as it is (but
        ``lock_after_days`` is nullable: :data:`KEEP`, its default here, leaves it)."""
        return attrs.evolve(
            self,
            name=self.name if name is None else name,
            timezone=self.timezone if timezone is None else timezone,
            week_start=self.week_start if week_start is None else week_start,
            overlap_policy=self.overlap_policy if overlap_policy is None else overlap_policy,
            lock_after_days=(self.lock_after_days if isinstance(lock_after_days, Keep) else lock_after_days),
        )


MAX_USER_NAME_LENGTH = MAX_NAME_LENGTH
"""The longest display name of a user (the name rule's limit)."""


def _user_name(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    check_name(value, MAX_USER_NAME_LENGTH)


@attrs.frozen
class User:
    """A person in an organization.

    ``email`` is unique in the organization, compared by :attr:`email_key` (ignoring case);
    ``name`` is how the team sees them. A user with ``deactivated_at`` has left: their tokens
    stop working, their time stays.
    """

    id: UserId
    org_id: OrgId
    email: str = attrs.field()
    name: str = attrs.field(validator=_user_name)
    role: Role
    created_at: datetime = attrs.field(validator=_aware_utc)
    deactivated_at: datetime | None = attrs.field(default=None, validator=_aware_utc)

    @email.validator
    def _check_email(self, _attribute: attrs.Attribute[str], value: str) -> None:
        # The loose shape every stored address has had; new addresses pass the full rule first
        # (hours_core.emails.email_problem), so that an address stored by an older version still loads.
        local, at, domain = value.partition("@")
        if not (local and at and domain) or len(value) > 254 or any(c.isspace() for c in value):
            raise ValidationFailed.one("email", "must be an email address like ada@example.com")

    @classmethod
    def new(cls, user_id: UserId, org_id: OrgId, email: str, name: str, role: Role, now: datetime) -> User:
        """A new, active user."""
        return cls(id=user_id, org_id=org_id, email=email, name=name, role=role, created_at=now)

    @staticmethod
    def name_from_email(email: str) -> str:
        """A display name for a user who has none: the address's local part (``ada.lovelace`` for
        ``ada.lovelace@example.com``), cut to the name rule's length, without control characters;
        ``user`` if nothing is left.
        """
        local = email.rpartition("@")[0] or email
        printable = "".join(char for char in local if control_character_problem(char) is None)
        name = printable[:MAX_USER_NAME_LENGTH]
        return name if name_problem(name, MAX_USER_NAME_LENGTH) is None else "user"

    @property
    def email_key(self) -> str:
        """The email as addresses are compared: case-folded (:func:`hours_core.emails.email_key`)."""
        return email_key(self.email)

    @property
    def is_active(self) -> bool:
        """Whether the user has not been deactivated."""
        return self.deactivated_at is None

    @property
    def is_active_owner(self) -> bool:
        """Whether the user is an owner who has not been deactivated."""
        return self.role is Role.OWNER and self.deactivated_at is None

    def revised(self, *, name: str | None = None, role: Role | None = None) -> User:
        """The user renamed or given another role; ``None`` leaves one as it is."""
        return attrs.evolve(
            self, name=self.name if name is None else name, role=self.role if role is None else role
        )

    def deactivated(self, now: datetime) -> User:
        """The user deactivated at ``now``."""
        return attrs.evolve(self, deactivated_at=now)

    def reactivated(self) -> User:
        """The user active again."""
        return attrs.evolve(self, deactivated_at=None)


def _version(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value < 1:
        raise ValueError(f"{attribute.name} must be an int of at least 1, got {value!r}")


def _currency(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    problem = currency_problem(value)
    if problem is not None:
        raise ValueError(f"{attribute.name} {value!r}: {problem}")


@attrs.frozen
class Client:
    """A client: whom projects are done for, and the currency their rates are in.

    ``currency`` is an ISO 4217 code with a minor unit (:func:`hours_core.money.currency_problem`);
    ``billable_by_default`` (``None``: not set) is what new projects of the client take as their
    billable default when their creation does not say. An archived client (``archived_at``) keeps
    its projects but takes no new ones.
    """

    id: ClientId
    org_id: OrgId
    name: str = attrs.field(validator=_name)
    currency: str = attrs.field(validator=_currency)
    billable_by_default: bool | None
    archived_at: datetime | None = attrs.field(validator=_aware_utc)
    created_at: datetime = attrs.field(validator=_aware_utc)
    version: int = attrs.field(default=1, validator=_version)
    """1 when created, one more for every write of the row: the store counts (``ETag``, ``If-Match``)."""

    @classmethod
    def new(
        cls,
        client_id: ClientId,
        org_id: OrgId,
        name: str,
        currency: str,
        now: datetime,
        *,
        billable_by_default: bool | None = None,
    ) -> Client:
        """A new, active client."""
        return cls(
            id=client_id,
            org_id=org_id,
            name=name,
            currency=currency,
            billable_by_default=billable_by_default,
            archived_at=None,
            created_at=now,
        )

    @property
    def archived(self) -> bool:
        """Whether the client is archived."""
        return self.archived_at is not None

    def revised(
        self,
        now: datetime,
        *,
        name: str | None = None,
        currency: str | None = None,
        archived: bool | None = None,
        billable_by_default: bool | Keep | None = KEEP,
    ) -> Client:
        """The client with the given attributes changed; ``None`` leaves one as it is.

        ``billable_by_default`` is nullable: :data:`KEEP` (the default) leaves it as it is.
        """
        archived_at = self.archived_at
        if archived is True and archived_at is None:
            archived_at = now
        elif archived is False:
            archived_at = None
        return attrs.evolve(
            self,
            name=self.name if name is None else name,
            currency=self.currency if currency is None else currency,
            archived_at=archived_at,
            billable_by_default=(
                self.billable_by_default if isinstance(billable_by_default, Keep) else billable_by_default
            ),
        )


@attrs.frozen
class Project:
    """A project; time entries are logged against one."""

    id: ProjectId
    org_id: OrgId
    name: str = attrs.field(validator=_name)
    archived: bool
    billable_by_default: bool
    created_at: datetime = attrs.field(validator=_aware_utc)
    updated_at: datetime = attrs.field(validator=_aware_utc)
    client_id: ClientId | None = None
    version: int = attrs.field(default=1, validator=_version)
    """1 when created, one more for every write of the row: the store counts (``ETag``, ``If-Match``)."""

    @classmethod
    def new(
        cls,
        project_id: ProjectId,
        org_id: OrgId,
        name: str,
        now: datetime,
        *,
        billable_by_default: bool,
        client_id: ClientId | None = None,
    ) -> Project:
        """A new, active project (of ``client_id``, if given)."""
        return cls(
            id=project_id,
            org_id=org_id,
            name=name,
            archived=False,
            billable_by_default=billable_by_default,
            created_at=now,
            updated_at=now,
            client_id=client_id,
        )

    def revised(
        self,
        now: datetime,
        *,
        name: str | None = None,
        archived: bool | None = None,
        billable_by_default: bool | None = None,
        client_id: ClientId | Keep | None = KEEP,
    ) -> Project:
        """The project with the given attributes changed; ``None`` leaves one as it is (but
        ``client_id=None`` detaches it from its client; :data:`KEEP` leaves the client)."""
        return attrs.evolve(
            self,
            name=self.name if name is None else name,
            archived=self.archived if archived is None else archived,
            billable_by_default=(
                self.billable_by_default if billable_by_default is None else billable_by_default
            ),
            updated_at=now,
            client_id=self.client_id if isinstance(client_id, Keep) else client_id,
        )


@attrs.frozen
class Task:
    """A task inside a project."""

    id: TaskId
    org_id: OrgId
    project_id: ProjectId
    name: str = attrs.field(validator=_name)
    archived: bool
    created_at: datetime = attrs.field(validator=_aware_utc)
    updated_at: datetime = attrs.field(validator=_aware_utc)
    version: int = attrs.field(default=1, validator=_version)
    """1 when created, one more for every write of the row: the store counts (``ETag``, ``If-Match``)."""

    @classmethod
    def new(cls, task_id: TaskId, project: Project, name: str, now: datetime) -> Task:
        """A new, active task of ``project``."""
        return cls(
            id=task_id,
            org_id=project.org_id,
            project_id=project.id,
            name=name,
            archived=False,
            created_at=now,
            updated_at=now,
        )

    def revised(self, now: datetime, *, name: str | None = None, archived: bool | None = None) -> Task:
        """The task with the given attributes changed; ``None`` leaves one as it is."""
        return attrs.evolve(
            self,
            name=self.name if name is None else name,
            archived=self.archived if archived is None else archived,
            updated_at=now,
        )


MAX_RATE_MINOR = 1_000_000_000
"""The highest hourly rate, in minor units (10,000,000.00 an hour in a currency with cents): it
fits a 32-bit column, and a day of it (86,400 s x rate) fits 64-bit arithmetic many times over."""


class RateScope(enum.StrEnum):
    """Where a rate applies, from the least to the most specific (:attr:`specificity`)."""

    ORG = "org"
    CLIENT = "client"
    PROJECT = "project"
    USER = "user"
    USER_PROJECT = "user_project"

    @property
    def specificity(self) -> int:
        """The scope's rank in resolution: a higher one wins (docs/reports.md, "Rates")."""
        return _SCOPE_ORDER.index(self)


_SCOPE_ORDER = (RateScope.ORG, RateScope.CLIENT, RateScope.PROJECT, RateScope.USER, RateScope.USER_PROJECT)

_SCOPE_TARGETS = {
    RateScope.ORG: (False, False, False),
    RateScope.CLIENT: (True, False, False),
    RateScope.PROJECT: (False, True, False),
    RateScope.USER: (False, False, True),
    RateScope.USER_PROJECT: (False, True, True),
}
"""Which of (client, project, user) each scope names; the others must be ``None``."""


def _rate_minor(_instance: object, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and (type(value) is not int or not 0 <= value <= MAX_RATE_MINOR):
        raise ValueError(f"{attribute.name} must be an int in 0..{MAX_RATE_MINOR} or None, got {value!r}")


@attrs.frozen
class StoredRate:
    """The rate an entry stored when it was logged, and where it came from (``scope``, ``rate_id``).

    A snapshot: a later change of the rates never changes it (only ``POST /rates/reapply`` does).
    """

    billable_rate_minor: int | None = attrs.field(validator=_rate_minor)
    cost_rate_minor: int | None = attrs.field(validator=_rate_minor)
    currency: str = attrs.field(validator=_currency)
    scope: RateScope
    rate_id: RateId


@attrs.frozen
class Rate:
    """An hourly billable and/or cost rate in minor units of ``currency``, at one scope, from
    ``effective_from`` on (until a later rate of the same scope and target takes over).

    The scope says which of ``client_id``, ``project_id`` and ``user_id`` are set: none (org), the
    client, the project, the user, or the user and the project (user_project). At least one of the
    two rates is set.
    """

    id: RateId
    org_id: OrgId
    scope: RateScope
    client_id: ClientId | None
    project_id: ProjectId | None
    user_id: UserId | None
    billable_rate_minor: int | None = attrs.field(validator=_rate_minor)
    cost_rate_minor: int | None = attrs.field(validator=_rate_minor)
    currency: str = attrs.field(validator=_currency)
    effective_from: date
    created_at: datetime = attrs.field(validator=_aware_utc)

    def __attrs_post_init__(self) -> None:
        named = (self.client_id is not None, self.project_id is not None, self.user_id is not None)
        if named != _SCOPE_TARGETS[self.scope]:
            raise ValueError(f"a rate of scope {self.scope.value} names the wrong targets: {named!r}")
        if self.billable_rate_minor is None and self.cost_rate_minor is None:
            raise ValueError("a rate needs a billable rate, a cost rate or both")

    @property
    def target(self) -> tuple[RateScope, ClientId | None, ProjectId | None, UserId | None]:
        """What the rate applies to: rates of one target follow each other by ``effective_from``."""
        return (self.scope, self.client_id, self.project_id, self.user_id)

    def stored(self) -> StoredRate:
        """The snapshot an entry stores of this rate."""
        return StoredRate(
            billable_rate_minor=self.billable_rate_minor,
            cost_rate_minor=self.cost_rate_minor,
            currency=self.currency,
            scope=self.scope,
            rate_id=self.id,
        )


MAX_EXTERNAL_REF_LENGTH = 100
"""The longest ``external_ref``: a source name, a colon and a SHA-256 in hex fit well within it."""


def _external_ref(_instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not (0 < len(value) <= MAX_EXTERNAL_REF_LENGTH and value.isprintable()):
        raise ValueError(f"{attribute.name} must be 1 to {MAX_EXTERNAL_REF_LENGTH} printable characters")


@attrs.frozen
class TimeEntry:
    """Time one user spent on one project on one day.

    A *running* entry (a timer) has ``started_at`` and no ``stopped_at``; its stored
    ``duration_seconds`` is 0 until it stops, and :meth:`elapsed_seconds` reports the time so far.
    """

    id: TimeEntryId
    org_id: OrgId
    user_id: UserId
    project_id: ProjectId
    task_id: TaskId | None
    invoice_id: UUID | None
    duration_seconds: int = attrs.field()
    billable: bool
    note: str | None
    entry_date: date
    started_at: datetime | None = attrs.field(validator=_aware_utc)
    stopped_at: datetime | None = attrs.field(validator=_aware_utc)
    created_at: datetime = attrs.field(validator=_aware_utc)
    updated_at: datetime = attrs.field(validator=_aware_utc)
    deleted_at: datetime | None = attrs.field(default=None, validator=_aware_utc)
    rate: StoredRate | None = None
    """The rate stored when the entry was logged or its project, user or date changed; ``None``
    when none applied, or when it was logged on a plan without ``billable_rates`` (on such a plan a
    change keeps the stored rate as it is: :func:`hours_core.services.rates.rate_for_entry`)."""
    import_id: ImportId | None = None
    """The import that created the entry, if one did (``DELETE /imports/{id}`` undoes it)."""
    external_ref: str | None = attrs.field(default=None, validator=_external_ref)
    """``source:sha256`` of the source row an import read the entry from; unique per organization."""
    version: int = attrs.field(default=1, validator=_version)
    """1 when created, one more for every write of the row: the store counts (``ETag``, ``If-Match``)."""
    released_ref: str | None = attrs.field(default=None, validator=_external_ref)
    """The ``external_ref`` this entry gave up when its import was undone (:meth:`unimported`), so
    that the file imports again; a restore takes it back (:meth:`restored`). ``None`` otherwise."""

    @duration_seconds.validator
    def _check_duration(self, _attribute: attrs.Attribute[int], value: int) -> None:
        if type(value) is not int or not 0 <= value <= MAX_ENTRY_SECONDS:
            raise ValueError(f"duration_seconds must be an int in 0..{MAX_ENTRY_SECONDS}, got {value!r}")

    @stopped_at.validator
    def _check_span(self, _attribute: attrs.Attribute[Any], value: datetime | None) -> None:
        _aware_utc(self, _attribute, value)
        if value is None:
            return
        if self.started_at is None:
            raise ValueError("stopped_at needs started_at")
        if value < self.started_at:
            raise ValueError("stopped_at is earlier than started_at")

    @property
    def is_running(self) -> bool:
        """Whether this entry is a timer that has not been stopped."""
        return self.started_at is not None and self.stopped_at is None

    @property
    def is_deleted(self) -> bool:
        """Whether this entry was soft-deleted."""
        return self.deleted_at is not None

    @property
    def is_locked(self) -> bool:
        """Invoiced entries are locked: they can no longer change."""
        return self.invoice_id is not None

    def elapsed_seconds(self, now: datetime) -> int:
        """The duration to report at ``now``: the elapsed time while running, else the stored one."""
        if self.started_at is not None and self.stopped_at is None:
            return max(0, min(MAX_ENTRY_SECONDS, int((now - self.started_at).total_seconds())))
        return self.duration_seconds

    def stopped(self, at: datetime, now: datetime) -> TimeEntry:
        """The running entry stopped at ``at``; its duration becomes the span."""
        assert self.started_at is not None
        span = int((at - self.started_at).total_seconds())
        return attrs.evolve(
            self, stopped_at=at, duration_seconds=min(span, MAX_ENTRY_SECONDS), updated_at=now
        )

    def stopped_by_deactivation(self, now: datetime) -> TimeEntry:
        """The running entry stopped at ``now`` (never before its start) because its user was
        deactivated; as with any stop, the duration is capped at 24 hours."""
        assert self.started_at is not None
        at = max(now, self.started_at)
        return self.stopped(at, max(now, self.updated_at + timedelta(microseconds=1)))

    def invoiced(self, invoice_id: UUID, now: datetime) -> TimeEntry:
        """The entry attached to an invoice, and so locked."""
        return attrs.evolve(
            self, invoice_id=invoice_id, updated_at=max(now, self.updated_at + timedelta(microseconds=1))
        )

    def uninvoiced(self, now: datetime) -> TimeEntry:
        """The entry freed from its invoice (the invoice was voided), and so unlocked."""
        return attrs.evolve(
            self, invoice_id=None, updated_at=max(now, self.updated_at + timedelta(microseconds=1))
        )

    def deleted(self, now: datetime) -> TimeEntry:
        """The entry soft-deleted at ``now``."""
        return attrs.evolve(self, deleted_at=now, updated_at=now)

    def restored(self, now: datetime) -> TimeEntry:
        """The soft-deleted entry brought back, with the source row its import's undo released, if it
        did (``released_ref`` back in ``external_ref``: the caller checked that no other entry holds it)."""
        external_ref = self.external_ref if self.released_ref is None else self.released_ref
        return attrs.evolve(
            self, deleted_at=None, updated_at=now, external_ref=external_ref, released_ref=None
        )

    def unimported(self, now: datetime) -> TimeEntry:
        """The imported entry soft-deleted by its import's undo at ``now``, its source row released
        (``external_ref`` moved to ``released_ref``, so that the file imports again and a restore can
        take it back), one version up."""
        return attrs.evolve(
            self,
            deleted_at=now,
            updated_at=now,
            external_ref=None,
            released_ref=self.external_ref,
            version=self.version + 1,
        )

    def source_row_given_up(self, now: datetime) -> TimeEntry:
        """The deleted entry's ``external_ref`` released (to ``released_ref``), as an undo releases it:
        another copy of its source row is being restored and takes the reference."""
        return attrs.evolve(self, external_ref=None, released_ref=self.external_ref, updated_at=now)


@attrs.frozen
class Import:
    """One import of a file into an organization: who ran it, from where, and what it did.

    ``created``, ``duplicates`` and ``failed`` count the file's rows as the import's report did.
    ``deleted_at`` is set when the import was undone (its entries soft-deleted, and what it created
    archived or deactivated unless something else uses it: :class:`ImportCreation`).
    """

    id: ImportId
    org_id: OrgId
    user_id: UserId
    source: str
    created: int
    duplicates: int
    failed: int
    created_at: datetime = attrs.field(validator=_aware_utc)
    deleted_at: datetime | None = attrs.field(default=None, validator=_aware_utc)

    def deleted(self, now: datetime) -> Import:
        """The import undone at ``now``."""
        return attrs.evolve(self, deleted_at=now)


class ImportedKind(enum.StrEnum):
    """What an import creates besides entries (:class:`ImportCreation`)."""

    CLIENT = "client"
    PROJECT = "project"
    TASK = "task"
    USER = "user"


@attrs.frozen
class ImportCreation:
    """One client, project, task or user that an import created (``subject_id`` is its id): what
    the import's undo archives (a client, project or task) or deactivates (a user), unless
    something outside the import uses it by then. An import stores one per thing it created, in
    its own transaction; they never change."""

    org_id: OrgId
    import_id: ImportId
    kind: ImportedKind
    subject_id: UUID
