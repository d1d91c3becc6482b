"""Rate resolution (``hours_core.rates``) against a naive model of the rule, with hypothesis."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.errors import Conflict
from hours_core.model import ClientId, OrgId, ProjectId, Rate, RateId, RateScope, UserId
from hours_core.rates import RateBook, check_new_rate, resolve

ORG = OrgId(uuid.UUID(int=1))
USERS = [UserId(uuid.UUID(int=10 + n)) for n in range(2)]
PROJECTS = [ProjectId(uuid.UUID(int=20 + n)) for n in range(2)]
CLIENTS = [ClientId(uuid.UUID(int=30 + n)) for n in range(2)]
DAY0 = date(2026, 1, 1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def rates(draw: st.DrawFn) -> Rate:
    scope = draw(st.sampled_from(RateScope))
    user = draw(st.sampled_from(USERS)) if scope in (RateScope.USER, RateScope.USER_PROJECT) else None
    project = (
        draw(st.sampled_from(PROJECTS)) if scope in (RateScope.PROJECT, RateScope.USER_PROJECT) else None
    )
    client = draw(st.sampled_from(CLIENTS)) if scope is RateScope.CLIENT else None
    return Rate(
        id=RateId(uuid.UUID(int=draw(st.integers(1000, 10**6)))),
        org_id=ORG,
        scope=scope,
        client_id=client,
        project_id=project,
        user_id=user,
        billable_rate_minor=draw(st.integers(0, 10**6)),
        cost_rate_minor=None,
        currency="EUR",
        effective_from=DAY0 + timedelta(days=draw(st.integers(0, 20))),
        created_at=T0 + timedelta(seconds=draw(st.integers(0, 3))),
    )


def naive(
    all_rates: list[Rate], user: UserId, project: ProjectId, client: ClientId | None, on: date
) -> Rate | None:
    """The rule read literally: of the rates that match the entry and are in effect on its day, the
    greatest by (scope specificity, effective date, creation time, id)."""

    def matches(rate: Rate) -> bool:
        return (
            (rate.client_id is None or rate.client_id == client)
            and (rate.project_id is None or rate.project_id == project)
            and (rate.user_id is None or rate.user_id == user)
        )

    candidates = [rate for rate in all_rates if matches(rate) and rate.effective_from <= on]
    order = [RateScope.ORG, RateScope.CLIENT, RateScope.PROJECT, RateScope.USER, RateScope.USER_PROJECT]
    return max(
        candidates,
        key=lambda r: (order.index(r.scope), r.effective_from, r.created_at, r.id),
        default=None,
    )


@given(
    all_rates=st.lists(rates(), max_size=25, unique_by=lambda rate: rate.id),
    user=st.sampled_from(USERS),
    project=st.sampled_from(PROJECTS),
    client=st.sampled_from([None, *CLIENTS]),
    offset=st.integers(-2, 25),
)
def test_resolution_matches_the_naive_model(
    all_rates: list[Rate], user: UserId, project: ProjectId, client: ClientId | None, offset: int
) -> None:
    on = DAY0 + timedelta(days=offset)
    expected = naive(all_rates, user, project, client, on)
    assert resolve(all_rates, user_id=user, project_id=project, client_id=client, on=on) == expected
    book = RateBook(reversed(all_rates))  # the order rates come in does not matter
    assert book.resolve(user_id=user, project_id=project, client_id=client, on=on) == expected


def rate(scope: RateScope, day: int, **targets: uuid.UUID) -> Rate:
    return Rate(
        id=RateId(uuid.uuid4()),
        org_id=ORG,
        scope=scope,
        client_id=targets.get("client"),  # type: ignore[arg-type]
        project_id=targets.get("project"),  # type: ignore[arg-type]
        user_id=targets.get("user"),  # type: ignore[arg-type]
        billable_rate_minor=day,
        cost_rate_minor=None,
        currency="EUR",
        effective_from=DAY0 + timedelta(days=day),
        created_at=T0,
    )


def test_the_most_specific_scope_wins_even_when_older() -> None:
    org = rate(RateScope.ORG, 5)
    client = rate(RateScope.CLIENT, 4, client=CLIENTS[0])
    project = rate(RateScope.PROJECT, 3, project=PROJECTS[0])
    user = rate(RateScope.USER, 2, user=USERS[0])
    both = rate(RateScope.USER_PROJECT, 1, user=USERS[0], project=PROJECTS[0])
    everything = [org, client, project, user, both]
    on = DAY0 + timedelta(days=10)

    def pick(found: list[Rate], **entry: object) -> Rate | None:
        return resolve(found, on=on, **entry)  # type: ignore[arg-type]

    entry = {"user_id": USERS[0], "project_id": PROJECTS[0], "client_id": CLIENTS[0]}
    assert pick(everything, **entry) == both
    assert pick(everything[:4], **entry) == user
    assert pick(everything[:3], **entry) == project
    assert pick(everything[:2], **entry) == client
    assert pick(everything[:2], **(entry | {"client_id": None})) == org
    assert pick(everything, **(entry | {"user_id": USERS[1], "project_id": PROJECTS[1]})) == client


@example(day=0)
@given(day=st.integers(-1, 3))
def test_the_latest_rate_in_effect_on_the_entry_date_wins(day: int) -> None:
    first, second = rate(RateScope.ORG, 0), rate(RateScope.ORG, 2)
    found = resolve(
        [second, first],
        user_id=USERS[0],
        project_id=PROJECTS[0],
        client_id=None,
        on=DAY0 + timedelta(days=day),
    )
    assert found == (None if day < 0 else first if day < 2 else second)


def test_a_second_rate_of_one_target_from_the_same_day_is_a_conflict() -> None:
    first = rate(RateScope.USER, 1, user=USERS[0])
    check_new_rate(rate(RateScope.USER, 2, user=USERS[0]), [first])
    check_new_rate(rate(RateScope.USER, 1, user=USERS[1]), [first])
    with pytest.raises(Conflict):
        check_new_rate(rate(RateScope.USER, 1, user=USERS[0]), [first])
