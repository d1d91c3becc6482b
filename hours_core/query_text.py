"""The text of a URL's query string, for the adapters that read one (the API and the web app).

Frameworks decode percent-escapes leniently: a byte that is not UTF-8 becomes U+FFFD, so a reason
sent as ``%FF%FE`` would be stored as two replacement characters, text the client never sent, and
``%EF%BF%BD`` (a real U+FFFD) could not be told from it. :func:`not_utf8_parameters` finds such
parameters, so that both adapters refuse them alike. Pure bytes and text: no framework.
"""

from __future__ import annotations

import re
from urllib.parse import quote_from_bytes, unquote_to_bytes

__all__ = ["NOT_UTF8", "not_utf8_parameters"]

_HIGH_ESCAPE = re.compile(rb"%[89A-Fa-f]")
"""A percent-escape of a byte past ASCII (``%80`` to ``%FF``)."""

NOT_UTF8 = "is not valid UTF-8 once percent-decoded"
"""The field message for a query parameter whose bytes are not UTF-8 (``%FF``, an encoded surrogate)."""


def not_utf8_parameters(query_string: bytes) -> dict[str, str]:
    """:data:`NOT_UTF8` for each query parameter whose name or value, once percent-decoded (``+`` as
    a space), is not UTF-8 (see the module). A parameter is named by its decoded name, or, when that
    name is what is not UTF-8, by the name percent-encoded (``%FF``)."""
    if query_string.isascii() and _HIGH_ESCAPE.search(query_string) is None:
        return {}  # every byte it can decode to is ASCII: the common case, at the cost of one scan
    problems: dict[str, str] = {}
    for pair in query_string.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        name = unquote_to_bytes(raw_name.replace(b"+", b" "))
        value = unquote_to_bytes(raw_value.replace(b"+", b" "))
        try:
            shown = name.decode("utf-8")
        except UnicodeDecodeError:  # named as it was sent, escaped: two bad names stay two
            problems[quote_from_bytes(name, safe="")] = NOT_UTF8
            continue
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            problems[shown] = NOT_UTF8
    return problems
