"""Versions over HTTP: the ``ETag`` a versioned resource carries, and the ``If-Match`` and
``If-None-Match`` a request may send (RFC 9110, section 13.1).

A versioned resource (a time entry, project, task or client) has the strong entity tag of its
version, ``"<version>"`` (``ETag: "3"``). :func:`parse_entity_tags` reads a precondition header by
the RFC's grammar (``*``, or a comma-separated list of ``"opaque"`` and ``W/"opaque"`` tags);
anything else is :class:`InvalidPrecondition` (400 ``invalid_precondition``), never a 500. Then:

- ``If-Match`` (writes) compares strongly: a weak tag never matches, nor does a tag that is no
  version of ours (``"abc"``, ``"03"``); ``*`` matches any version of an existing resource.
  :func:`if_match_versions` turns the header into the core's ``if_match``.
- ``If-None-Match`` (reads) compares weakly: ``W/"3"`` matches version 3. :func:`not_modified`
  says whether a read answers 304 (:func:`hours_http.responses.versioned_response` answers it).
"""

from __future__ import annotations

import re
from typing import Annotated

import attrs
from litestar.openapi.spec import OpenAPIType
from litestar.params import HeaderParameter

from hours_core.errors import HoursError
from hours_core.services import IfMatch

__all__ = [
    "ETAG_HEADER",
    "MAX_TAGS",
    "PRECONDITION_PATTERN",
    "EntityTag",
    "EntityTags",
    "IfMatchHeader",
    "IfNoneMatchHeader",
    "InvalidPrecondition",
    "entity_tag",
    "if_match_versions",
    "if_none_match_tags",
    "not_modified",
    "parse_entity_tags",
]

ETAG_HEADER = "ETag"

MAX_TAGS = 100
"""The most entity tags a precondition header may list (a longer list is 400)."""

_ELEMENT = re.compile(r'[ \t]*(?:(W/)?"([\x21\x23-\x7e]*)")?[ \t]*(,|\Z)')
"""One element of the list and what follows it: optional white space, a tag (or nothing: the
RFC's lists allow empty elements), optional white space, then a comma or the end. A tag's
characters are printable ASCII but the double quote (the RFC's obsolete bytes 0x80-0xFF are
refused: no tag of ours has them)."""
_TAG = r'(?:W/)?"[!#-~]*"'
PRECONDITION_PATTERN = rf"^[ \t]*(?:\*|(?:,[ \t]*)*{_TAG}(?:[ \t]*,(?:[ \t]*{_TAG})?)*)[ \t]*$"
"""The documented shape of ``If-Match`` and ``If-None-Match``: the language :func:`parse_entity_tags`
reads (which also refuses more than :data:`MAX_TAGS` tags)."""
_VERSION = re.compile(r"[1-9][0-9]{0,17}")
"""The opaque part of a version's tag: a positive integer in canonical decimal."""


class InvalidPrecondition(HoursError):
    """An ``If-Match`` or ``If-None-Match`` header that is not ``*`` nor a list of entity tags."""

    code = "invalid_precondition"

    def __init__(self, header: str, problem: str) -> None:
        super().__init__(
            f'{header}: {problem}; send * or a list of quoted entity tags, such as "3" '
            "(the ETag of the version you read)."
        )


@attrs.frozen
class EntityTag:
    """One entity tag: its opaque part (between the quotes) and whether it is weak (``W/``)."""

    opaque: str
    weak: bool = False

    @property
    def version(self) -> int | None:
        """The version the tag names, or ``None`` if its opaque part is no version of ours."""
        return int(self.opaque) if _VERSION.fullmatch(self.opaque) else None


@attrs.frozen
class EntityTags:
    """A parsed precondition header: ``*`` (:attr:`any`), or the listed :attr:`tags`."""

    any: bool
    tags: tuple[EntityTag, ...] = ()

    def format(self) -> str:
        """The header value these tags are (``parse_entity_tags(tags.format()) == tags``)."""
        if self.any:
            return "*"
        return ", ".join(f'{"W/" if tag.weak else ""}"{tag.opaque}"' for tag in self.tags)


def entity_tag(version: int) -> str:
    """The ``ETag`` value of a version: the strong tag ``"<version>"``."""
    return f'"{version}"'


def parse_entity_tags(value: str, header: str) -> EntityTags:
    """The tags of a precondition header's value, or :class:`InvalidPrecondition` (naming
    ``header``) for anything the RFC's grammar does not allow, an empty list, or more than
    :data:`MAX_TAGS` tags."""
    if value.strip(" \t") == "*":
        return EntityTags(any=True)
    tags: list[EntityTag] = []
    position = 0
    while True:
        element = _ELEMENT.match(value, position)
        if element is None:
            raise InvalidPrecondition(header, f"cannot read it at character {position + 1}")
        weak, opaque, separator = element.groups()
        if opaque is not None:
            tags.append(EntityTag(opaque, weak=weak is not None))
            if len(tags) > MAX_TAGS:
                raise InvalidPrecondition(header, f"more than {MAX_TAGS} entity tags")
        position = element.end()
        if not separator:
            break
    if not tags:
        raise InvalidPrecondition(header, "no entity tag")
    return EntityTags(any=False, tags=tuple(tags))


def if_match_versions(value: str | None) -> IfMatch:
    """The core's ``if_match`` for an ``If-Match`` header: ``None`` without one or for ``*`` (any
    version of the existing resource), else the versions its strong tags name (none at all when
    every tag is weak or no version: then no version matches)."""
    if value is None:
        return None
    tags = parse_entity_tags(value, "If-Match")
    if tags.any:
        return None
    return frozenset(tag.version for tag in tags.tags if not tag.weak and tag.version is not None)


def if_none_match_tags(value: str | None) -> EntityTags | None:
    """The tags of an ``If-None-Match`` header, or ``None`` without one."""
    return None if value is None else parse_entity_tags(value, "If-None-Match")


def not_modified(tags: EntityTags | None, version: int) -> bool:
    """Whether a read with these ``If-None-Match`` tags answers 304 for ``version``: they are
    ``*``, or list a tag of the version, weak or strong (weak comparison)."""
    if tags is None:
        return False
    return tags.any or any(tag.version == version for tag in tags.tags)


def _header(name: str, description: str) -> HeaderParameter:
    """An optional precondition header, documented as a plain string with its pattern (as
    Idempotency-Key: absent, not null, when not sent)."""
    return HeaderParameter(
        name=name,
        required=False,
        schema_extra={"oneOf": None, "type": OpenAPIType.STRING, "pattern": PRECONDITION_PATTERN},
        description=description,
        examples=None,
    )


IfMatchHeader = Annotated[
    str | None,
    _header(
        "If-Match",
        'Change only this version: the `ETag` you read (`"3"`), a list of them (`"3", "4"`), or `*` '
        "(any version). A stale one is 412 `precondition_failed` with `currentVersion` and the current "
        '`ETag`; a weak tag (`W/"3"`) never matches (strong comparison); a value that is not `*` nor a '
        "list of quoted tags is 400 `invalid_precondition`. An `Idempotency-Key` replay answers its "
        "recorded response whatever this header says.",
    ),
]
IfNoneMatchHeader = Annotated[
    str | None,
    _header(
        "If-None-Match",
        'Answer 304 (no body, with the `ETag`) if the version is still one of these: `"3"`, `W/"3"` '
        "(weak comparison), a list, or `*`. A value that is not `*` nor a list of quoted tags is 400 "
        "`invalid_precondition`.",
    ),
]
