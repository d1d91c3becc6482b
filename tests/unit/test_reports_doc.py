"""Every example in docs/reports.md marked ``<!-- check: ... -->`` is recomputed here."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from hours_core.money import HourlyRate, amount_minor, format_minor
from hours_core.reports import (
    GroupKey,
    Labelled,
    Node,
    ReportRow,
    WeekStart,
    build_report,
    group_values,
    parse_group_by,
    parse_week_start,
    period_id,
    period_start,
)
from hours_core.rounding import Rounding

DOC = Path(__file__).resolve().parents[2] / "docs" / "reports.md"
MARKER = re.compile(r"^<!-- check: (.+) -->$")


def checked_blocks() -> dict[str, list[str]]:
    """Each marker's name and the table or fenced block that follows it (without the fences)."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    blocks: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        marker = MARKER.match(line)
        if not marker:
            continue
        rest = lines[index + 1 :]
        if rest[0].startswith("```"):
            end = rest.index("```", 1)
            blocks[marker.group(1)] = rest[1:end]
        else:
            blocks[marker.group(1)] = [row for row in _until_blank(rest) if row.startswith("|")]
    return blocks


def _until_blank(lines: list[str]) -> list[str]:
    return lines[: lines.index("")] if "" in lines else lines


def table(name: str) -> list[dict[str, str]]:
    """The rows of the checked table ``name``, keyed by header."""
    header, _rule, *rows = checked_blocks()[name]

    def cells(row: str) -> list[str]:
        return [cell.strip() for cell in row.strip().strip("|").split("|")]

    return [dict(zip(cells(header), cells(row), strict=True)) for row in rows]


def test_the_doc_has_every_checked_example() -> None:
    names = set(checked_blocks())
    assert {"weeks", "rounding", "amounts", "entries", "sql up", "sql down", "sql nearest"} <= names
    assert {"sql amount", "sql week", "straddling entries", "straddling report"} <= names
    assert sum(name.startswith("report ") for name in names) == 2


def test_the_week_table_matches_the_period_rules() -> None:
    rows = table("weeks")
    assert len(rows) == 5
    for row in rows:
        day = date.fromisoformat(row["entryDate"])
        assert day.strftime("%A") == row["weekday"]
        for start, column in ((WeekStart.MONDAY, "week (monday)"), (WeekStart.SUNDAY, "week (sunday)")):
            assert period_id(GroupKey.WEEK, period_start(GroupKey.WEEK, day, start)) == row[column]
        assert period_id(GroupKey.MONTH, period_start(GroupKey.MONTH, day)) == row["month"]
        assert period_id(GroupKey.YEAR, period_start(GroupKey.YEAR, day)) == row["year"]


def test_the_rounding_table_matches_round_seconds() -> None:
    rows = table("rounding")
    assert len(rows) == 10
    for row in rows:
        for column in ("up:15", "down:15", "nearest:15", "nearest:6"):
            rounding = Rounding.parse(column + ":entry")
            assert rounding.round_seconds(int(row["seconds"])) == int(row[column]), (row, column)


def test_the_amount_table_matches_amount_minor_and_the_exact_value() -> None:
    rows = table("amounts")
    assert len(rows) == 9
    for row in rows:
        seconds, rate = int(row["seconds"]), int(row["rate (minor/hour)"])
        exact = Fraction(seconds * rate, 3600)
        written = row["exact value"]
        if written.endswith("…"):
            digits = written.removesuffix("…")
            shown = Fraction(Decimal(digits))
            assert 0 < exact - shown < Fraction(1, 10 ** len(digits.split(".")[1]))
        else:
            assert exact == Fraction(Decimal(written))
        assert amount_minor(seconds, rate) == int(row["amount (minor)"])
        assert format_minor(int(row["amount (minor)"]), row["currency"]) == row["written"]


def entry_rows(levels: tuple[GroupKey, ...], rounding: Rounding | None) -> list[ReportRow]:
    rows = []
    for entry in table("entries"):

        def named(kind: str, label: str) -> Labelled | None:
            return None if label == "–" else Labelled(f"{kind}-{label.lower()}", label)

        rate_text = entry["rate (billable / cost per hour)"]
        rate = None
        if rate_text != "–":
            currency, billable_rate, _slash, cost_rate = rate_text.split()
            rate = HourlyRate(int(billable_rate), int(cost_rate), currency)
        billable = entry["billable"] == "yes"
        user, project = named("u", entry["user"]), named("p", entry["project"])
        assert user is not None and project is not None
        values = group_values(
            levels,
            entry_date=date.fromisoformat(entry["entryDate"]),
            user=user,
            project=project,
            client=named("c", entry["client"]),
            task=named("t", entry["task"]),
            billable=billable,
        )
        seconds = int(entry["durationSeconds"])
        rows.append(
            ReportRow.for_entry(
                values, duration_seconds=seconds, billable=billable, rate=rate, rounding=rounding
            )
        )
    return rows


def wire(node: Node) -> dict[str, Any]:
    """The node as issue 13 spells it on the wire (the HTTP adapter's job, mirrored here)."""
    shaped: dict[str, Any] = {
        "key": {"type": node.key.type, "id": node.key.id, "label": node.key.label},
        "durationSeconds": node.duration_seconds,
        "billableSeconds": node.billable_seconds,
        "roundedSeconds": node.rounded_seconds,
        "entryCount": node.entry_count,
        "amounts": [
            {"currency": a.currency, "billableMinor": a.billable_minor, "costMinor": a.cost_minor}
            for a in node.amounts
        ],
    }
    if node.children:
        shaped["children"] = [wire(child) for child in node.children]
    return shaped


REPORTS = sorted(name for name in checked_blocks() if name.startswith("report "))


@pytest.mark.parametrize("name", REPORTS)
def test_each_worked_report_is_what_build_report_returns(name: str) -> None:
    parameters = dict(part.split("=", 1) for part in name.removeprefix("report ").split())
    levels = parse_group_by(parameters["groupBy"])
    rounding = Rounding.parse(parameters["rounding"])
    rows = entry_rows(levels, rounding)
    report = build_report(
        rows, group_by=levels, week_start=parse_week_start(parameters["weekStart"]), rounding=rounding
    )
    documented = json.loads("\n".join(checked_blocks()[name]))
    assert {"totals": wire(report.totals), "groups": [wire(g) for g in report.groups]} == documented


def flattened(report_nodes: tuple[Node, ...], above: str = "") -> list[tuple[str, int, int]]:
    """Each node as (its path of ids, joined by `` / ``, raw seconds, rounded seconds), parents first."""
    flat = []
    for node in report_nodes:
        path = f"{above}{node.key.id}"
        flat.append((path, node.duration_seconds, node.rounded_seconds))
        flat.extend(flattened(node.children, f"{path} / "))
    return flat


def test_the_straddling_week_is_what_build_report_returns() -> None:
    user, project = Labelled("u-ada", "Ada"), Labelled("p-website", "Website")
    rounding = Rounding.parse("up:60:group")
    documented = table("straddling report")
    for group_by in dict.fromkeys(row["groupBy"] for row in documented):
        levels = parse_group_by(group_by)
        rows = [
            ReportRow.for_entry(
                group_values(
                    levels,
                    entry_date=date.fromisoformat(entry["entryDate"]),
                    user=user,
                    project=project,
                    client=None,
                    task=None,
                    billable=True,
                ),
                duration_seconds=int(entry["durationSeconds"]),
                billable=True,
                rate=None,
                rounding=rounding,
            )
            for entry in table("straddling entries")
        ]
        report = build_report(rows, group_by=levels, week_start=WeekStart.MONDAY, rounding=rounding)
        totals = report.totals
        computed = [*flattened(report.groups), ("Total", totals.duration_seconds, totals.rounded_seconds)]
        assert computed == [
            (row["group"], int(row["durationSeconds"]), int(row["roundedSeconds"]))
            for row in documented
            if row["groupBy"] == group_by
        ], group_by


def sql(name: str) -> str:
    return " ".join(checked_blocks()[f"sql {name}"])


@pytest.mark.parametrize("mode", ["up", "down", "nearest"])
def test_the_sql_rounding_expressions_equal_round_seconds(mode: str) -> None:
    expression = sql(mode)
    with sqlite3.connect(":memory:") as db:
        for minutes in (1, 5, 6, 10, 12, 15, 30, 60):
            rounding = Rounding.parse(f"{mode}:{minutes}:entry")
            step = rounding.step_seconds
            for seconds in [*range(0, 3 * step + 2), 86_399, 86_400]:
                (value,) = db.execute(f"SELECT {expression}", {"seconds": seconds, "step": step}).fetchone()
                assert value == rounding.round_seconds(seconds), (mode, minutes, seconds)


def test_the_sql_amount_expression_equals_amount_minor() -> None:
    expression = sql("amount")
    with sqlite3.connect(":memory:") as db:
        cases = [(s, r) for s in (0, 1, 2, 3, 5, 7, 450, 900, 1349, 3599, 86_400) for r in (0, 1, 1800, 9050)]
        cases += [(seconds, 1800) for seconds in range(0, 40)] + [(86_400, 999_999_999)]
        for seconds, rate in cases:
            (value,) = db.execute(f"SELECT {expression}", {"seconds": seconds, "rate": rate}).fetchone()
            assert value == amount_minor(seconds, rate), (seconds, rate)


def test_the_sql_week_expression_equals_period_start() -> None:
    expression = sql("week")
    with sqlite3.connect(":memory:") as db:
        for week_start, first in ((WeekStart.MONDAY, 1), (WeekStart.SUNDAY, 0)):
            for offset in range(0, 800, 3):
                day = date(1999, 12, 20) + timedelta(days=offset)
                (value,) = db.execute(
                    f"SELECT {expression}", {"day": day.isoformat(), "first": first}
                ).fetchone()
                assert value == period_start(GroupKey.WEEK, day, week_start).isoformat()
