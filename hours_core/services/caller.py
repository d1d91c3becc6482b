"""Who is making a request, and the checks on what they may do."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from hours_core.errors import Forbidden
from hours_core.events import Actor, Via
from hours_core.model import Org, OrgId, User, UserId
from hours_core.plans import Feature, require
from hours_core.tokens import ApiToken

__all__ = ["Caller", "allowed_after_existence"]


@attrs.frozen
class Caller:
    """An authenticated user acting in their organization, through ``token`` when it came over the API.

    ``via`` and ``request_id`` say where the request came from (the adapter's own id of it, such as
    HTTP's ``X-Request-Id``); the events of its changes record both.
    """

    user: User
    org: Org
    token: ApiToken | None = None
    via: Via = Via.API
    request_id: str | None = None

    @property
    def actor(self) -> Actor:
        """The caller as the events of their changes name them."""
        return Actor(
            user_id=self.user.id, token_prefix=None if self.token is None else self.token.prefix, via=self.via
        )

    @property
    def org_id(self) -> OrgId:
        """The caller's organization id: the tenant of every lookup."""
        return self.org.id

    @property
    def user_id(self) -> UserId:
        """The caller's user id."""
        return self.user.id

    @property
    def may_see_emails(self) -> bool:
        """Owners and admins see the team's emails; members see names and roles only."""
        return self.user.role.manages_org

    def require_manager(self, action: str) -> None:
        """Raise :class:`Forbidden` unless the caller is an owner or admin."""
        if not self.user.role.manages_org:
            raise Forbidden(f"Only owners and admins may {action}.")

    def require_feature(self, feature: Feature) -> None:
        """Raise :class:`~hours_core.errors.PlanRequired` unless the org's plan includes ``feature``."""
        require(self.org.plan, feature)


def allowed_after_existence(check: Callable[[], None], look_up: Callable[[], object]) -> None:
    """Run ``check`` (the role check, and any plan check, of a resource named by id); when the role
    refuses the caller, ``look_up`` the resource first, which raises
    :class:`~hours_core.errors.NotFound` for one that is not there, another organization's included:
    that is 404 whoever asks, as the order of checks puts existence before the role. So a member of
    another organization gets 404 for a webhook, a rate, an invoice or an import, never 403 (a plan
    refusal is answered as before); a caller who passes ``check`` costs no extra read."""
    try:
        check()
    except Forbidden:
        look_up()
        raise
