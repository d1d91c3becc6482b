"""Small rules of English that the core's messages share."""

from __future__ import annotations

import re

__all__ = ["with_article"]

_CONSONANT_SOUNDS = ("eu", "unicast", "uniform", "union", "unique", "unit", "univers", "use", "usu", "uti")
"""Beginnings of words written with a vowel but said with a consonant ("a unique-local", "a
utility"): they take "a", as do the words "one" and "once"."""

_SILENT_H = ("heir", "honest", "honor", "honour", "hour")
"""Beginnings of words whose ``h`` is silent ("an hour"): they take "an"."""

_NOT_A_LETTER = re.compile(r"[^a-z]")


def with_article(phrase: str) -> str:
    """``phrase`` after the indefinite article its first sound takes: "an unspecified", "an
    internal", "a loopback", "a unique-local". A vowel letter takes "an" and a consonant "a", but
    for the beginnings of :data:`_CONSONANT_SOUNDS` and :data:`_SILENT_H`."""
    word = phrase.lower()
    if word.startswith(_SILENT_H):
        return f"an {phrase}"
    if _NOT_A_LETTER.split(word, maxsplit=1)[0] in ("one", "once"):
        return f"a {phrase}"
    if word[:1] in ("a", "e", "i", "o", "u") and not word.startswith(_CONSONANT_SOUNDS):
        return f"an {phrase}"
    return f"a {phrase}"
