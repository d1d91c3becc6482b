"""A bar chart as numbers for an inline SVG: no chart library, no script.

:func:`bar_chart` lays out one bar per period (its label and hours) in a fixed viewBox; the
template draws the rectangles, the labels and a title per bar (the exact time, for a tooltip and for
screen readers), and the page shows the same figures in a table.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from hours_core.duration import format_clock

__all__ = ["HEIGHT", "WIDTH", "Bar", "Chart", "bar_chart"]

WIDTH = 640
HEIGHT = 220
_TOP = 16
_BOTTOM = 34
_LEFT = 40


@attrs.frozen
class Bar:
    """One bar, laid out: where it is and what it says."""

    label: str
    seconds: int
    x: float
    y: float
    width: float
    height: float

    @property
    def text(self) -> str:
        """The bar's time as ``H:MM``."""
        return format_clock(self.seconds)


@attrs.frozen
class Chart:
    """The bars, the scale's top (whole hours) and the baseline's height in the viewBox."""

    bars: tuple[Bar, ...]
    top_hours: int
    baseline: float
    width: int = WIDTH
    height: int = HEIGHT
    left: int = _LEFT


def bar_chart(points: Sequence[tuple[str, int]]) -> Chart:
    """Bars for ``(label, seconds)`` points, scaled to the largest (rounded up to whole hours)."""
    top_hours = max(1, -(-max((seconds for _, seconds in points), default=0) // 3600))
    plot_height = HEIGHT - _TOP - _BOTTOM
    slot = (WIDTH - _LEFT) / max(1, len(points))
    bars = []
    for index, (label, seconds) in enumerate(points):
        height = plot_height * seconds / (top_hours * 3600)
        bars.append(
            Bar(
                label=label,
                seconds=seconds,
                x=_LEFT + index * slot + slot * 0.15,
                y=HEIGHT - _BOTTOM - height,
                width=slot * 0.7,
                height=height,
            )
        )
    return Chart(bars=tuple(bars), top_hours=top_hours, baseline=HEIGHT - _BOTTOM)
