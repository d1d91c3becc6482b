"""The errors the core raises.

Every error the core raises subclasses :class:`HoursError` and carries a stable snake_case
``code``. Adapters map codes to transport statuses (only the HTTP adapter knows that
``not_found`` is a 404); the core never does.
"""

from __future__ import annotations

import enum
import heapq
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import ClassVar

import attrs

__all__ = [
    "CORE_HINTS",
    "BatchFailed",
    "Conflict",
    "CursorExpired",
    "EmailTaken",
    "EntryLocked",
    "EntryOverlaps",
    "ExternalRefTaken",
    "FieldProblem",
    "Forbidden",
    "Hint",
    "HoursError",
    "IdempotencyKeyInvalid",
    "IdempotencyKeyReused",
    "IdempotencyRequestInProgress",
    "LastOwner",
    "NotFound",
    "PlanRequired",
    "PreconditionFailed",
    "SignInFailed",
    "StaleUpdate",
    "StoreBusy",
    "StoreDeadlock",
    "StoreFull",
    "TimerAlreadyRunning",
    "TooManyTokens",
    "TooManyWebhooks",
    "Unauthenticated",
    "ValidationFailed",
    "WebhookInactive",
    "summarize",
]


class HoursError(Exception):
    """The base of every error the core raises on purpose.

    ``code`` is stable: clients may branch on it. ``message`` is for a person.
    """

    code: ClassVar[str] = "hours_error"
    default_message: ClassVar[str] = "The request could not be completed."
    transient: ClassVar[bool] = False
    """Whether the store, not the request, failed (a busy or unreachable database): the same
    request may succeed when retried. A batch stops at such an error instead of reporting it as
    one operation's failure."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def details(self) -> Mapping[str, object]:
        """Members of the error beyond its code and message, in the core's words.

        Names are snake_case (each boundary respells them: ``current_version`` becomes
        ``currentVersion`` in JSON); values are plain data: strings, numbers, booleans, ``None``,
        dates and instants, and lists and mappings of these. Empty unless an error has more to say
        (which lock refused a write, which entries overlap).
        """
        return {}


class Hint(enum.Enum):
    """A next step that a message suggests. Only a boundary knows how to take it (a route, a flag),
    so each adapter phrases it in its own terms; :data:`CORE_HINTS` is the core's own wording.
    """

    STOP_THE_TIMER = "stop_the_timer"
    """Stop the running timer first."""


CORE_HINTS: Mapping[Hint, str] = MappingProxyType({Hint.STOP_THE_TIMER: "stop it first"})
"""How the core words each hint, for callers without a boundary of their own (the library)."""


@attrs.frozen
class FieldProblem:
    """What is wrong with one field, in the core's words.

    ``text`` names other fields by their core names (``needs started_at``) and lists them in
    ``mentions``, so that an adapter can respell them by its naming rule; ``hint`` is a next step
    that the adapter phrases (see :meth:`render`). Neither names a route or a wire field.
    """

    text: str
    mentions: tuple[str, ...] = ()
    hint: Hint | None = None

    def render(self, name: Callable[[str], str], hints: Mapping[Hint, str]) -> str:
        """The message with each mentioned field named by ``name`` and the hint phrased by ``hints``."""
        text = self.text
        for mentioned in self.mentions:
            text = re.sub(rf"\b{re.escape(mentioned)}\b", name(mentioned), text)
        return text if self.hint is None else f"{text}: {hints[self.hint]}"

    def __str__(self) -> str:
        return self.render(_same_name, CORE_HINTS)


def _same_name(field: str) -> str:
    return field


class ValidationFailed(HoursError):
    """One or more fields are wrong.

    ``problems`` maps each field, by its core name (``duration_seconds``), to a
    :class:`FieldProblem`; ``fields`` maps it to the problem in the core's words. Adapters name
    the fields their own way with :meth:`respelled`.
    """

    code = "validation_failed"
    default_message = "The request has invalid fields."

    def __init__(self, fields: Mapping[str, str | FieldProblem], message: str | None = None) -> None:
        if not fields:
            raise ValueError("ValidationFailed needs at least one field message")
        self.problems: Mapping[str, FieldProblem] = MappingProxyType(
            {
                name: problem if isinstance(problem, FieldProblem) else FieldProblem(problem)
                for name, problem in fields.items()
            }
        )
        self.fields: Mapping[str, str] = MappingProxyType(
            {name: str(problem) for name, problem in self.problems.items()}
        )
        self.summarized = message is None
        super().__init__(message or summarize(self.fields))

    @classmethod
    def one(cls, field: str, message: str | FieldProblem) -> ValidationFailed:
        """The error for a single wrong field."""
        return cls({field: message})

    def respelled(self, name: Callable[[str], str], hints: Mapping[Hint, str]) -> ValidationFailed:
        """The same error with every field named by ``name`` (an adapter's naming rule), in the
        messages too, and every hint phrased by ``hints``; a summary message is written anew.
        """
        fields = {name(field): problem.render(name, hints) for field, problem in self.problems.items()}
        return ValidationFailed(fields, None if self.summarized else self.message)


SUMMARY_NAMES = 10
"""How many fields the message of an error about several fields names (:func:`summarize`)."""
SUMMARY_NAME_LENGTH = 64
"""The longest name a summary shows whole; a longer one is cut to this many characters, ``…`` last."""


def summarize(fields: Mapping[str, str]) -> str:
    """The message of an error about ``fields``: the one problem, or how many fields are wrong and
    the first :data:`SUMMARY_NAMES` of them in name order (``and N more``). Each name is shown up
    to :data:`SUMMARY_NAME_LENGTH` characters, so the message stays short whatever was sent (a
    query of thousands of unknown names, a name of thousands of characters)."""
    if len(fields) == 1:
        ((name, problem),) = fields.items()
        return f"{_shown(name)}: {problem}"
    first = heapq.nsmallest(SUMMARY_NAMES, fields)
    more = len(fields) - len(first)
    named = ", ".join(_shown(name) for name in first)
    return f"{len(fields)} fields are invalid: {named}{f' and {more} more' if more else ''}."


def _shown(name: str) -> str:
    return name if len(name) <= SUMMARY_NAME_LENGTH else f"{name[: SUMMARY_NAME_LENGTH - 1]}…"


class NotFound(HoursError):
    """The resource does not exist, or belongs to another organization (the same error either way)."""

    code = "not_found"
    default_message = "The resource was not found."

    @classmethod
    def of(cls, kind: str) -> NotFound:
        """A not-found error that names the kind of resource, e.g. ``NotFound.of("project")``."""
        return cls(f"The {kind} was not found.")


class Forbidden(HoursError):
    """The caller is authenticated, but their role may not do this."""

    code = "forbidden"
    default_message = "Your role does not allow this action."


class Unauthenticated(HoursError):
    """No usable credentials. One message for every cause, so that callers learn nothing from it."""

    code = "unauthenticated"
    default_message = "A valid personal access token is required."

    def __init__(self, message: str | None = None, *, token_sent: bool = False) -> None:
        self.token_sent = token_sent
        super().__init__(message)


class SignInFailed(Unauthenticated):
    """A sign-in with an email and password that match no active user. One message for every cause."""

    code = "sign_in_failed"
    default_message = "The email or password is wrong."


class PlanRequired(HoursError):
    """The organization's plan lacks a feature that the request uses."""

    code = "plan_required"

    def __init__(self, required_plan: str, feature: str, message: str | None = None) -> None:
        self.required_plan = required_plan
        self.feature = feature
        super().__init__(
            message or f"The feature '{feature}' needs the {required_plan} plan or higher; upgrade to use it."
        )


class Conflict(HoursError):
    """The request conflicts with the current state of the resource."""

    code = "conflict"
    default_message = "The request conflicts with the current state."


class EntryLocked(Conflict):
    """The time entry is locked and may not change: why (``reason``) and, for a lock that covers
    a range of days, the last day it covers (``through``).

    Invoiced entries are locked with the reason ``invoiced``; other locks (closed periods,
    timesheets) name their own reason and may add members of their own (``more``), all reported
    under ``lock`` by :meth:`details`.
    """

    code = "entry_locked"
    default_message = "The time entry is invoiced and locked; it can no longer be changed or deleted."

    def __init__(
        self,
        reason: str = "invoiced",
        *,
        through: date | None = None,
        message: str | None = None,
        more: Mapping[str, object] | None = None,
    ) -> None:
        self.reason = reason
        self.through = through
        self.more: Mapping[str, object] = dict(more or {})
        super().__init__(message)

    def details(self) -> Mapping[str, object]:
        """``{"lock": {"reason": ..., "through": ..., **more}}``."""
        return {"lock": {"reason": self.reason, "through": self.through, **self.more}}


class EntryOverlaps(Conflict):
    """The entry would overlap other live entries of its user, and the organization's overlap
    policy is ``reject``. ``entries`` describes the first of them by start (``id``, ``started_at``,
    ``stopped_at``: ``None`` for a running timer); ``total`` counts them all.
    """

    code = "entry_overlaps"

    def __init__(self, entries: Sequence[Mapping[str, object]], total: int) -> None:
        self.entries = [dict(entry) for entry in entries]
        self.total = total
        super().__init__(overlap_message(len(self.entries), total))

    def details(self) -> Mapping[str, object]:
        """``{"entries": [{"id", "started_at", "stopped_at"}, ...]}``."""
        return {"entries": self.entries}


def overlap_message(listed: int, total: int) -> str:
    """What to say of an entry that overlaps ``total`` entries of its user, ``listed`` of them named."""
    noun = "entry" if total == 1 else "entries"
    text = f"The time entry overlaps {total} other {noun} of the same user"
    if listed < total:
        text += f" (the first {listed} by start are listed)"
    return text + "."


class EmailTaken(Conflict):
    """Another user of the organization has this email (compared ignoring case)."""

    code = "email_taken"

    def __init__(self, email: str) -> None:
        self.email = email
        super().__init__(f"A user with the email {email} already exists in this organization.")


class LastOwner(Conflict):
    """The change would leave the organization without an active owner."""

    code = "last_owner"
    default_message = (
        "The organization must keep at least one active owner; make another user an owner first."
    )


class WebhookInactive(Conflict):
    """A test or repeated delivery was asked of a webhook that is not active."""

    code = "webhook_inactive"
    default_message = "The webhook is not active; set active to true first (its reason says why it stopped)."


class TimerAlreadyRunning(Conflict):
    """The user already has a running timer."""

    code = "timer_already_running"

    def __init__(self, running_entry_id: str, *, restoring: bool = False) -> None:
        self.running_entry_id = running_entry_id
        self.restoring = restoring
        """Raised by a restore, which cannot stop the running timer itself (it takes no options)."""
        advice = (
            "then restore this one" if restoring else "or start the new one with stop_running to stop it now"
        )
        super().__init__(
            f"A timer is already running (time entry {running_entry_id}); stop it first, {advice}."
        )


class ExternalRefTaken(Conflict):
    """A restore of an entry whose import was undone, while another live entry holds the source row
    it came from (the file was imported again since): restoring it would count that row twice."""

    code = "external_ref_taken"

    def __init__(self, holder_id: str | None) -> None:
        self.holder_id = holder_id
        """The live entry that holds the row, when the caller may see it (else ``None``)."""
        holder = "another user's entry" if holder_id is None else f"time entry {holder_id}"
        super().__init__(
            "The row this entry was imported from was imported again after its import was undone: "
            f"{holder} holds it (its externalRef). Restoring this one would count the row twice; "
            "delete that entry first, then restore this one."
        )


class StaleUpdate(Conflict):
    """The resource changed since the caller read it (optimistic concurrency)."""

    code = "stale_update"
    default_message = "The resource changed since you read it; fetch it again and retry."


class PreconditionFailed(HoursError):
    """The caller's ``If-Match`` names a version that is no longer the resource's: someone changed
    it since the caller read it. ``current_version`` is the version now stored."""

    code = "precondition_failed"
    default_message = (
        "The resource changed since you read it (If-Match names an older version); fetch it again and retry."
    )

    def __init__(self, current_version: int, message: str | None = None) -> None:
        self.current_version = current_version
        super().__init__(message)

    def details(self) -> Mapping[str, object]:
        """``{"current_version": N}``."""
        return {"current_version": self.current_version}


class TooManyTokens(HoursError):
    """The user has as many active tokens as a user may have; revoking one frees a slot."""

    code = "too_many_tokens"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"A user may have at most {limit} active tokens (not revoked and not expired), and this "
            "user has that many; revoke one to create another."
        )


class TooManyWebhooks(HoursError):
    """The organization has as many webhooks as an organization may have, active or not; deleting
    one frees a slot."""

    code = "too_many_webhooks"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"An organization may have at most {limit} webhooks (active or not), and this organization "
            "has that many; delete one to create another."
        )


class CursorExpired(HoursError):
    """The change feed's ``after`` is older than the events kept: changes after it are gone."""

    code = "cursor_expired"
    default_message = (
        "The events after this position are no longer kept (at least 90 days are); resync from the "
        "lists and follow the changes from the latest position."
    )


class StoreBusy(HoursError):
    """The store could not take the write in time (another writer held it); retry shortly."""

    code = "store_busy"
    default_message = "The database is busy; retry shortly."
    transient = True


class StoreDeadlock(StoreBusy):
    """The database broke a deadlock by rolling this write transaction back (PostgreSQL: SQLSTATE
    ``40P01``, after its ``deadlock_timeout``). Nothing of the transaction was stored, so running
    it again is safe: :meth:`~hours_core.services.IdempotentRunner.run` runs a write once more
    when its own transaction ends so. Answered as :class:`StoreBusy` when it reaches a client."""


class StoreFull(HoursError):
    """The database's disk is full: the write was rolled back, nothing of it was stored. It goes
    through once the operator frees space; retrying at once only fails again."""

    code = "store_full"
    default_message = (
        "The database's disk is full, so nothing was stored; retry later (the operator has to free space)."
    )
    transient = True


class IdempotencyKeyInvalid(HoursError):
    """The Idempotency-Key header is not a UUID or a ULID."""

    code = "idempotency_key_invalid"
    default_message = "The Idempotency-Key header must be a UUID (8-4-4-4-12 hex) or a 26-character ULID."


class IdempotencyRequestInProgress(HoursError):
    """A request with the same key is still being processed."""

    code = "idempotency_request_in_progress"
    default_message = "A request with this Idempotency-Key is still in progress; retry shortly."


class IdempotencyKeyReused(HoursError):
    """The key was already used with a different request."""

    code = "idempotency_key_reused"
    default_message = (
        "This Idempotency-Key was already used with a different request; use a new key for a new request."
    )


class BatchFailed(HoursError):
    """An all-or-nothing batch stored nothing, because of the operations in ``failures``.

    ``failures`` pairs each failed operation's index (from 0, in the order sent) with its error:
    every operation that could not be read, or else the first one that failed when applied (later
    operations may depend on it, so they do not run).
    """

    code = "batch_failed"

    def __init__(self, failures: Sequence[tuple[int, HoursError]]) -> None:
        if not failures:
            raise ValueError("BatchFailed needs at least one failed operation")
        self.failures: tuple[tuple[int, HoursError], ...] = tuple(failures)
        super().__init__(self.summary(self.failures[0][1].message))

    def summary(self, first_message: str) -> str:
        """The batch's message around ``first_message``, the first failure's (an adapter passes it
        in its own words, as it words that failure's entry in :meth:`details`)."""
        more = "" if len(self.failures) == 1 else f" (and {len(self.failures) - 1} more)"
        return f"The batch stored nothing: operation {self.failures[0][0]} failed{more}: {first_message}"

    def details(self) -> Mapping[str, object]:
        """``{"errors": [{"index", "code", "message", "fields", ...}]}``, one per failure, each with
        its error's own details; ``fields`` is empty when the error names none."""
        return {
            "errors": [
                {
                    "index": index,
                    "code": error.code,
                    "message": error.message,
                    "fields": dict(error.fields) if isinstance(error, ValidationFailed) else {},
                    **error.details(),
                }
                for index, error in self.failures
            ]
        }
