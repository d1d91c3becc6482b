"""A week cell asks a phone for a keyboard that can type the duration grammar."""

from __future__ import annotations

import re

from litestar.testing import TestClient

_CELL = re.compile(r'<input name="d\.[^"]+"[^>]*>', re.S)


def test_a_cell_does_not_ask_for_a_keypad_without_colon_or_letters(owner: TestClient) -> None:
    """The audit of issue 18: the cells had ``inputmode="decimal"``, which on a phone opens a
    keypad of digits and the decimal separator (iOS: nothing else; a comma in many locales), while
    every duration the grammar takes needs a colon or a unit letter ("1:30", "90m", "1.5h"; a bare
    "1.5" is refused): nothing a person could type there on a phone was a duration."""
    cells = _CELL.findall(owner.get("/app/week").text)

    assert cells
    for cell in cells:
        assert not re.search(r'inputmode="(decimal|numeric|tel)"', cell), cell
        assert all(
            attribute in cell
            for attribute in ('autocapitalize="none"', 'autocorrect="off"', 'spellcheck="false"')
        ), cell
