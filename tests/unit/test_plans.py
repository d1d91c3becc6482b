from __future__ import annotations

import pytest

from hours_core.errors import PlanRequired
from hours_core.model import Plan
from hours_core.plans import FEATURE_PLANS, Feature, allows, require


def test_plans_are_ordered_free_solo_studio_agency() -> None:
    assert [p.rank for p in (Plan.FREE, Plan.SOLO, Plan.STUDIO, Plan.AGENCY)] == [0, 1, 2, 3]
    assert Plan.AGENCY.includes(Plan.STUDIO) and not Plan.SOLO.includes(Plan.STUDIO)


def test_plans_compare_in_their_order_not_by_their_names() -> None:
    # A StrEnum compares as its string: "studio" > "agency". The plans compare by rank instead.
    assert Plan.FREE < Plan.SOLO < Plan.STUDIO < Plan.AGENCY
    assert Plan.AGENCY > Plan.STUDIO >= Plan.STUDIO > Plan.SOLO > Plan.FREE
    assert Plan.STUDIO <= Plan.AGENCY and not Plan.AGENCY <= Plan.STUDIO
    assert sorted([Plan.AGENCY, Plan.FREE, Plan.STUDIO, Plan.SOLO]) == list(Plan)
    assert max(Plan) is Plan.AGENCY and min(Plan) is Plan.FREE
    assert Plan.STUDIO < "agency" and Plan.AGENCY > "studio"  # a plan's name counts as the plan


def test_require_takes_a_plan_and_a_feature_by_name() -> None:
    with pytest.raises(PlanRequired) as raised:
        require("free", "billable_time")
    assert (raised.value.required_plan, raised.value.feature) == ("solo", "billable_time")
    require("agency", "tasks")
    assert allows("studio", "team_entries") and not allows("solo", "team_entries")
    with pytest.raises(ValueError, match="days"):
        require(Plan.AGENCY, "days")


@pytest.mark.parametrize(
    ("feature", "lowest"),
    [
        (Feature.BILLABLE_RATES, Plan.SOLO),
        (Feature.BILLABLE_TIME, Plan.SOLO),
        (Feature.ROUNDING, Plan.SOLO),
        (Feature.TASKS, Plan.STUDIO),
        (Feature.TEAM_ENTRIES, Plan.STUDIO),
        (Feature.UNLIMITED_PROJECTS, Plan.SOLO),
    ],
)
def test_each_feature_needs_its_lowest_plan_and_every_plan_above(feature: Feature, lowest: Plan) -> None:
    assert FEATURE_PLANS[feature] is lowest
    for plan in Plan:
        assert allows(plan, feature) == (plan.rank >= lowest.rank)


def test_require_names_the_plan_and_the_feature() -> None:
    with pytest.raises(PlanRequired) as raised:
        require(Plan.SOLO, Feature.TASKS)
    assert (raised.value.required_plan, raised.value.feature) == ("studio", "tasks")
    require(Plan.STUDIO, Feature.TASKS)
