"""Plan gates: which plan each feature needs.

The plans are ordered free < solo < studio < agency. A feature is available on its lowest plan
and every plan above it.
"""

from __future__ import annotations

import enum
from types import MappingProxyType

from hours_core.errors import PlanRequired
from hours_core.model import Plan

__all__ = [
    "FEATURE_PLANS",
    "FREE_PLAN_ACTIVE_PROJECTS",
    "USER_LIMITS",
    "Feature",
    "allows",
    "plan_with_room_for_users",
    "require",
    "require_room_for_users",
    "required_plan",
]


class Feature(enum.StrEnum):
    """A capability that some plans lack."""

    BILLABLE_TIME = "billable_time"
    """Marking time as billable."""
    BILLABLE_RATES = "billable_rates"
    """Hourly rates (``/rates``), the rate an entry stores, and amounts in reports."""
    ROUNDING = "rounding"
    """Rounding the time of reports (``rounding=up:15:entry``)."""
    TASKS = "tasks"
    """Logging time against tasks."""
    TEAM_ENTRIES = "team_entries"
    """Logging time for another user of the organization."""
    TEAM_MEMBERS = "team_members"
    """More active users than the plan holds (:data:`USER_LIMITS`)."""
    UNLIMITED_PROJECTS = "unlimited_projects"
    """More than :data:`FREE_PLAN_ACTIVE_PROJECTS` active projects."""
    WEBHOOKS = "webhooks"
    """Signed webhooks (``/webhooks``)."""
    AUDIT_LOG = "audit_log"
    """The organization's audit trail (``GET /audit-events``)."""
    APPROVALS = "approvals"
    """Timesheets: submitting a user's week for approval, which locks its entries (``/timesheets``)."""
    PERIOD_LOCKS = "period_locks"
    """Closing periods (``POST /periods/lock``) and the rolling rule (``lockPolicy``)."""


FEATURE_PLANS = MappingProxyType(
    {
        Feature.BILLABLE_TIME: Plan.SOLO,
        Feature.BILLABLE_RATES: Plan.SOLO,
        Feature.ROUNDING: Plan.SOLO,
        Feature.TASKS: Plan.STUDIO,
        Feature.TEAM_ENTRIES: Plan.STUDIO,
        Feature.TEAM_MEMBERS: Plan.STUDIO,
        Feature.UNLIMITED_PROJECTS: Plan.SOLO,
        Feature.WEBHOOKS: Plan.STUDIO,
        Feature.AUDIT_LOG: Plan.STUDIO,
        Feature.APPROVALS: Plan.AGENCY,
        Feature.PERIOD_LOCKS: Plan.STUDIO,
    }
)
"""The lowest plan that includes each feature (``team_members``: the lowest with room for a second
user; past 25 users it is agency, see :func:`plan_with_room_for_users`)."""

FREE_PLAN_ACTIVE_PROJECTS = 3
"""How many active (not archived) projects the free plan holds."""

USER_LIMITS = MappingProxyType(
    {
        Plan.FREE: 1,
        Plan.SOLO: 1,
        Plan.STUDIO: 25,
        Plan.AGENCY: None,
    }
)
"""How many active (not deactivated) users each plan holds; ``None``: no limit. The limits bind the
API (adding or reactivating a user); the operator's commands are not limited."""


def required_plan(feature: Feature | str) -> Plan:
    """The lowest plan that includes ``feature`` (a :class:`Feature` or its name, such as ``"tasks"``;
    another name is a ``ValueError``)."""
    return FEATURE_PLANS[Feature(feature)]


_INCLUDED = frozenset(
    (plan, feature) for feature, lowest in FEATURE_PLANS.items() for plan in Plan if plan.includes(lowest)
)
"""Every pair of a plan and a feature it includes: the answer of :func:`allows` in one set lookup
(it runs on every write that a plan gates; an import runs it per row). A name is looked up as its
member: a ``StrEnum`` member hashes and compares as its value."""


def allows(plan: Plan | str, feature: Feature | str) -> bool:
    """Whether ``plan`` (a :class:`Plan` or its name) includes ``feature`` (see :func:`required_plan`)."""
    if (plan, feature) in _INCLUDED:
        return True
    return Plan(plan).includes(required_plan(feature))  # False, or a ``ValueError`` for an unknown name


def require(plan: Plan | str, feature: Feature | str) -> None:
    """Raise :class:`PlanRequired` naming the lowest plan with ``feature`` unless ``plan`` includes it
    (either given as its enum member or its name: ``require("free", "billable_time")``)."""
    if not allows(plan, feature):
        raise PlanRequired(required_plan(feature).value, Feature(feature).value)


def plan_with_room_for_users(count: int) -> Plan:
    """The lowest plan that holds ``count`` active users."""
    for plan in Plan:
        limit = USER_LIMITS[plan]
        if limit is None or count <= limit:
            return plan
    raise AssertionError("the highest plan holds any number of users")  # pragma: no cover


def require_room_for_users(plan: Plan, count: int) -> None:
    """Raise :class:`PlanRequired` (feature ``team_members``, the lowest plan with room) unless
    ``plan`` holds ``count`` active users."""
    limit = USER_LIMITS[plan]
    if limit is None or count <= limit:
        return
    needed = plan_with_room_for_users(count)
    held = "1 user" if limit == 1 else f"{limit} users"
    raise PlanRequired(
        needed.value,
        Feature.TEAM_MEMBERS.value,
        f"The {plan.value} plan holds {held}; {count} need the {needed.value} plan or higher. "
        "Upgrade, or deactivate a user first.",
    )
