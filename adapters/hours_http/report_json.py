"""The body of ``GET /reports/time`` (:class:`~hours_http.wire.ReportEnvelope`), from the core's report.

A node's members are its attributes by the naming rule (``duration_seconds`` ->
``durationSeconds``), in the order of :class:`~hours_http.wire.ReportNodeOut`; ``children`` is left
out at the finest level and on the totals.
"""

from __future__ import annotations

from typing import Any

from hours_core.reports import CurrencyAmount, Node, ReportQuery
from hours_core.services import TimeReport
from hours_http.naming import json_name

__all__ = ["report_document"]

_SUMS = tuple(
    (name, json_name(name))
    for name in ("duration_seconds", "billable_seconds", "rounded_seconds", "entry_count")
)
_AMOUNTS = json_name("amounts")
_BILLABLE_MINOR = json_name("billable_minor")
_COST_MINOR = json_name("cost_minor")


def _amount(amount: CurrencyAmount) -> dict[str, Any]:
    return {
        "currency": amount.currency,
        _BILLABLE_MINOR: amount.billable_minor,
        _COST_MINOR: amount.cost_minor,
    }


def _node(node: Node, *, is_group: bool) -> dict[str, Any]:
    document: dict[str, Any] = {"key": {"type": node.key.type, "id": node.key.id, "label": node.key.label}}
    for name, member in _SUMS:
        document[member] = getattr(node, name)
    document[_AMOUNTS] = [_amount(amount) for amount in node.amounts]
    if is_group and node.children:
        document["children"] = [_node(child, is_group=True) for child in node.children]
    return document


def _meta(query: ReportQuery, *, running: bool) -> dict[str, Any]:
    return {
        "from": query.date_from,
        "to": query.date_to,
        "groupBy": [key.value for key in query.group_by],
        "weekStart": query.week_start.value,
        "rounding": None if query.rounding is None else str(query.rounding),
        "running": running,
    }


def report_document(result: TimeReport) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``data`` and the ``meta`` of the report's body."""
    report = result.report
    data = {
        "totals": _node(report.totals, is_group=False),
        "groups": [_node(group, is_group=True) for group in report.groups],
    }
    return data, _meta(result.query, running=report.running)
