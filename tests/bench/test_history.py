"""``bench.history``: the rows it gives an organization, read back through hours on every SQL store."""

import datetime as dt
import pathlib
from collections.abc import Iterator

import pytest

from bench.dataset import seed, settings_for
from bench.history import add_history
from bench.suite import postgres_schema
from hours_app.composition import build
from tests.postgres_url import require_postgres


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hours.db'}"
        return
    with postgres_schema(require_postgres()) as url:
        yield url


def test_the_history_is_rates_on_projects_of_their_own_and_closed_periods_far_from_the_runs(
    database_url: str,
) -> None:
    seeded = seed(database_url)
    add_history(seeded, rates=3, periods=2)
    application = build(settings_for(database_url))
    try:
        with application.store.unit_of_work(read_only=True) as uow:
            rates = uow.rates.list(seeded.org_id)
            periods = uow.periods.list(seeded.org_id)
            projects = {project.id for project in uow.projects.list(seeded.org_id)}
    finally:
        application.close()
    assert len(rates) == 3
    assert {rate.project_id for rate in rates} <= projects - {seeded.project_id}
    assert [(period.first_day, period.last_day) for period in periods] == [
        (dt.date(2000, 1, 1), dt.date(2000, 1, 2)),
        (dt.date(2000, 1, 4), dt.date(2000, 1, 5)),
    ]
