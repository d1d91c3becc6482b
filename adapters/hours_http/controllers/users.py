"""``/users``: the organization's team, and their tokens."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from hours_core.model import UserId
from hours_core.services import AddUser, Caller, ChangeUser, Services
from hours_http.body import PendingBody, StrictJson
from hours_http.controllers.account import TokenPrefix
from hours_http.converter import command_from, token_json, user_json
from hours_http.openapi import IdempotencyKeyHeader, Reason, documented
from hours_http.overrides import OverrideLockQuery, OverrideReasonQuery, override_of_query
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, json_response, look_up
from hours_http.wire import (
    CreateUserBody,
    TokenListEnvelope,
    UpdateUserBody,
    UserEnvelope,
    UserListEnvelope,
)

__all__ = ["UserController"]

_NO_USER = Reason(
    "not_found", "no such user in your organization (a `user_id` that is not a UUID matches no route)"
)
_MANAGERS_ONLY = Reason("forbidden", "members may not do this: owners and admins only")
_LAST_OWNER = Reason(
    "last_owner", "the user is the organization's last active owner; make another user an owner first"
)
_ROOM = "the plan holds no more active users; `requiredPlan` is the lowest with room (`team_members`)"


class UserController(Controller):
    """The team: everyone sees names and roles, owners and admins also emails, and manage the team."""

    path = "/users"
    opt = STRICT_QUERY
    tags = ["Organization and team"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", summary="List users", sync_to_thread=True, **documented())
    def list_users(
        self, caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Response[UserListEnvelope]:
        """Every user of your organization, deactivated ones included (`deactivatedAt`), oldest first.
        Any role; `email` is `null` unless you are an owner or admin.
        """
        users = services.team.list_users(caller)
        return json_response([user_json(user, with_email=caller.may_see_emails) for user in users])

    @post(
        "/",
        summary="Add a user",
        dto=StrictJson[CreateUserBody],
        return_dto=None,
        status_code=201,
        **documented(
            Reason("plan_required", _ROOM),
            Reason("forbidden", "members may not add users, and admins may not add owners"),
            "email_taken",
            body=True,
            idempotent=True,
            location="/users/{id}",
        ),
    )
    async def create_user(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[CreateUserBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[UserEnvelope]:
        """Owners and admins: add a user (`role` defaults to `member`; only owners add owners). The
        plan must hold one more active user: free and solo hold 1, studio 25, agency any number.
        The new user signs in with a token the operator mints (`hours tokens create`).
        """

        def create() -> dict[str, Any]:
            user = services.team.add_user(caller, command_from(data.decode(), AddUser))
            return user_json(user, with_email=True)

        return await writer(create, body=data, key=idempotency_key)

    @get("/{user_id:uuid}", summary="Get a user", **documented(_NO_USER))
    async def get_user(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
    ) -> Response[UserEnvelope]:
        """One user of your organization. Any role; `email` is `null` unless you are an owner or admin."""

        def read() -> Response[Any]:
            user = services.team.get_user(caller, UserId(user_id))
            return json_response(user_json(user, with_email=caller.may_see_emails))

        return await look_up(request, read)

    @patch(
        "/{user_id:uuid}",
        summary="Change a user",
        dto=StrictJson[UpdateUserBody],
        return_dto=None,
        **documented(
            Reason(
                "forbidden",
                "members may change only their own `name`; admins may not make a user an owner",
            ),
            _NO_USER,
            _LAST_OWNER,
            body=True,
            idempotent=True,
        ),
    )
    async def update_user(
        self,
        user_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[UpdateUserBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[UserEnvelope]:
        """Rename a user or change their `role`. Owners and admins change anyone (only owners promote to
        owner); a member may rename themselves. Demoting the last active owner is 409 `last_owner`.
        """

        def change() -> dict[str, Any]:
            command = command_from(data.decode(), ChangeUser)
            user = services.team.change_user(caller, UserId(user_id), command)
            return user_json(user, with_email=caller.may_see_emails)

        return await writer(change, body=data, key=idempotency_key)

    @post(
        "/{user_id:uuid}/deactivate",
        summary="Deactivate a user",
        status_code=200,
        **documented(
            Reason(
                "forbidden",
                "members may not do this: owners and admins only; only owners send `overrideLock`",
            ),
            _NO_USER,
            _LAST_OWNER,
            Reason("stale_update", "the user's running timer changed at the same moment; retry"),
            Reason(
                "entry_locked",
                "the user's running timer is on a closed day, and stopping it needs an owner's "
                "`overrideLock`; `lock` says which lock; nothing changed",
            ),
            Reason("validation_failed", "`overrideLock=true` without `reason`, or a `reason` without it"),
            idempotent=True,
        ),
    )
    async def deactivate_user(
        self,
        user_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        idempotency_key: IdempotencyKeyHeader = None,
        override_lock: OverrideLockQuery = None,
        reason: OverrideReasonQuery = None,
    ) -> Response[UserEnvelope]:
        """Owners and admins: the user's tokens stop working at once (401 on their next request), their
        running timer stops now, their time entries stay. Takes no body. A running timer on a closed
        day refuses the deactivation (409 `entry_locked`), as it refuses a stop; an owner may stop it
        through the lock with `?overrideLock=true&reason=...`. Deactivating a deactivated user changes
        nothing; the last active owner cannot be deactivated (409 `last_owner`).
        """

        def deactivate() -> dict[str, Any]:
            override = override_of_query(override_lock, reason)
            user = services.team.deactivate_user(caller, UserId(user_id), override=override)
            return user_json(user, with_email=True)

        return await writer(deactivate, key=idempotency_key)

    @post(
        "/{user_id:uuid}/reactivate",
        summary="Reactivate a user",
        status_code=200,
        **documented(Reason("plan_required", _ROOM), _MANAGERS_ONLY, _NO_USER, idempotent=True),
    )
    async def reactivate_user(
        self,
        user_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[UserEnvelope]:
        """Owners and admins: the user and their tokens (those neither expired nor revoked) work again.
        The plan must hold one more active user. Takes no body; reactivating an active user changes
        nothing.
        """

        def reactivate() -> dict[str, Any]:
            return user_json(services.team.reactivate_user(caller, UserId(user_id)), with_email=True)

        return await writer(reactivate, key=idempotency_key)

    @get(
        "/{user_id:uuid}/tokens",
        summary="List a user's tokens",
        sync_to_thread=True,
        **documented(_NO_USER, Reason("forbidden", "members may list only their own tokens")),
    )
    def list_user_tokens(
        self, user_id: FromPath[UUID], caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Response[TokenListEnvelope]:
        """A user's tokens, newest first, revoked and expired ones included: prefix, name, dates; never
        a secret. Owners and admins list anyone's; members their own.
        """
        tokens = services.team.list_user_tokens(caller, UserId(user_id))
        return json_response([token_json(token) for token in tokens])

    @delete(
        "/{user_id:uuid}/tokens/{prefix:str}",
        summary="Revoke a user's token",
        status_code=204,
        **documented(
            Reason(
                "not_found",
                "no such user in your organization, or the user has no token with this prefix",
            ),
            Reason("forbidden", "members may revoke only their own tokens"),
        ),
    )
    async def revoke_user_token(
        self,
        user_id: FromPath[UUID],
        prefix: TokenPrefix,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
    ) -> None:
        """Owners and admins revoke anyone's token, members their own; it stops working on the next
        request. Revoking a revoked token answers 204 again and keeps the first `revokedAt`.
        """

        def revoke() -> None:
            services.team.revoke_user_token(caller, UserId(user_id), prefix)

        await writer(revoke)
