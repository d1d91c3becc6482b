"""Plan gates: which plan each feature needs.

The plans are ordered free < solo < studio < agency. A feature is available on its lowest plan
and every plan above it.
"""

from __future__ import annotations

import enum
from types import MappingProxyType

from hours_core.errors import PlanRequired
from hours_core.model import Plan

__all__ = ["FEATURE_PLANS", "FREE_PLAN_ACTIVE_PROJECTS", "Feature", "allows", "require", "required_plan"]


class Feature(enum.StrEnum):
    """A capability that some plans lack."""

    BILLABLE_TIME = "billable_time"
    """Marking time as billable."""
    TASKS = "tasks"
    """Logging time against tasks."""
    TEAM_ENTRIES = "team_entries"
    """Logging time for another user of the organization."""
    UNLIMITED_PROJECTS = "unlimited_projects"
    """More than :data:`FREE_PLAN_ACTIVE_PROJECTS` active projects."""


FEATURE_PLANS = MappingProxyType(
    {
        Feature.BILLABLE_TIME: Plan.SOLO,
        Feature.TASKS: Plan.STUDIO,
        Feature.TEAM_ENTRIES: Plan.STUDIO,
        Feature.UNLIMITED_PROJECTS: Plan.SOLO,
    }
)
"""The lowest plan that includes each feature."""

FREE_PLAN_ACTIVE_PROJECTS = 3
"""How many active (not archived) projects the free plan holds."""


def required_plan(feature: Feature) -> Plan:
    """The lowest plan that includes ``feature``."""
    return FEATURE_PLANS[feature]


def allows(plan: Plan, feature: Feature) -> bool:
    """Whether ``plan`` includes ``feature``."""
    return plan.includes(required_plan(feature))


def require(plan: Plan, feature: Feature) -> None:
    """Raise :class:`PlanRequired` naming the lowest plan with ``feature`` unless ``plan`` includes it."""
    if not allows(plan, feature):
        raise PlanRequired(required_plan(feature).value, feature.value)
