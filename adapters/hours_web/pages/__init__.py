"""The web app's pages, one module per area; :func:`page` and :func:`call` are what they share."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import anyio.to_thread
from litestar.di import NamedDependency
from litestar.response import Template

from hours_core.errors import ValidationFailed
from hours_core.services import Services, SessionCaller
from hours_core.validation import instant_problem
from hours_web.week import form_date

__all__ = [
    "Deps",
    "Who",
    "call",
    "checked",
    "chosen_id",
    "local_time_text",
    "page",
    "query_date",
    "typed_instant",
    "typed_note",
    "whole_number",
]

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


def checked(text: str | None, field: str) -> bool:
    """A checkbox of ours for ``field`` (a core field name): it sends ``on`` when checked and
    nothing when not. Anything else (``billable=maybe``, an empty value) no browser sends for it:
    :class:`ValidationFailed` on ``field``, never read as "not checked"."""
    if text is None:
        return False
    if text == "on":
        return True
    raise ValidationFailed.one(field, 'must be "on" (checked) or left out (unchecked)')


MAX_NUMBER_DIGITS = 18
"""The most digits :func:`whole_number` reads: any count a form asks for is far shorter, and
:func:`int` refuses more than 4,300 (a bound on its time)."""


def whole_number(text: str | None, field: str, problem: str) -> int | None:
    """The whole number a form's field holds, in ASCII digits only (surrounding spaces aside);
    ``None`` when left out or empty. :func:`int` would also take ``1_0``, ``+3``, ``３`` and ``٣``:
    those, and anything else but ``0``-``9``, are :class:`ValidationFailed` on ``field`` with
    ``problem`` (the field's own message)."""
    text = (text or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise ValidationFailed.one(field, problem)
    if len(text) > MAX_NUMBER_DIGITS:
        raise ValidationFailed.one(field, f"is too large ({len(text)} digits)")
    return int(text)


def query_date(text: str | None, field: str) -> date | None:
    """A date of a page's address (``from``, ``to``, ``week``): ``None`` when left out or empty,
    which is what a browser sends for a form's date field left empty (the entries filter's From and
    To: ``from=&to=``); else ``YYYY-MM-DD`` exactly (:func:`~hours_web.week.form_date`), or
    :class:`ValidationFailed` on ``field`` naming the value (the 422 page, "From: is not a real
    calendar date in the form YYYY-MM-DD: 2026-13-01")."""
    if not text:
        return None
    try:
        return form_date(text)
    except ValueError as error:
        raise ValidationFailed.one(
            field, f"is not a real calendar date in the form YYYY-MM-DD: {text[:40]}"
        ) from error


def typed_note(text: str) -> str | None:
    """A note as a form gives it back (the edit form's text area, the timer's field): a browser
    sends a text area's line breaks as CRLF (HTML's form submission), so they are read as the API's
    ``\n``; nothing else is trimmed or changed, as ``POST /timers`` and ``PATCH /time-entries/{id}``
    keep a note's spaces. Blank (spaces and line breaks only) is no note. The edit form reads the
    entry's own note the same way to tell whether the person changed it: one left as it was is not
    written (a stored note with CRLF, or spaces around it, stays as it is)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    return lines if lines.strip() else None


def local_time_text(instant: datetime | None, timezone: str) -> str:
    """What a form's time field (the edit form's Start or Stop, the timer's Stopped at) shows of
    ``instant``: the wall-clock time in the organization's ``timezone``, to the second
    (``2026-03-02T09:00``, ``2026-03-02T09:00:15``), as a ``datetime-local`` field holds it; empty
    for no time."""
    if instant is None:
        return ""
    local = instant.astimezone(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)
    return local.isoformat(timespec="minutes" if local.second == 0 else "seconds")


_LOCAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?")
"""What a ``datetime-local`` field sends: ``YYYY-MM-DDTHH:MM``, seconds and their fraction optional."""


def typed_instant(text: str, field: str, zone: ZoneInfo) -> datetime | None:
    """The instant a form's time field names (the edit form's Start or Stop, the timer's Stopped
    at), a wall-clock time in the organization's ``zone``; ``None`` when left empty (on the edit
    form the API's ``null``, the time cleared; on the timer's stop, now).
    :class:`ValidationFailed` on ``field`` for text of another shape, a day the calendar lacks, a
    time the clocks skip in ``zone`` (moved forward), or an instant out of the API's range; a time
    the clocks pass twice (moved back) is the first of the two."""
    text = text.strip()
    if not text:
        return None
    if not _LOCAL_TIME.fullmatch(text):
        raise ValidationFailed.one(field, "must be a date and time like 2026-03-02T09:00")
    try:
        local = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValidationFailed.one(field, f"is not a real date and time: {text}") from error
    instant = local.replace(tzinfo=zone)
    problem = instant_problem(instant)  # before any conversion: year 1 cannot be converted to UTC
    if problem is not None:
        raise ValidationFailed.one(field, problem)
    utc = instant.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local:
        raise ValidationFailed.one(field, f"is no time in {zone.key}: the clocks skip it")
    return utc
