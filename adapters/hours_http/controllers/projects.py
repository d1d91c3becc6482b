"""``/projects`` and ``/tasks``: owners and admins write, members read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from hours_core.model import ClientId, ProjectId, TaskId
from hours_core.services import Caller, ChangeProject, ChangeTask, Services
from hours_http.body import PendingBody, StrictJson
from hours_http.converter import command_from, project_json, task_json
from hours_http.openapi import IdempotencyKeyHeader, Reason, documented
from hours_http.preconditions import IfMatchHeader, IfNoneMatchHeader, if_match_versions, if_none_match_tags
from hours_http.query import STRICT_QUERY
from hours_http.responses import Writer, json_response, look_up, versioned_response
from hours_http.wire import (
    CreateProjectBody,
    CreateTaskBody,
    ProjectEnvelope,
    ProjectListEnvelope,
    TaskEnvelope,
    TaskListEnvelope,
    UpdateProjectBody,
    UpdateTaskBody,
)

__all__ = ["ProjectController", "TaskController"]

_NO_PROJECT = Reason(
    "not_found", "no such project in your organization (a `project_id` that is not a UUID matches no route)"
)
_MANAGERS_ONLY = Reason("forbidden", "members may not do this: owners and admins only")
_BILLABLE_DEFAULT = "`billableByDefault: true` (sent, or taken from the client) needs solo (`billable_time`)"
_NO_CLIENT = Reason("not_found", "no such client (`clientId`) in your organization")


class ProjectController(Controller):
    """Projects: time is logged against one. The free plan holds three active projects."""

    path = "/projects"
    opt = STRICT_QUERY
    tags = ["Projects and tasks"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", summary="List projects", sync_to_thread=True, **documented())
    def list_projects(
        self, caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Response[ProjectListEnvelope]:
        """The organization's projects, archived ones included, oldest first."""
        return json_response([project_json(p) for p in services.projects.list_projects(caller)])

    @post(
        "/",
        summary="Create a project",
        dto=StrictJson[CreateProjectBody],
        return_dto=None,
        status_code=201,
        **documented(
            Reason(
                "plan_required",
                f"{_BILLABLE_DEFAULT}; on the free plan, a fourth active project needs solo "
                "(`unlimited_projects`)",
            ),
            _MANAGERS_ONLY,
            _NO_CLIENT,
            "conflict",
            body=True,
            idempotent=True,
            location="/projects/{id}",
            etag=True,
        ),
    )
    async def create_project(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[CreateProjectBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ProjectEnvelope]:
        """Owners and admins only. On the free plan, a fourth active project is 402 `plan_required`
        (feature `unlimited_projects`, plan solo). `clientId` names a client of your organization (404
        otherwise) that is not archived (422 otherwise).
        """

        def create() -> dict[str, Any]:
            body = data.decode()
            client_id = None if body.clientId is None else ClientId(body.clientId)
            project = services.projects.create_project(
                caller, body.name, billable_by_default=body.billableByDefault, client_id=client_id
            )
            return project_json(project)

        return await writer(create, body=data, key=idempotency_key)

    @get(
        "/{project_id:uuid}",
        summary="Get a project",
        **documented(_NO_PROJECT, etag=True, if_none_match=True),
    )
    async def get_project(
        self,
        request: Request[Any, Any, Any],
        project_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        if_none_match: IfNoneMatchHeader = None,
    ) -> Response[ProjectEnvelope]:
        """One project of your organization, with its `ETag`; 304 if `If-None-Match` names its version."""
        tags = if_none_match_tags(if_none_match)

        def read() -> Response[Any]:
            project = services.projects.get_project(caller, ProjectId(project_id))
            return versioned_response(project_json(project), tags)

        return await look_up(request, read)

    @patch(
        "/{project_id:uuid}",
        summary="Change a project",
        dto=StrictJson[UpdateProjectBody],
        return_dto=None,
        **documented(
            Reason(
                "plan_required",
                f"{_BILLABLE_DEFAULT}; unarchiving on the free plan with 3 active projects needs solo "
                "(`unlimited_projects`)",
            ),
            _MANAGERS_ONLY,
            Reason("not_found", "no such project, or no such client (`clientId`), in your organization"),
            body=True,
            idempotent=True,
            etag=True,
            if_match=True,
        ),
    )
    async def update_project(
        self,
        project_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[UpdateProjectBody]],
        idempotency_key: IdempotencyKeyHeader = None,
        if_match: IfMatchHeader = None,
    ) -> Response[ProjectEnvelope]:
        """Rename, archive, unarchive, or change `billableByDefault` or `clientId` (`null` detaches the
        project from its client; a new client must be of your organization, 404, and not archived,
        422). Archived projects keep their entries but take no new ones. With `If-Match`, only the
        version it names changes (412 `precondition_failed` otherwise).
        """

        def change() -> dict[str, Any]:
            versions = if_match_versions(if_match)
            change = command_from(data.decode(), ChangeProject)
            project = services.projects.change_project(
                caller, ProjectId(project_id), change, if_match=versions
            )
            return project_json(project)

        return await writer(change, body=data, key=idempotency_key)

    @get(
        "/{project_id:uuid}/tasks",
        summary="List a project's tasks",
        sync_to_thread=True,
        **documented(_NO_PROJECT),
    )
    def list_tasks(
        self, project_id: FromPath[UUID], caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Response[TaskListEnvelope]:
        """The project's tasks, archived ones included, oldest first."""
        return json_response(
            [task_json(t) for t in services.projects.list_tasks(caller, ProjectId(project_id))]
        )

    @post(
        "/{project_id:uuid}/tasks",
        summary="Create a task",
        dto=StrictJson[CreateTaskBody],
        return_dto=None,
        status_code=201,
        **documented(
            Reason("plan_required", "tasks need studio (`tasks`)"),
            _MANAGERS_ONLY,
            _NO_PROJECT,
            "conflict",
            body=True,
            idempotent=True,
            location="/tasks/{id}",
            etag=True,
        ),
    )
    async def create_task(
        self,
        project_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[CreateTaskBody]],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[TaskEnvelope]:
        """Owners and admins only; tasks need the studio plan."""

        def create() -> dict[str, Any]:
            body = data.decode()
            return task_json(services.projects.create_task(caller, ProjectId(project_id), body.name))

        return await writer(create, body=data, key=idempotency_key)


_NO_TASK = Reason(
    "not_found", "no such task in your organization (a `task_id` that is not a UUID matches no route)"
)


class TaskController(Controller):
    """Tasks of projects."""

    path = "/tasks"
    opt = STRICT_QUERY
    tags = ["Projects and tasks"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/{task_id:uuid}",
        summary="Get a task",
        **documented(_NO_TASK, etag=True, if_none_match=True),
    )
    async def get_task(
        self,
        request: Request[Any, Any, Any],
        task_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        if_none_match: IfNoneMatchHeader = None,
    ) -> Response[TaskEnvelope]:
        """One task of your organization (archived ones too), with its `ETag`; 304 if `If-None-Match`
        names its version. The `Location` of a created task."""
        tags = if_none_match_tags(if_none_match)

        def read() -> Response[Any]:
            task = services.projects.get_task(caller, TaskId(task_id))
            return versioned_response(task_json(task), tags)

        return await look_up(request, read)

    @patch(
        "/{task_id:uuid}",
        summary="Change a task",
        dto=StrictJson[UpdateTaskBody],
        return_dto=None,
        **documented(
            _MANAGERS_ONLY,
            _NO_TASK,
            body=True,
            idempotent=True,
            etag=True,
            if_match=True,
        ),
    )
    async def update_task(
        self,
        task_id: FromPath[UUID],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        writer: NamedDependency[Writer],
        data: JSONBody[PendingBody[UpdateTaskBody]],
        idempotency_key: IdempotencyKeyHeader = None,
        if_match: IfMatchHeader = None,
    ) -> Response[TaskEnvelope]:
        """Rename, archive or unarchive a task. Archived tasks keep their entries but take no new ones.
        With `If-Match`, only the version it names changes (412 `precondition_failed` otherwise)."""

        def change() -> dict[str, Any]:
            versions = if_match_versions(if_match)
            change = command_from(data.decode(), ChangeTask)
            return task_json(
                services.projects.change_task(caller, TaskId(task_id), change, if_match=versions)
            )

        return await writer(change, body=data, key=idempotency_key)
