"""Rate resolution: which hourly rate applies to a time entry.

A rate applies to an entry when its target matches the entry: an org rate matches every entry; a
client rate, the entries of the client's projects; a project rate, the project's entries; a user
rate, the user's entries; a user-on-project rate, the user's entries on that project. Of the rates
that match and are in effect on the entry's date (``effective_from <= entry_date``):

1. the most specific scope wins: user_project > user > project > client > org;
2. within that scope, the latest ``effective_from`` wins;
3. a tie (two rates of one target from the same day: the API refuses a second one, see
   :func:`check_new_rate`, but an import may store both) goes to the later created (``created_at``,
   then ``id``).

Why a user's rate beats a project's: a rate that names a person is what that person bills or costs
wherever they work, and a project rate is the default for everyone on the project; the one rate
that should beat a person's rate on one project names both (user_project). This is Harvest's
"person rate unless the project overrides it for that person", with the override spelled out.

:func:`resolve` is the one implementation (pure, tested with hypothesis against a naive model in
``tests/unit/test_rate_resolution.py``); :class:`RateBook` indexes an organization's rates once for
resolving many entries (the bulk path, ``POST /rates/reapply``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import attrs

from hours_core.errors import Conflict
from hours_core.model import ClientId, Project, ProjectId, Rate, RateScope, StoredRate, TimeEntry, UserId

__all__ = ["RateBook", "check_new_rate", "entry_targets", "resolve"]

_Target = tuple[RateScope, ClientId | None, ProjectId | None, UserId | None]


def entry_targets(user_id: UserId, project_id: ProjectId, client_id: ClientId | None) -> tuple[_Target, ...]:
    """The targets (:attr:`~hours_core.model.Rate.target`) an entry of ``user_id`` on ``project_id``
    (of ``client_id``) matches, most specific first: a rate of any other target never applies to it
    (what :meth:`~hours_core.ports.RateRepository.matching` reads)."""
    targets: list[_Target] = [
        (RateScope.USER_PROJECT, None, project_id, user_id),
        (RateScope.USER, None, None, user_id),
        (RateScope.PROJECT, None, project_id, None),
    ]
    if client_id is not None:
        targets.append((RateScope.CLIENT, client_id, None, None))
    targets.append((RateScope.ORG, None, None, None))
    return tuple(targets)


def _order(rate: Rate) -> tuple[date, object, object]:
    return (rate.effective_from, rate.created_at, rate.id)


def resolve(
    rates: Iterable[Rate],
    *,
    user_id: UserId,
    project_id: ProjectId,
    client_id: ClientId | None,
    on: date,
) -> Rate | None:
    """The rate for an entry of ``user_id`` on ``project_id`` (of ``client_id``) dated ``on``, or
    ``None`` (the rules are in the module docstring)."""
    return RateBook(rates).resolve(user_id=user_id, project_id=project_id, client_id=client_id, on=on)


class RateBook:
    """An organization's rates indexed by target, each target's rates in effective order."""

    def __init__(self, rates: Iterable[Rate]) -> None:
        by_target: dict[_Target, list[Rate]] = defaultdict(list)
        for rate in rates:
            by_target[rate.target].append(rate)
        self._by_target: Mapping[_Target, Sequence[Rate]] = {
            target: sorted(listed, key=_order) for target, listed in by_target.items()
        }

    def __bool__(self) -> bool:
        return bool(self._by_target)

    def resolve(
        self, *, user_id: UserId, project_id: ProjectId, client_id: ClientId | None, on: date
    ) -> Rate | None:
        """The rate for an entry (see :func:`resolve`)."""
        for target in entry_targets(user_id, project_id, client_id):
            in_effect = [rate for rate in self._by_target.get(target, ()) if rate.effective_from <= on]
            if in_effect:
                return in_effect[-1]
        return None

    def stored_for(self, entry: TimeEntry, project: Project) -> StoredRate | None:
        """The rate ``entry`` (on ``project``) stores: the resolved one's snapshot, or ``None``."""
        rate = self.resolve(
            user_id=entry.user_id,
            project_id=entry.project_id,
            client_id=project.client_id,
            on=entry.entry_date,
        )
        return None if rate is None else rate.stored()

    def stamp(self, entries: Iterable[TimeEntry], projects: Mapping[ProjectId, Project]) -> list[TimeEntry]:
        """``entries`` each with the rate it resolves to stored (the bulk path: imports call this
        before ``TimeEntryRepository.add_many``)."""
        return [
            attrs.evolve(entry, rate=self.stored_for(entry, projects[entry.project_id])) for entry in entries
        ]


def check_new_rate(rate: Rate, existing: Iterable[Rate]) -> None:
    """Refuse (:class:`Conflict`) a second rate of one target from the same day: which one applies
    would depend on which was created last, which no one reading the list can tell."""
    for other in existing:
        if other.target == rate.target and other.effective_from == rate.effective_from:
            raise Conflict(
                f"A rate of this scope and target already takes effect on {rate.effective_from.isoformat()} "
                f"(rate {other.id}); delete it first, or pick another effectiveFrom."
            )
