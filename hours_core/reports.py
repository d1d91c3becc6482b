"""Time reports: the query, the grouping rules, and the tree built from aggregated rows.

A report groups the entries of a date range by one to three levels (``groupBy``) and reports,
for every group and for the totals, the raw seconds, the billable seconds, the rounded seconds,
the number of entries and the amounts per currency. docs/reports.md states the semantics with
worked examples; this module is their one implementation.

The work is split so that the store does the heavy part in its database:

1. A store adapter filters the entries (:class:`ReportFilter`) and aggregates them with one SQL
   ``GROUP BY`` over the group values and the rate's currency, returning :class:`ReportRow`
   objects: the group values plus ``count``, ``sum(duration)``, ``sum(billable duration)``,
   ``sum(entry-rounded duration)`` and the sums of the per-entry amounts. The per-entry values
   are :func:`hours_core.rounding.entry_seconds` and :func:`hours_core.money.amount_minor`,
   which SQL computes with integer arithmetic (docs/reports.md gives the expressions).
2. :func:`build_report` merges the rows by group (rows may be finer than the groups: one per
   entry, or one per day where the report groups by month), buckets dates into periods, applies
   ``group``-scope rounding at the finest level, sums parents and totals from their children,
   and sorts every level.

Because parents and totals are sums of their children, and every amount is a sum of entry
amounts, the totals always add up.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, TypeAlias
from uuid import UUID

import attrs

from hours_core.caseless import caseless
from hours_core.errors import ValidationFailed
from hours_core.money import HourlyRate, currency_problem
from hours_core.rounding import Rounding, entry_seconds
from hours_core.validation import FIRST_ENTRY_DATE, LAST_ENTRY_DATE, FieldErrors

__all__ = [
    "MAX_FILTER_VALUES",
    "MAX_GROUP_LEVELS",
    "MAX_REPORT_SPAN_DAYS",
    "MISSING_DATE",
    "PERIOD_KEYS",
    "TOTAL_KEY",
    "CurrencyAmount",
    "GroupKey",
    "GroupValue",
    "Labelled",
    "Node",
    "NodeKey",
    "Report",
    "ReportFilter",
    "ReportQuery",
    "ReportRow",
    "WeekStart",
    "build_report",
    "check_report_range",
    "group_values",
    "parse_group_by",
    "parse_week_start",
    "period_id",
    "period_start",
    "reversed_range",
]

MAX_REPORT_SPAN_DAYS = 366
"""``to`` lies at most this many days after ``from`` (a leap year from Jan 1 to Dec 31 is 365)."""

MAX_GROUP_LEVELS = 3
"""A report groups by one to three levels."""

MAX_FILTER_VALUES = 100
"""The most ids one repeatable filter (``projectId``, ``taskId``, ...) may list."""

_MAX_GROUP_BY_LENGTH = 100
_SHOWN_LENGTH = 20


class GroupKey(enum.StrEnum):
    """What a report level groups by."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    USER = "user"
    CLIENT = "client"
    PROJECT = "project"
    TASK = "task"
    BILLABLE = "billable"

    @property
    def is_period(self) -> bool:
        """Whether this level groups by a calendar period of ``entryDate``."""
        return self in PERIOD_KEYS


_GROUP_KEY_NAMES = frozenset(key.value for key in GroupKey)

PERIOD_KEYS = frozenset({GroupKey.DAY, GroupKey.WEEK, GroupKey.MONTH, GroupKey.YEAR})
"""The levels that group by a period of ``entryDate``; they sort chronologically."""

_NULL_LABELS = MappingProxyType({GroupKey.CLIENT: "No client", GroupKey.TASK: "No task"})
"""The levels that may have no value, and the label of their null group."""


class WeekStart(enum.StrEnum):
    """The first day of a week; a week is named by its first day."""

    MONDAY = "monday"
    SUNDAY = "sunday"

    @property
    def weekday(self) -> int:
        """The first day as :meth:`datetime.date.weekday` numbers it (Monday is 0)."""
        return 0 if self is WeekStart.MONDAY else 6


def _shown(value: str) -> str:
    return repr(value) if len(value) <= _SHOWN_LENGTH else repr(value[:_SHOWN_LENGTH]) + "..."


def _group_by_problem(text: str) -> tuple[tuple[GroupKey, ...], str | None]:
    choices = ", ".join(key.value for key in GroupKey)
    form = f"must list 1 to {MAX_GROUP_LEVELS} of {choices}, separated by commas without spaces"
    if not text or len(text) > _MAX_GROUP_BY_LENGTH:
        return (), form
    names = text.split(",")
    if "" in names:
        return (), f"{form} (found an empty item)"
    unknown = [name for name in names if name not in _GROUP_KEY_NAMES]
    if unknown:
        shown = ", ".join(_shown(name) for name in unknown[:3])
        return (), f"{form}; unknown: {shown}"
    if len(names) > MAX_GROUP_LEVELS:
        return (), f"{form} (got {len(names)} levels)"
    keys = tuple(GroupKey(name) for name in names)
    for index, key in enumerate(keys):
        if key in keys[:index]:
            return (), f"lists {key.value} twice; each level may appear once"
    return keys, None


def parse_group_by(text: str, field: str = "groupBy") -> tuple[GroupKey, ...]:
    """The levels that ``text`` lists, e.g. ``"project,user"``.

    One to three distinct levels, comma-separated, lower case, no spaces, in any order: each level
    groups every entry by its own value (a week that straddles two years lies in both, with the
    entries of each; docs/reports.md). Raise :class:`ValidationFailed` keyed ``field`` otherwise.
    """
    keys, problem = _group_by_problem(text)
    if problem is not None:
        raise ValidationFailed.one(field, problem)
    return keys


def parse_week_start(text: str, field: str = "weekStart") -> WeekStart:
    """``monday`` or ``sunday``; raise :class:`ValidationFailed` keyed ``field`` otherwise."""
    if text in (WeekStart.MONDAY.value, WeekStart.SUNDAY.value):
        return WeekStart(text)
    raise ValidationFailed.one(field, f"must be monday or sunday, not {_shown(text)}")


def period_start(key: GroupKey, day: date, week_start: WeekStart = WeekStart.MONDAY) -> date:
    """The first day of the ``key`` period (day, week, month or year) that holds ``day``."""
    if key is GroupKey.DAY:
        return day
    if key is GroupKey.WEEK:
        return day - timedelta(days=(day.weekday() - week_start.weekday) % 7)
    if key is GroupKey.MONTH:
        return day.replace(day=1)
    if key is GroupKey.YEAR:
        return date(day.year, 1, 1)
    raise ValueError(f"{key.value} is not a period")


def period_id(key: GroupKey, start: date) -> str:
    """The name of the period that starts on ``start``.

    A day or a week is its (first) day, ``2024-03-04``; a month ``2024-03``; a year ``2024``.
    """
    if key in (GroupKey.DAY, GroupKey.WEEK):
        return start.isoformat()
    if key is GroupKey.MONTH:
        return f"{start.year:04d}-{start.month:02d}"
    if key is GroupKey.YEAR:
        return f"{start.year:04d}"
    raise ValueError(f"{key.value} is not a period")


def reversed_range(date_from: date | None, date_to: date | None) -> str | None:
    """The message on ``to`` for a date range that ends before it starts, or ``None``: a report and
    the web app's entry list word it alike."""
    if date_from is not None and date_to is not None and date_to < date_from:
        return f"must not be before from ({date_from})"
    return None


MISSING_DATE = "is required: a date such as 2024-01-31"
"""The message for a required date (a report's or an overlap list's ``from`` and ``to``) that is missing."""


def check_report_range(
    date_from: date | None, date_to: date | None, errors: FieldErrors, *, longer: str | None = None
) -> None:
    """``from`` and ``to`` are given, inclusive, in the entry-date range, and at most 366 days apart;
    ``longer`` says where a longer range goes, when somewhere does (the report's: the export)."""
    for field, value in (("from", date_from), ("to", date_to)):
        if value is None:
            errors.add(field, MISSING_DATE)
        elif not FIRST_ENTRY_DATE <= value <= LAST_ENTRY_DATE:
            errors.add(field, f"must be a date from {FIRST_ENTRY_DATE} to {LAST_ENTRY_DATE}")
    if "from" in errors or "to" in errors or date_from is None or date_to is None:
        return
    reversed_problem = reversed_range(date_from, date_to)
    if reversed_problem is not None:
        errors.add("to", reversed_problem)
    elif (date_to - date_from).days > MAX_REPORT_SPAN_DAYS:
        hint = "" if longer is None else f"; {longer}"
        errors.add(
            "to",
            f"must be at most {MAX_REPORT_SPAN_DAYS} days after from (latest: "
            f"{date_from + timedelta(days=MAX_REPORT_SPAN_DAYS)}){hint}",
        )


def _id_set(values: Iterable[UUID]) -> frozenset[UUID]:
    return frozenset(values)


def _ids(_instance: object, attribute: attrs.Attribute[frozenset[UUID]], value: frozenset[UUID]) -> None:
    if not all(isinstance(item, UUID) for item in value):
        raise ValueError(f"{attribute.name} must hold UUIDs")


@attrs.frozen
class ReportFilter:
    """Which entries a report counts.

    Each id set is a repeatable query parameter: an entry matches when its value is one of the
    set (an empty set does not filter). The filters combine with AND. An entry without a task
    (or whose project has no client) never matches a non-empty ``task_ids`` (``client_ids``).
    """

    user_ids: frozenset[UUID] = attrs.field(default=frozenset(), converter=_id_set, validator=_ids)
    project_ids: frozenset[UUID] = attrs.field(default=frozenset(), converter=_id_set, validator=_ids)
    task_ids: frozenset[UUID] = attrs.field(default=frozenset(), converter=_id_set, validator=_ids)
    client_ids: frozenset[UUID] = attrs.field(default=frozenset(), converter=_id_set, validator=_ids)
    billable: bool | None = None

    def matches(
        self, *, user_id: UUID, project_id: UUID, task_id: UUID | None, client_id: UUID | None, billable: bool
    ) -> bool:
        """Whether an entry with these values counts in the report."""
        return (
            (not self.user_ids or user_id in self.user_ids)
            and (not self.project_ids or project_id in self.project_ids)
            and (not self.task_ids or task_id in self.task_ids)
            and (not self.client_ids or client_id in self.client_ids)
            and (self.billable is None or billable is self.billable)
        )

    def check(self, errors: FieldErrors) -> None:
        """No repeatable filter lists more than :data:`MAX_FILTER_VALUES` ids."""
        for field, ids in (
            ("userId", self.user_ids),
            ("projectId", self.project_ids),
            ("taskId", self.task_ids),
            ("clientId", self.client_ids),
        ):
            if len(ids) > MAX_FILTER_VALUES:
                errors.add(field, f"may list at most {MAX_FILTER_VALUES} ids (got {len(ids)})")


@attrs.frozen
class ReportQuery:
    """A valid report request: the range, the levels, the week start, the rounding, the filter.

    An empty ``group_by`` asks for the totals alone (``groups`` is then empty).
    """

    date_from: date
    date_to: date
    group_by: tuple[GroupKey, ...]
    week_start: WeekStart
    rounding: Rounding | None = None
    entry_filter: ReportFilter = ReportFilter()

    @classmethod
    def parse(
        cls,
        *,
        date_from: date | None,
        date_to: date | None,
        group_by: str | None,
        week_start: str | None,
        rounding: str | None,
        default_week_start: WeekStart,
        entry_filter: ReportFilter | None = None,
    ) -> ReportQuery:
        """The query from the request's values, or one :class:`ValidationFailed` naming every bad field.

        ``week_start`` defaults to the organization's; ``group_by`` and ``rounding`` may be absent;
        ``date_from`` and ``date_to`` may not (``None`` is reported as missing).
        """
        errors = FieldErrors()
        check_report_range(date_from, date_to, errors, longer="export longer ranges")
        levels: tuple[GroupKey, ...] = ()
        if group_by is not None:
            levels, problem = _group_by_problem(group_by)
            if problem is not None:
                errors.add("groupBy", problem)
        start = default_week_start
        if week_start is not None:
            try:
                start = parse_week_start(week_start)
            except ValidationFailed as error:
                errors.add("weekStart", error.fields["weekStart"])
        parsed_rounding = None
        if rounding is not None:
            try:
                parsed_rounding = Rounding.parse(rounding)
            except ValidationFailed as error:
                errors.add("rounding", error.fields["rounding"])
        chosen = entry_filter if entry_filter is not None else ReportFilter()
        chosen.check(errors)
        errors.raise_if_any()
        assert date_from is not None and date_to is not None  # reported as missing otherwise
        return cls(date_from, date_to, levels, start, parsed_rounding, chosen)


@attrs.frozen(cache_hash=True)
class Labelled:
    """A named thing a report groups by (a user, client, project or task): its id and label."""

    id: str
    label: str


GroupValue: TypeAlias = date | bool | Labelled | None
"""A row's value for one level: a day for periods (any day of the period), a bool for
``billable``, a :class:`Labelled` for users, clients, projects and tasks (``None`` for no
client or no task)."""


def group_values(
    group_by: Sequence[GroupKey],
    *,
    entry_date: date,
    user: Labelled,
    project: Labelled,
    client: Labelled | None,
    task: Labelled | None,
    billable: bool,
) -> tuple[GroupValue, ...]:
    """One entry's values for the levels of ``group_by``, in order (for :meth:`ReportRow.for_entry`)."""
    by_key: dict[GroupKey, GroupValue] = {
        GroupKey.USER: user,
        GroupKey.PROJECT: project,
        GroupKey.CLIENT: client,
        GroupKey.TASK: task,
        GroupKey.BILLABLE: billable,
    }
    return tuple(entry_date if key.is_period else by_key[key] for key in group_by)


def _count(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value < 0:
        raise ValueError(f"{attribute.name} must be a non-negative int, got {value!r}")


def _row_currency(_instance: object, _attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and currency_problem(value) is not None:
        raise ValueError(f"currency {value!r}: {currency_problem(value)}")


@attrs.frozen
class ReportRow:
    """What the store returns per group: the group values and the sums over its entries.

    ``values`` has one :data:`GroupValue` per level of the report's ``group_by``. ``currency``
    is the currency of the entries' stored rate (``None``: the entries have no rate, and the
    amounts are 0). ``rounded_seconds`` is the sum of :func:`~hours_core.rounding.entry_seconds`
    (the raw seconds unless the rounding has the ``entry`` scope); the amounts are the sums of
    each entry's :func:`~hours_core.money.amount_minor` on those seconds, ``billable_minor``
    over billable entries only. Several rows may share values (one per currency, or because they
    are finer than the report's levels); :func:`build_report` adds them up.
    """

    values: tuple[GroupValue, ...]
    currency: str | None = attrs.field(validator=_row_currency)
    entry_count: int = attrs.field(validator=_count)
    duration_seconds: int = attrs.field(validator=_count)
    billable_seconds: int = attrs.field(validator=_count)
    rounded_seconds: int = attrs.field(validator=_count)
    billable_minor: int = attrs.field(default=0, validator=_count)
    cost_minor: int = attrs.field(default=0, validator=_count)

    def __attrs_post_init__(self) -> None:
        if self.entry_count == 0:
            raise ValueError("a report row counts at least one entry")
        if self.billable_seconds > self.duration_seconds:
            raise ValueError("billable_seconds exceeds duration_seconds")
        if self.currency is None and (self.billable_minor or self.cost_minor):
            raise ValueError("a row without a currency has no amounts")

    @classmethod
    def for_entry(
        cls,
        values: tuple[GroupValue, ...],
        *,
        duration_seconds: int,
        billable: bool,
        rate: HourlyRate | None,
        rounding: Rounding | None,
    ) -> ReportRow:
        """The row of one entry: for the in-memory store, running timers and reference checks."""
        seconds = entry_seconds(rounding, duration_seconds)
        return cls(
            values=values,
            currency=rate.currency if rate is not None else None,
            entry_count=1,
            duration_seconds=duration_seconds,
            billable_seconds=duration_seconds if billable else 0,
            rounded_seconds=seconds,
            billable_minor=rate.billable_amount(seconds) if rate is not None and billable else 0,
            cost_minor=rate.cost_amount(seconds) if rate is not None else 0,
        )


@attrs.frozen(cache_hash=True)
class NodeKey:
    """What a node groups: ``type`` is the level (or ``total``), ``id`` its value (``None`` for
    the totals and the null groups), ``label`` a name for people."""

    type: str
    id: str | None
    label: str


TOTAL_KEY = NodeKey("total", None, "Total")
"""The key of a report's totals."""


@attrs.frozen
class CurrencyAmount:
    """The amounts of a node in one currency, in minor units."""

    currency: str
    billable_minor: int
    cost_minor: int


@attrs.frozen
class Node:
    """One group of a report, or its totals. ``children`` is empty at the finest level."""

    key: NodeKey
    duration_seconds: int
    billable_seconds: int
    rounded_seconds: int
    entry_count: int
    amounts: tuple[CurrencyAmount, ...]
    children: tuple[Node, ...] = ()


@attrs.frozen
class Report:
    """A built report: the totals and the top-level groups (``running``: a timer was counted)."""

    totals: Node
    groups: tuple[Node, ...]
    running: bool = False


_SortKey: TypeAlias = tuple[int, str, str, str]


@attrs.frozen(cache_hash=True)
class _Level:
    key: NodeKey
    order: _SortKey


def _level(key: GroupKey, value: GroupValue, week_start: WeekStart) -> _Level:
    if key.is_period:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise TypeError(f"the {key.value} level needs a date, got {value!r}")
        start = period_start(key, value, week_start)
        name = period_id(key, start)
        return _Level(NodeKey(key.value, name, name), (0, start.isoformat(), "", ""))
    if key is GroupKey.BILLABLE:
        if not isinstance(value, bool):
            raise TypeError(f"the billable level needs a bool, got {value!r}")
        if value:
            return _Level(NodeKey(key.value, "true", "Billable"), (0, "", "", ""))
        return _Level(NodeKey(key.value, "false", "Non-billable"), (1, "", "", ""))
    if value is None:
        null_label = _NULL_LABELS.get(key)
        if null_label is None:
            raise ValueError(f"the {key.value} level has a value for every entry")
        return _Level(NodeKey(key.value, None, null_label), (0, caseless(null_label), null_label, ""))
    if not isinstance(value, Labelled):
        raise TypeError(f"the {key.value} level needs a Labelled, got {value!r}")
    order = (0, caseless(value.label), value.label, value.id)
    return _Level(NodeKey(key.value, value.id, value.label), order)


@attrs.define
class _Sums:
    entry_count: int = 0
    duration_seconds: int = 0
    billable_seconds: int = 0
    rounded_seconds: int = 0
    amounts: dict[str, list[int]] = attrs.Factory(dict)

    def add_row(self, row: ReportRow) -> None:
        self.entry_count += row.entry_count
        self.duration_seconds += row.duration_seconds
        self.billable_seconds += row.billable_seconds
        self.rounded_seconds += row.rounded_seconds
        if row.currency is not None:
            pair = self.amounts.setdefault(row.currency, [0, 0])
            pair[0] += row.billable_minor
            pair[1] += row.cost_minor

    def add_node(self, node: Node) -> None:
        self.entry_count += node.entry_count
        self.duration_seconds += node.duration_seconds
        self.billable_seconds += node.billable_seconds
        self.rounded_seconds += node.rounded_seconds
        for amount in node.amounts:
            pair = self.amounts.setdefault(amount.currency, [0, 0])
            pair[0] += amount.billable_minor
            pair[1] += amount.cost_minor

    def node(self, key: NodeKey, rounded_seconds: int, children: tuple[Node, ...] = ()) -> Node:
        return Node(
            key=key,
            duration_seconds=self.duration_seconds,
            billable_seconds=self.billable_seconds,
            rounded_seconds=rounded_seconds,
            entry_count=self.entry_count,
            amounts=tuple(
                CurrencyAmount(currency, billable, cost)
                for currency, (billable, cost) in sorted(self.amounts.items())
            ),
            children=children,
        )


def build_report(
    rows: Iterable[ReportRow],
    *,
    group_by: Sequence[GroupKey],
    week_start: WeekStart,
    rounding: Rounding | None,
    running: bool = False,
) -> Report:
    """The report tree of ``rows`` (see the module docstring and docs/reports.md).

    Rows are merged by their groups at every level; the finest groups get their
    ``rounded_seconds`` (the rounded sum with a ``group``-scope rounding, the rows' sum of
    entry-rounded seconds with an ``entry`` scope, the raw sum without rounding); every parent
    and the totals are the sums of their children. Within a level, periods sort
    chronologically, billable before non-billable, the others by label (case-insensitively,
    then exactly, then by id), a null group (no client, no task) by its label (``No client``)
    like any other.
    """
    levels = tuple(group_by)
    group_rounding = rounding if rounding is not None and not rounding.per_entry else None
    labels: dict[tuple[str, str], str] = {}
    # Many rows share a value (a report by project,user has a row per pair): each distinct value of
    # a level is made into its _Level, and its label checked, once.
    known_levels: list[dict[GroupValue, _Level]] = [{} for _ in levels]

    def level_of(depth: int, value: GroupValue) -> _Level:
        key = levels[depth]
        step = known_levels[depth][value] = _level(key, value, week_start)
        if step.key.id is not None:
            known = labels.setdefault((step.key.type, step.key.id), step.key.label)
            if known != step.key.label:
                raise ValueError(
                    f"{step.key.type} {step.key.id} has two labels: {known!r} and {step.key.label!r}"
                )
        return step

    # The tree of groups as nested dictionaries, level by level; a leaf holds the sums of its rows.
    tree: dict[_Level, Any] = {}
    totals_only = _Sums()
    last = len(levels) - 1
    for row in rows:
        if len(row.values) != len(levels):
            raise ValueError(f"a row has {len(row.values)} values for {len(levels)} levels")
        if (rounding is None or not rounding.per_entry) and row.rounded_seconds != row.duration_seconds:
            raise ValueError("without entry rounding, a row's rounded_seconds equals its duration_seconds")
        if not levels:
            totals_only.add_row(row)
            continue
        branch: Any = tree
        for depth, value in enumerate(row.values):
            step = known_levels[depth].get(value) or level_of(depth, value)
            below = branch.get(step)
            if below is None:
                below = branch[step] = _Sums() if depth == last else {}
            branch = below
        branch.add_row(row)

    def leaf_rounded(sums: _Sums) -> int:
        if group_rounding is not None:
            return group_rounding.round_seconds(sums.duration_seconds)
        return sums.rounded_seconds

    def subtree(depth: int, branch: dict[_Level, Any]) -> tuple[Node, ...]:
        nodes = []
        for level in sorted(branch, key=lambda item: item.order):
            if depth == last:
                leaf: _Sums = branch[level]
                nodes.append(leaf.node(level.key, leaf_rounded(leaf)))
                continue
            children = subtree(depth + 1, branch[level])
            sums = _Sums()
            for child in children:
                sums.add_node(child)
            nodes.append(sums.node(level.key, sums.rounded_seconds, children))
        return tuple(nodes)

    if not levels:
        return Report(
            totals=totals_only.node(TOTAL_KEY, leaf_rounded(totals_only)), groups=(), running=running
        )
    groups = subtree(0, tree)
    totals = _Sums()
    for group in groups:
        totals.add_node(group)
    return Report(totals=totals.node(TOTAL_KEY, totals.rounded_seconds), groups=groups, running=running)
