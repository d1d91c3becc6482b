"""The keyboard focus is drawn in a colour that stands out from the page (WCAG 2.1, 1.4.11:
at least 3:1 against what is next to it)."""

from __future__ import annotations

import re

from hours_web.app import STATIC


def _luminance(hex_colour: str) -> float:
    """The relative luminance of ``#rrggbb`` (WCAG 2.1)."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_focus_outline_stands_out_from_the_white_page() -> None:
    """The audit of issue 18: the outline was #ffbf47 alone, 1.6:1 on the white page."""
    css = (STATIC / "web.css").read_text()
    rule = re.search(r":focus-visible\s*\{([^}]*)\}", css)
    assert rule is not None
    outline = re.search(r"outline:\s*[^;]*?(#[0-9a-fA-F]{6})", rule.group(1))
    assert outline is not None, rule.group(1)

    assert contrast(outline.group(1), "#ffffff") >= 3
