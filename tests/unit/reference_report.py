"""A naive model of the report semantics, written from the text of issue 13, entry by entry.

It shares no code with ``hours_core.reports``, ``hours_core.rounding`` or ``hours_core.money``:
it rounds with ``math.ceil``/``math.floor`` on fractions, computes amounts with Python's
half-even ``round`` of an exact ``Fraction``, finds weeks by walking back day by day, and groups
by partitioning lists of entries. The property tests compare the real report with it.

A tree is plain data: ``{"key": (type, id, label), "duration_seconds", "billable_seconds",
"rounded_seconds", "entry_count", "amounts": [(currency, billable_minor, cost_minor)],
"children": [...]}``.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

Named = tuple[str, str]
"""(id, label)"""


@dataclass(frozen=True)
class Entry:
    entry_date: date
    user: Named
    project: Named
    client: Named | None
    task: Named | None
    billable: bool
    seconds: int
    rate: tuple[int, int, str] | None
    """(billable rate, cost rate, currency), in minor units an hour"""


@dataclass(frozen=True)
class Filter:
    user_ids: frozenset[str] = frozenset()
    project_ids: frozenset[str] = frozenset()
    task_ids: frozenset[str] = frozenset()
    client_ids: frozenset[str] = frozenset()
    billable: bool | None = None

    def keeps(self, entry: Entry) -> bool:
        checks = [
            (self.user_ids, entry.user[0]),
            (self.project_ids, entry.project[0]),
            (self.task_ids, entry.task[0] if entry.task else None),
            (self.client_ids, entry.client[0] if entry.client else None),
        ]
        for wanted, value in checks:
            if wanted and value not in wanted:
                return False
        return self.billable is None or entry.billable == self.billable


def reference_round(seconds: int, mode: str, minutes: int) -> int:
    """Round to a multiple of ``minutes`` minutes; ``nearest`` sends a tie up."""
    step = minutes * 60
    steps = Fraction(seconds, step)
    if mode == "up":
        return math.ceil(steps) * step
    if mode == "down":
        return math.floor(steps) * step
    return math.floor(steps + Fraction(1, 2)) * step


def reference_amount(seconds: int, rate: int) -> int:
    """``seconds x rate / 3600`` rounded half to even (``round`` of a Fraction is half-even)."""
    return round(Fraction(seconds * rate, 3600))


def first_day_of_week(day: date, week_start: str) -> date:
    wanted = "Monday" if week_start == "monday" else "Sunday"
    while day.strftime("%A") != wanted:
        day -= timedelta(days=1)
    return day


NO_VALUE_LABEL = {"client": "No client", "task": "No task"}


def level_key(entry: Entry, level: str, week_start: str) -> tuple[str, str | None, str]:
    day = entry.entry_date
    if level == "day":
        return ("day", day.isoformat(), day.isoformat())
    if level == "week":
        first = first_day_of_week(day, week_start).isoformat()
        return ("week", first, first)
    if level == "month":
        return ("month", day.isoformat()[:7], day.isoformat()[:7])
    if level == "year":
        return ("year", day.isoformat()[:4], day.isoformat()[:4])
    if level == "billable":
        return ("billable", "true", "Billable") if entry.billable else ("billable", "false", "Non-billable")
    named: Named | None = getattr(entry, level)
    if named is None:
        return (level, None, NO_VALUE_LABEL[level])
    return (level, named[0], named[1])


def level_order(key: tuple[str, str | None, str]) -> tuple[Any, ...]:
    level, key_id, label = key
    if level in ("day", "week", "month", "year"):
        return (0, key_id)
    if level == "billable":
        return (0 if key_id == "true" else 1,)
    return (
        0,
        unicodedata.normalize("NFC", unicodedata.normalize("NFC", label).casefold()),
        label,
        key_id or "",
    )


def entry_time(entry: Entry, rounding: tuple[str, int, str] | None) -> int:
    """The seconds an entry's amounts are computed on (and, with entry scope, its rounded time)."""
    if rounding is not None and rounding[2] == "entry":
        return reference_round(entry.seconds, rounding[0], rounding[1])
    return entry.seconds


def amounts_of(entries: list[Entry], rounding: tuple[str, int, str] | None) -> list[tuple[str, int, int]]:
    per_currency: dict[str, tuple[int, int]] = {}
    for entry in entries:
        if entry.rate is None:
            continue
        billable_rate, cost_rate, currency = entry.rate
        seconds = entry_time(entry, rounding)
        billable, cost = per_currency.get(currency, (0, 0))
        if entry.billable:
            billable += reference_amount(seconds, billable_rate)
        cost += reference_amount(seconds, cost_rate)
        per_currency[currency] = (billable, cost)
    return [(currency, *per_currency[currency]) for currency in sorted(per_currency)]


def node(
    key: tuple[str, str | None, str],
    entries: list[Entry],
    levels: list[str],
    week_start: str,
    rounding: tuple[str, int, str] | None,
) -> dict[str, Any]:
    children = (
        [
            node(child_key, child_entries, levels[1:], week_start, rounding)
            for child_key, child_entries in partition(entries, levels[0], week_start)
        ]
        if levels
        else []
    )
    if children:
        rounded = sum(child["rounded_seconds"] for child in children)
    elif rounding is not None and rounding[2] == "group":
        rounded = reference_round(sum(e.seconds for e in entries), rounding[0], rounding[1])
    else:
        rounded = sum(entry_time(e, rounding) for e in entries)
    return {
        "key": key,
        "duration_seconds": sum(e.seconds for e in entries),
        "billable_seconds": sum(e.seconds for e in entries if e.billable),
        "rounded_seconds": rounded,
        "entry_count": len(entries),
        "amounts": amounts_of(entries, rounding),
        "children": children,
    }


def partition(
    entries: list[Entry], level: str, week_start: str
) -> list[tuple[tuple[str, str | None, str], list[Entry]]]:
    groups: dict[tuple[str, str | None, str], list[Entry]] = {}
    for entry in entries:
        groups.setdefault(level_key(entry, level, week_start), []).append(entry)
    return sorted(groups.items(), key=lambda item: level_order(item[0]))


def reference_report(
    entries: list[Entry],
    levels: list[str],
    week_start: str,
    rounding: tuple[str, int, str] | None,
    entry_filter: Filter,
) -> dict[str, Any]:
    """``{"totals": tree, "groups": [tree, ...]}`` as issue 13 describes it."""
    kept = [entry for entry in entries if entry_filter.keeps(entry)]
    if not levels:
        totals = node(("total", None, "Total"), kept, [], week_start, rounding)
        return {"totals": totals, "groups": []}
    groups = [
        node(key, group, levels[1:], week_start, rounding)
        for key, group in partition(kept, levels[0], week_start)
    ]
    totals = node(("total", None, "Total"), kept, [], week_start, rounding)
    totals["rounded_seconds"] = sum(group["rounded_seconds"] for group in groups)
    return {"totals": totals, "groups": groups}
