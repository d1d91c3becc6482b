"""``/app/settings``: the caller's API tokens, and the organization's clients, projects and tasks."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import attrs
from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect, Template

from hours_core.errors import HoursError, Unauthenticated, ValidationFailed
from hours_core.model import Client, ClientId, Project, ProjectId, Task, TaskId
from hours_core.services import ChangeClient, ChangeProject, ChangeTask, Services, SessionCaller
from hours_core.tokens import MintedToken, parse_token
from hours_web.notices import Notice, notice_of, status_of
from hours_web.pages import Deps, Who, call, checked, chosen_id, page, whole_number
from hours_web.session import APP_PATH, cookie_is_secure, form_of, signed, unsigned

__all__ = ["NEW_TOKEN_COOKIE", "ApiTokenPages", "ProjectPages", "new_token_cookie"]


NEW_TOKEN_COOKIE = "hours_new_token"
"""The one-time flash of a new token's plaintext, from the create form's POST to the page its 303
leads to (see :func:`new_token_cookie`)."""
_TOKENS_PATH = f"{APP_PATH}/settings/api"
_FLASH_SECONDS = 300


def new_token_cookie(request: Request[Any, Any, Any], value: str) -> Cookie:
    """The flash cookie holding ``value``, or (``""``) one that deletes it.

    Post/redirect/get: the create form's POST answers 303, so a reload does not mint another token,
    and the plaintext rides to the next GET in this cookie, which that GET shows and deletes. It is
    a cookie, not a field of the session row, so that the GET may land on another server process
    without a change to the store; ``HttpOnly``, ``SameSite=Strict``, ``Secure`` by the session
    cookie's rule, scoped to Settings -> API, five minutes at most, deleted on sign-out. It holds no
    more power than the session cookie beside it, which can mint a token itself.
    """
    return Cookie(
        key=NEW_TOKEN_COOKIE,
        value=value,
        path=_TOKENS_PATH,
        max_age=_FLASH_SECONDS if value else 0,
        secure=cookie_is_secure(request),
        httponly=True,
        samesite="strict",
    )


def _flashed(services: Services, who: SessionCaller, value: str | None) -> MintedToken | None:
    """The new token a flash cookie carries, if it is this session's and names a live token of the
    caller's; ``None`` otherwise."""
    plaintext = unsigned(who, value)  # this session's only
    if plaintext is None:
        return None
    try:
        presented = parse_token(plaintext)
    except Unauthenticated:
        return None
    for token in services.account.list_tokens(who.caller):
        if token.prefix == presented.prefix:
            try:
                token.verify(presented, env=token.env, now=services.clock.now())
            except Unauthenticated:
                return None
            return MintedToken(plaintext=plaintext, token=token)
    return None


async def _tokens_page(
    services: Services,
    who: SessionCaller,
    *,
    minted: MintedToken | None = None,
    typed: dict[str, str] | None = None,
    notice: Notice | None = None,
    status_code: int = 200,
) -> Template:
    """Settings -> API; ``typed`` is what a refused create form held, shown again."""
    tokens = await call(services.account.list_tokens, who.caller)
    return page(
        "api_tokens.html",
        who,
        section="api",
        tokens=tokens,
        minted=minted,
        typed=typed or {},
        notice=notice,
        now=services.clock.now(),
        status_code=status_code,
    )


class ApiTokenPages(Controller):
    """Settings -> API: the caller's personal access tokens (the use cases of ``/tokens``)."""

    path = _TOKENS_PATH
    include_in_schema = False

    @get("/")
    async def tokens(self, request: Request[Any, Any, Any], services: Deps, who: Who) -> Template:
        """The caller's tokens: name, prefix, last use, expiry; and, once, a new token's plaintext."""
        flash = request.cookies.get(NEW_TOKEN_COOKIE)
        minted = await call(_flashed, services, who, flash)
        response = await _tokens_page(services, who, minted=minted)
        if flash is not None:
            response.cookies.append(new_token_cookie(request, ""))
        return response

    @post("/")
    async def create(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
    ) -> Template | Redirect:
        """Mint a token, then 303 to the list, which shows its plaintext this once."""
        form = await form_of(request)
        try:
            days = whole_number(
                form.get("expires_in_days"),
                "expires_in_days",
                "must be a whole number of days (digits 0 to 9)",
            )
            minted = await call(services.account.mint_token, who.caller, form.get("name", ""), days)
        except HoursError as failure:
            return await _tokens_page(
                services, who, typed=form, notice=notice_of(failure), status_code=status_of(failure)
            )
        redirect = Redirect(_TOKENS_PATH, status_code=303)
        redirect.cookies.append(new_token_cookie(request, signed(who, minted.plaintext)))
        return redirect

    @post("/{prefix:str}/revoke")
    async def revoke(self, services: Deps, who: Who, prefix: FromPath[str]) -> Redirect:
        """Revoke one of the caller's tokens: the API refuses it from the next request on."""
        await call(services.account.revoke_token, who.caller, prefix)
        return Redirect(_TOKENS_PATH, status_code=303)


def _catalog(
    services: Services, who: SessionCaller
) -> tuple[list[Client], list[Project], dict[ProjectId, list[Task]]]:
    clients = list(services.clients.list_clients(who.caller))
    projects = list(services.projects.list_projects(who.caller))
    return (
        clients,
        projects,
        {project.id: list(services.projects.list_tasks(who.caller, project.id)) for project in projects},
    )


async def _projects_page(
    services: Services,
    who: SessionCaller,
    *,
    typed: Typed | None = None,
    notice: Notice | None = None,
    status_code: int = 200,
) -> Template:
    """The clients, projects and tasks; ``typed`` is a refused create form and what it held, which
    that form shows again (the others are blank)."""
    clients, projects, tasks = await call(_catalog, services, who)
    return page(
        "projects.html",
        who,
        section="projects",
        clients=clients,
        client_names={client.id: client.name for client in clients},
        projects=projects,
        tasks=tasks,
        typed_form=None if typed is None else typed.form,
        typed={} if typed is None else typed.values,
        notice=notice,
        status_code=status_code,
    )


@attrs.frozen
class Typed:
    """A create form that was refused: which one (``project``, ``client``, ``task:<project id>``)
    and the values it sent, so the page gives them back rather than blank inputs."""

    form: str
    values: dict[str, str]


_ARCHIVED_CHOICES = {"1": True, "0": False}
"""What an archive form's ``archived`` may say: ``1`` archives, ``0`` unarchives."""


async def _archived_of(request: Request[Any, Any, Any]) -> bool:
    """What an archive form asks: ``archived=1`` archives, ``archived=0`` unarchives;
    :class:`ValidationFailed` on ``archived`` for anything else (left out included), which no form of
    ours sends: it is not read as one of the two."""
    choice = _ARCHIVED_CHOICES.get((await form_of(request)).get("archived", ""))
    if choice is None:
        raise ValidationFailed.one("archived", "must be 1 (archive) or 0 (unarchive)")
    return choice


async def _refused(
    services: Services, who: SessionCaller, failure: HoursError, typed: Typed | None = None
) -> Template:
    """The projects page saying why a form was refused, with the refusal's status (and, for a
    create form, what it held)."""
    return await _projects_page(
        services, who, typed=typed, notice=notice_of(failure), status_code=status_of(failure)
    )


class ProjectPages(Controller):
    """Clients, projects and tasks: everyone reads them; owners and admins create and archive them."""

    path = f"{APP_PATH}/settings/projects"
    include_in_schema = False

    @get("/")
    async def projects(self, services: Deps, who: Who) -> Template:
        """Every project with its tasks."""
        return await _projects_page(services, who)

    @post("/")
    async def create_project(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
    ) -> Template | Redirect:
        """A new project (``create_project``: the use case of ``POST /projects``)."""
        form = await form_of(request)
        typed = Typed("project", form)
        try:
            billable = checked(form.get("billable"), "billable_by_default")
            client_id = chosen_id(form.get("client"), "client_id")
        except ValidationFailed as failure:
            return await _refused(services, who, failure, typed)
        return await self._run(
            services,
            who,
            typed,
            services.projects.create_project,
            who.caller,
            form.get("name", "").strip(),
            billable_by_default=billable,
            client_id=None if client_id is None else ClientId(client_id),
        )

    @post("/clients")
    async def create_client(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
    ) -> Template | Redirect:
        """A new client (``create_client``: the use case of ``POST /clients``)."""
        form = await form_of(request)
        return await self._run(
            services,
            who,
            Typed("client", form),
            services.clients.create_client,
            who.caller,
            form.get("name", "").strip(),
            form.get("currency", "").strip(),
        )

    @post("/clients/{client_id:uuid}/archive")
    async def archive_client(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
        client_id: FromPath[UUID],
    ) -> Template | Redirect:
        """Archive (``archived=1``) or unarchive (``archived=0``) a client."""
        try:
            change = ChangeClient(archived=await _archived_of(request))
        except ValidationFailed as failure:
            return await _refused(services, who, failure)
        return await self._run(
            services, who, None, services.clients.change_client, who.caller, ClientId(client_id), change
        )

    @post("/{project_id:uuid}/archive")
    async def archive_project(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
        project_id: FromPath[UUID],
    ) -> Template | Redirect:
        """Archive (``archived=1``) or unarchive (``archived=0``) a project."""
        try:
            change = ChangeProject(archived=await _archived_of(request))
        except ValidationFailed as failure:
            return await _refused(services, who, failure)
        return await self._run(
            services, who, None, services.projects.change_project, who.caller, ProjectId(project_id), change
        )

    @post("/{project_id:uuid}/tasks")
    async def create_task(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
        project_id: FromPath[UUID],
    ) -> Template | Redirect:
        """A new task of the project (tasks need the studio plan)."""
        form = await form_of(request)
        return await self._run(
            services,
            who,
            Typed(f"task:{project_id}", form),
            services.projects.create_task,
            who.caller,
            ProjectId(project_id),
            form.get("name", "").strip(),
        )

    @post("/tasks/{task_id:uuid}/archive")
    async def archive_task(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
        task_id: FromPath[UUID],
    ) -> Template | Redirect:
        """Archive (``archived=1``) or unarchive (``archived=0``) a task."""
        try:
            change = ChangeTask(archived=await _archived_of(request))
        except ValidationFailed as failure:
            return await _refused(services, who, failure)
        return await self._run(
            services, who, None, services.projects.change_task, who.caller, TaskId(task_id), change
        )

    @staticmethod
    async def _run(
        services: Deps,
        who: Who,
        typed: Typed | None,
        use_case: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Template | Redirect:
        try:
            await call(use_case, *args, **kwargs)
        except HoursError as failure:
            return await _refused(services, who, failure, typed)
        return Redirect(f"{APP_PATH}/settings/projects", status_code=303)
