"""``/app/settings``: the caller's API tokens, and the organization's clients, projects and tasks."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from hours_core.errors import HoursError, ValidationFailed
from hours_core.model import Client, ClientId, Project, ProjectId, Task, TaskId
from hours_core.services import ChangeClient, ChangeProject, ChangeTask, Services, SessionCaller
from hours_core.tokens import MintedToken
from hours_web.notices import Notice, notice_of, status_of
from hours_web.pages import Deps, Who, call, checked, chosen_id, page, whole_number
from hours_web.session import APP_PATH, form_of

__all__ = ["ApiTokenPages", "ProjectPages"]


async def _tokens_page(
    services: Services,
    who: SessionCaller,
    *,
    minted: MintedToken | None = None,
    notice: Notice | None = None,
    status_code: int = 200,
) -> Template:
    tokens = await call(services.account.list_tokens, who.caller)
    return page(
        "api_tokens.html",
        who,
        section="api",
        tokens=tokens,
        minted=minted,
        notice=notice,
        now=services.clock.now(),
        status_code=status_code,
    )


class ApiTokenPages(Controller):
    """Settings -> API: the caller's personal access tokens (the use cases of ``/tokens``)."""

    path = f"{APP_PATH}/settings/api"
    include_in_schema = False

    @get("/")
    async def tokens(self, services: Deps, who: Who) -> Template:
        """The caller's tokens: name, prefix, last use, expiry."""
        return await _tokens_page(services, who)

    @post("/")
    async def create(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        who: Who,
    ) -> Template:
        """Mint a token; the page shows its plaintext this once."""
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
                services, who, notice=notice_of(failure), status_code=status_of(failure)
            )
        return await _tokens_page(services, who, minted=minted, status_code=201)

    @post("/{prefix:str}/revoke")
    async def revoke(self, services: Deps, who: Who, prefix: FromPath[str]) -> Redirect:
        """Revoke one of the caller's tokens: the API refuses it from the next request on."""
        await call(services.account.revoke_token, who.caller, prefix)
        return Redirect(f"{APP_PATH}/settings/api", status_code=303)


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
    notice: Notice | None = None,
    status_code: int = 200,
) -> Template:
    clients, projects, tasks = await call(_catalog, services, who)
    return page(
        "projects.html",
        who,
        section="projects",
        clients=clients,
        client_names={client.id: client.name for client in clients},
        projects=projects,
        tasks=tasks,
        notice=notice,
        status_code=status_code,
    )


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


async def _refused(services: Services, who: SessionCaller, failure: HoursError) -> Template:
    """The projects page saying why a form was refused, with the refusal's status."""
    return await _projects_page(services, who, notice=notice_of(failure), status_code=status_of(failure))


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
        try:
            billable = checked(form.get("billable"), "billable_by_default")
            client_id = chosen_id(form.get("client"), "client_id")
        except ValidationFailed as failure:
            return await _refused(services, who, failure)
        return await self._run(
            services,
            who,
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
            services, who, services.clients.change_client, who.caller, ClientId(client_id), change
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
            services, who, services.projects.change_project, who.caller, ProjectId(project_id), change
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
        name = (await form_of(request)).get("name", "").strip()
        return await self._run(
            services, who, services.projects.create_task, who.caller, ProjectId(project_id), name
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
            services, who, services.projects.change_task, who.caller, TaskId(task_id), change
        )

    @staticmethod
    async def _run(
        services: Deps,
        who: Who,
        use_case: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Template | Redirect:
        try:
            await call(use_case, *args, **kwargs)
        except HoursError as failure:
            return await _refused(services, who, failure)
        return Redirect(f"{APP_PATH}/settings/projects", status_code=303)
