from __future__ import annotations

import pytest

from hours_core.errors import PlanRequired
from hours_core.model import Plan
from hours_core.plans import FEATURE_PLANS, Feature, allows, require


def test_plans_are_ordered_free_solo_studio_agency() -> None:
    assert [p.rank for p in (Plan.FREE, Plan.SOLO, Plan.STUDIO, Plan.AGENCY)] == [0, 1, 2, 3]
    assert Plan.AGENCY.includes(Plan.STUDIO) and not Plan.SOLO.includes(Plan.STUDIO)


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
