"""hours core: the framework-free domain of a time-tracking backend.

Import what you need from here::

    from hours_core import parse_duration, format_duration
    parse_duration("1h30m")  # 5400

The entities live in :mod:`hours_core.model`, the ports in :mod:`hours_core.ports`, the use cases
in :mod:`hours_core.services`; :mod:`hours_core.duration`, :mod:`hours_core.tokens`,
:mod:`hours_core.plans` and :mod:`hours_core.idempotency` hold the pure policies.
"""

from hours_core.duration import (
    MAX_DURATION_SECONDS,
    DurationError,
    format_clock,
    format_duration,
    parse_duration,
)
from hours_core.errors import (
    Forbidden,
    HoursError,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    IdempotencyRequestInProgress,
    NotFound,
    PlanRequired,
    Unauthenticated,
    ValidationFailed,
)
from hours_core.model import Org, Plan, Project, Role, Task, TimeEntry, User
from hours_core.tokens import ApiToken

__all__ = [
    "MAX_DURATION_SECONDS",
    "ApiToken",
    "DurationError",
    "Forbidden",
    "HoursError",
    "IdempotencyKeyInvalid",
    "IdempotencyKeyReused",
    "IdempotencyRequestInProgress",
    "NotFound",
    "Org",
    "Plan",
    "PlanRequired",
    "Project",
    "Role",
    "Task",
    "TimeEntry",
    "Unauthenticated",
    "User",
    "ValidationFailed",
    "format_clock",
    "format_duration",
    "parse_duration",
]

__version__ = "0.1.0"
