"""Project and task use cases: owners and admins write, everyone in the org reads."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from hours_core.errors import NotFound, PlanRequired
from hours_core.model import KEEP, ClientId, Keep, Project, ProjectId, Task, TaskId, check_name
from hours_core.plans import FREE_PLAN_ACTIVE_PROJECTS, Feature, allows, required_plan
from hours_core.ports import Clock, IdFactory, UnitOfWork
from hours_core.services.caller import Caller
from hours_core.services.clients import check_project_rates_currency, client_for_project
from hours_core.services.recording import EventRecorder
from hours_core.services.transactions import Transactions
from hours_core.services.versions import IfMatch, check_if_match, raced

__all__ = ["ChangeProject", "ChangeTask", "ProjectService"]


@attrs.frozen
class ChangeProject:
    """Rename, archive or unarchive a project, change its billable default or its client; ``None``
    keeps a field, except ``client_id``: :data:`~hours_core.model.KEEP` keeps it, ``None`` detaches
    the project from its client."""

    name: str | None = None
    archived: bool | None = None
    billable_by_default: bool | None = None
    client_id: ClientId | Keep | None = KEEP


@attrs.frozen
class ChangeTask:
    """Rename, archive or unarchive a task; ``None`` keeps a field."""

    name: str | None = None
    archived: bool | None = None


class ProjectService:
    """Projects and their tasks."""

    def __init__(self, transactions: Transactions, clock: Clock, ids: IdFactory) -> None:
        self._transactions = transactions
        self._clock = clock
        self._ids = ids
        self._events = EventRecorder(clock, ids)

    def list_projects(self, caller: Caller, *, include_archived: bool = True) -> Sequence[Project]:
        """The organization's projects, oldest first."""
        with self._transactions.read() as uow:
            return uow.projects.list(caller.org_id, include_archived=include_archived)

    def get_project(self, caller: Caller, project_id: ProjectId) -> Project:
        """One project of the caller's organization."""
        with self._transactions.read() as uow:
            return _project(uow, caller, project_id)

    def create_project(
        self,
        caller: Caller,
        name: str,
        *,
        billable_by_default: bool | None = None,
        client_id: ClientId | None = None,
    ) -> Project:
        """A new project, of ``client_id`` if given (of the org, else 404; not archived, else 422);
        the free plan holds at most three active ones.

        ``billable_by_default=None`` takes the client's billable default, if it has one, else false.
        """
        check_name(name)
        caller.require_manager("create projects")
        with self._transactions.write() as uow:
            # The free plan's count of active projects, and the client's archived flag, are read
            # under the organization's lock, so that creations (and archiving a client) run in turn.
            uow.orgs.lock(caller.org_id)
            client = None if client_id is None else client_for_project(uow, caller, client_id)
            if billable_by_default is None:
                billable_by_default = bool(client is not None and client.billable_by_default)
            if billable_by_default:
                caller.require_feature(Feature.BILLABLE_TIME)
            project = Project.new(
                ProjectId(self._ids.new_id()),
                caller.org_id,
                name,
                self._clock.now(),
                billable_by_default=billable_by_default,
                client_id=client_id,
            )
            _require_room_for_an_active_project(uow, caller)
            uow.projects.add(project)
            self._events.archivable(uow, caller, None, project)
        return project

    def change_project(
        self, caller: Caller, project_id: ProjectId, change: ChangeProject, *, if_match: IfMatch = None
    ) -> Project:
        """Rename, archive, unarchive, or change the billable default of a project.

        ``if_match``: the version the caller read (:class:`~hours_core.errors.PreconditionFailed`
        if it is not the project's), checked after the caller's role.
        """
        if change.name is not None:
            check_name(change.name)
        with self._transactions.write() as uow:
            if not isinstance(change.client_id, Keep) or change.archived is False:
                # A project rate takes its client's currency, and a project is created, under the
                # organization's lock: taken first, a move and a new rate of the project, or an
                # unarchiving and a creation counting the free plan's active projects, run in turn.
                uow.orgs.lock(caller.org_id)
            project = _project(uow, caller, project_id)
            caller.require_manager("change projects")
            check_if_match(project, if_match)
            new_client = None if isinstance(change.client_id, Keep) else change.client_id
            if new_client is not None and new_client != project.client_id:
                client = client_for_project(uow, caller, new_client)
                check_project_rates_currency(uow, project, client)
            if change.billable_by_default:
                caller.require_feature(Feature.BILLABLE_TIME)
            if project.archived and change.archived is False:
                _require_room_for_an_active_project(uow, caller)
            changed = project.revised(
                self._clock.now(),
                name=change.name,
                archived=change.archived,
                billable_by_default=change.billable_by_default,
                client_id=change.client_id,
            )
            with raced(if_match, lambda: uow.projects.get(caller.org_id, project_id)):
                changed = uow.projects.update(changed)
            self._events.archivable(uow, caller, project, changed)
        return changed

    def list_tasks(self, caller: Caller, project_id: ProjectId) -> Sequence[Task]:
        """The project's tasks, oldest first."""
        with self._transactions.read() as uow:
            _project(uow, caller, project_id)
            return uow.tasks.list_for_project(caller.org_id, project_id)

    def get_task(self, caller: Caller, task_id: TaskId) -> Task:
        """One task of the caller's organization (any role, archived or not)."""
        with self._transactions.read() as uow:
            task = uow.tasks.get(caller.org_id, task_id)
        if task is None:
            raise NotFound.of("task")
        return task

    def create_task(self, caller: Caller, project_id: ProjectId, name: str) -> Task:
        """A new task in the project (tasks need the studio plan)."""
        check_name(name)
        with self._transactions.write() as uow:
            project = _project(uow, caller, project_id)
            caller.require_manager("create tasks")
            caller.require_feature(Feature.TASKS)
            now = self._clock.now()
            task = Task.new(TaskId(self._ids.new_id()), project, name, now)
            uow.tasks.add(task)
            self._events.archivable(uow, caller, None, task)
        return task

    def change_task(
        self, caller: Caller, task_id: TaskId, change: ChangeTask, *, if_match: IfMatch = None
    ) -> Task:
        """Rename, archive or unarchive a task (``if_match``: as for :meth:`change_project`)."""
        if change.name is not None:
            check_name(change.name)
        with self._transactions.write() as uow:
            task = uow.tasks.get(caller.org_id, task_id)
            if task is None:
                raise NotFound.of("task")
            caller.require_manager("change tasks")
            check_if_match(task, if_match)
            changed = task.revised(self._clock.now(), name=change.name, archived=change.archived)
            with raced(if_match, lambda: uow.tasks.get(caller.org_id, task_id)):
                changed = uow.tasks.update(changed)
            self._events.archivable(uow, caller, task, changed)
        return changed


def _project(uow: UnitOfWork, caller: Caller, project_id: ProjectId) -> Project:
    project = uow.projects.get(caller.org_id, project_id)
    if project is None:
        raise NotFound.of("project")
    return project


def _require_room_for_an_active_project(uow: UnitOfWork, caller: Caller) -> None:
    if allows(caller.org.plan, Feature.UNLIMITED_PROJECTS):
        return
    if uow.projects.count_active(caller.org_id) >= FREE_PLAN_ACTIVE_PROJECTS:
        raise PlanRequired(
            required_plan(Feature.UNLIMITED_PROJECTS).value,
            Feature.UNLIMITED_PROJECTS.value,
            f"The free plan holds {FREE_PLAN_ACTIVE_PROJECTS} active projects; archive one or upgrade.",
        )
