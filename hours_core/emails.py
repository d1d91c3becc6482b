"""Email addresses of users: the shape a new address must have, and the key that compares them.

A new address (over the API or the command line) must look like a real mailbox:
``local@domain.tld``, at most 254 characters (the longest address SMTP carries), one ``@``, a
local part of at most 64 characters made of the characters RFC 5322 allows unquoted (letters,
digits, ``!#$%&'*+-/=?^_`{|}~`` and dots, no dot first, last or twice in a row), and a domain of
at least two labels of letters, digits and hyphens (at most 63 characters each, no hyphen first or
last; the last is not only digits). Characters beyond ASCII are allowed (internationalized
addresses, RFC 6531): in the domain letters, marks and digits; in the local part, whose ``atext``
RFC 6532 extends with every character beyond ASCII, also punctuation and symbols (``a€``, an
emoji), but never separators, controls or format characters (Unicode categories Z and C: no white
space, no invisible or bidirectional characters). Quoted local parts, comments and IP-address
domains are not allowed: no person's work address needs them.

A domain label written in its ASCII form (``xn--`` and Punycode, as IDNA has mail systems carry
it: ``xn--caf-dma`` for ``café``) must write a label beyond ASCII that the rule above takes.

Two addresses are the same when their :func:`email_key` is: the domain's ``xn--`` labels read as
the labels they write, then Unicode case-folded and in NFC, so ``Ada@Example.com``,
``ADA@EXAMPLE.COM``, ``Élodie@x.fr`` / ``élodie@x.fr`` and ``bo@café.fr`` / ``bo@xn--caf-dma.fr``
(one mailbox) collide on every store alike. The stores keep the key in a column of its own with
the unique index on it, so the database never has to know Unicode's case rules (SQLite's
``NOCASE`` folds ASCII letters only).
"""

from __future__ import annotations

import string
import unicodedata

from hours_core.caseless import caseless

__all__ = ["MAX_EMAIL_LENGTH", "MAX_LOCAL_PART_LENGTH", "email_key", "email_problem"]

MAX_EMAIL_LENGTH = 254
"""The longest address, in characters."""

MAX_LOCAL_PART_LENGTH = 64
"""The longest part before the ``@``."""

_MAX_LABEL_LENGTH = 63
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
_LABEL_ASCII = frozenset(string.ascii_letters + string.digits + "-")
_SHAPE = "must be an email address like ada@example.com"
_ACE_PREFIX = "xn--"


def _is_printable_beyond_ascii(char: str, categories: str) -> bool:
    """A character beyond ASCII whose Unicode category starts with one of ``categories``."""
    return ord(char) > 127 and unicodedata.category(char)[0] in categories


def _local_part_is_valid(local: str) -> bool:
    if not 1 <= len(local) <= MAX_LOCAL_PART_LENGTH:
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    return all(char == "." or char in _ATEXT or _is_printable_beyond_ascii(char, "LMNPS") for char in local)


def _label_is_valid(label: str) -> bool:
    if not 1 <= len(label) <= _MAX_LABEL_LENGTH or label.startswith("-") or label.endswith("-"):
        return False
    if not all(char in _LABEL_ASCII or _is_printable_beyond_ascii(char, "LMN") for char in label):
        return False
    return not _is_ace(label) or _unicode_of_ace(label) is not None


def _is_ace(label: str) -> bool:
    """Whether ``label`` claims to be the ASCII form of a label beyond ASCII (``xn--``, IDNA)."""
    return label[: len(_ACE_PREFIX)].casefold() == _ACE_PREFIX


def _unicode_of_ace(label: str) -> str | None:
    """The label beyond ASCII that the ``xn--`` label ``label`` writes in ASCII (Punycode, RFC 3492):
    ``xn--caf-dma`` is ``café``; ``None`` when it writes none (a Punycode error, nothing beyond
    ASCII, or a label the domain rule refuses)."""
    if len(label) > _MAX_LABEL_LENGTH:
        return None
    try:
        decoded = label[len(_ACE_PREFIX) :].encode("ascii").decode("punycode")
    except UnicodeError:
        return None
    if decoded.isascii() or _is_ace(decoded) or not _label_is_valid(decoded):
        return None
    return decoded


def _domain_is_valid(domain: str) -> bool:
    labels = domain.split(".")
    if len(labels) < 2 or not all(_label_is_valid(label) for label in labels):
        return False
    return not labels[-1].isdigit()


def email_problem(value: str) -> str | None:
    """What is wrong with a new email address, or ``None`` (the rule is in the module's docstring)."""
    if len(value) > MAX_EMAIL_LENGTH:
        return f"must be at most {MAX_EMAIL_LENGTH} characters (got {len(value)})"
    local, at, domain = value.rpartition("@")
    if not at or not _local_part_is_valid(local) or not _domain_is_valid(domain):
        return _SHAPE
    return None


def email_key(value: str) -> str:
    """The form in which two addresses are compared: each label of the domain written in ASCII
    (``xn--caf-dma``) as the label it stands for (``café``), then case-folded (Unicode's full
    folding) and NFC (:func:`~hours_core.caseless.caseless`). Any text has a key: a label that
    writes no label beyond ASCII is kept as it is."""
    local, at, domain = value.rpartition("@")
    if at and _ACE_PREFIX in domain.casefold():
        labels = (_unicode_of_ace(label) or label if _is_ace(label) else label for label in domain.split("."))
        value = f"{local}@{'.'.join(labels)}"
    return caseless(value)
