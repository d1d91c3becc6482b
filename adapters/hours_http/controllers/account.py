"""``/me`` and ``/tokens``: the caller and their personal access tokens ("Settings -> API")."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from hours_core.services import Caller, Services
from hours_core.tokens import MAX_ACTIVE_TOKENS, PREFIX_PATTERN
from hours_http.body import PendingBody, StrictJson
from hours_http.converter import created_token_json, me_json, token_json
from hours_http.openapi import Reason, documented
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, json_response
from hours_http.wire import CreatedTokenEnvelope, CreateTokenBody, MeEnvelope, TokenListEnvelope

__all__ = ["MeController", "TokenController"]

TOKEN_PREFIX_PATTERN = f"^{PREFIX_PATTERN}$"
"""The documented shape of a token prefix.

Documentation only: a prefix of another shape is not refused as such, it names no token (404).
"""

TokenPrefix = Annotated[
    str,
    PathParameter(
        description=(
            "The token's public 12-character prefix, as `GET /tokens` lists it (any other string names "
            "no token: 404)."
        ),
        schema_extra={"pattern": TOKEN_PREFIX_PATTERN, "minLength": 12, "maxLength": 12},
    ),
]


class MeController(Controller):
    """Who is calling."""

    path = "/me"
    opt = STRICT_QUERY
    tags = ["Account"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", summary="Who am I", sync_to_thread=False, **documented())
    def me(self, caller: NamedDependency[Caller]) -> Response[MeEnvelope]:
        """You, your organization and its plan, and the token this request came with."""
        return json_response(me_json(caller))


class TokenController(Controller):
    """Your personal access tokens. The plaintext of a token is shown once, when it is created."""

    path = "/tokens"
    opt = STRICT_QUERY
    tags = ["Account"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", summary="List your tokens", sync_to_thread=True, **documented())
    def list_tokens(
        self, caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Response[TokenListEnvelope]:
        """Your tokens, newest first: prefix, name, created, expires, last used; never the secret."""
        return json_response([token_json(t) for t in services.account.list_tokens(caller)])

    @post(
        "/",
        summary="Create a token",
        dto=StrictJson[CreateTokenBody],
        return_dto=None,
        status_code=201,
        response_description="The new token, with its plaintext `token`: shown in this response only.",
        **documented(
            Reason("conflict", "the new token's random prefix is taken already (a 1 in 62^12 chance); retry"),
            Reason(
                "too_many_tokens",
                f"you hold {MAX_ACTIVE_TOKENS} active tokens (not revoked, not expired), the most a user "
                "may hold; revoke one first",
            ),
            body=True,
        ),
    )
    async def create_token(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[CreateTokenBody]],
    ) -> Response[CreatedTokenEnvelope]:
        """A new token for you, expiring after `expiresInDays` (default 90, at most 365). The plaintext
        `token` is in this response only: store it now. You may hold at most 50 active tokens (not
        revoked, not expired); the 51st is 422 `too_many_tokens` until you revoke one.

        It takes no `Idempotency-Key` (one sent is ignored), as `POST /imports` takes none: replaying
        it would mean storing the token's plaintext, which hours never does. A retry mints another
        token; revoke the one you lost.
        """

        def create() -> dict[str, Any]:
            body = data.decode()
            return created_token_json(services.account.mint_token(caller, body.name, body.expiresInDays))

        return await writer(create, body=data)

    @delete(
        "/{prefix:str}",
        summary="Revoke a token",
        status_code=204,
        **documented(Reason("not_found", "none of your tokens has this prefix")),
    )
    async def revoke_token(
        self,
        prefix: TokenPrefix,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
    ) -> None:
        """Revoke one of your tokens by its prefix; it stops working on the next request."""

        def revoke() -> None:
            services.account.revoke_token(caller, prefix)

        await writer(revoke)
