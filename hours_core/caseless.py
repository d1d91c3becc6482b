"""How two names that a person would call the same are compared: ignoring case and Unicode form.

``Öl`` typed on one keyboard may arrive precomposed (U+00D6, NFC) and from another as ``O`` and a
combining diaeresis (NFD); both read alike, and both should match the project ``öl``. The key is
Unicode's caseless matching (full case folding, then NFC, the "canonical caseless match" of the
Unicode standard, 3.13, simplified to NFC): it compares, it is never stored or shown.
"""

from __future__ import annotations

import unicodedata

__all__ = ["caseless"]


def caseless(text: str) -> str:
    """The form in which two names (or addresses) are compared: NFC, case-folded, NFC again (folding
    can undo a composition: ``"ǰ".casefold()`` is ``j`` and a combining caron)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
