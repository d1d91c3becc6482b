"""The web app's pages, one module per area; :func:`page` and :func:`call` are what they share."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import anyio.to_thread
from litestar.di import NamedDependency
from litestar.response import Template

from hours_core.errors import ValidationFailed
from hours_core.services import Services, SessionCaller

__all__ = ["Deps", "Who", "call", "chosen_id", "page"]

Deps = NamedDependency[Services]
"""A handler's parameter that receives the use cases (the app's ``services`` dependency)."""

Who = NamedDependency[SessionCaller]
"""A handler's parameter that receives the signed-in caller (the ``who`` dependency: no session,
no page; a POST without the session's CSRF token, refused)."""

T = TypeVar("T")


async def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one use case in a worker thread (a store may wait on disk, a lock or the network)."""
    return await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs))


def page(name: str, who: SessionCaller | None, *, status_code: int = 200, **context: Any) -> Template:
    """The template ``name`` with the signed-in caller, their CSRF token and ``context``."""
    return Template(
        name,
        context={
            "who": who,
            "csrf": None if who is None else who.session.csrf_token,
            "manages": who is not None and who.caller.user.role.manages_org,
            **context,
        },
        status_code=status_code,
    )


def chosen_id(text: str | None, field: str) -> UUID | None:
    """The id a form's select (or hidden field) sent for ``field`` (a core field name such as
    ``task_id``): ``None`` for nothing chosen (left out or empty), :class:`ValidationFailed` on
    ``field`` for text that is no id, which no option of ours sends. Refusing it, rather than
    reading it as "nothing chosen", keeps a stale or forged form from doing something else
    than it says (starting a timer without the task it names)."""
    if not text:
        return None
    try:
        return UUID(text)
    except ValueError as error:
        raise ValidationFailed.one(field, "is not one of the choices: choose from the list") from error
