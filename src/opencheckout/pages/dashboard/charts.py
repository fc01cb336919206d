"""Server-rendered SVG bar charts (no script, no CDN).

Readable without colour: series differ by fill pattern (solid vs hatched) and are
named in a text legend, bars carry value labels where there is room, and every
chart is followed by the same numbers as a table in the page.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 720
HEIGHT = 240
LEFT = 64
RIGHT = 12
TOP = 28
BOTTOM = 36
_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[int]
    #: "solid" or "hatched"
    style: str = "solid"


def _nice_max(value: int) -> int:
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[int], str],
    *,
    minimum: int = 4,
) -> Markup:
    """Bars per label (one group per label, one bar per series); the axis reaches at
    least ``minimum`` and is split in four (keep it a multiple of 4: distinct ticks)."""
    chart_id = f"chart{next(_ids)}"
    count = max(len(labels), 1)
    top_value = _nice_max(max((max(s.values, default=0) for s in series), default=0))
    top_value = max(top_value, minimum)
    top_value += -top_value % 4
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    group_w = plot_w / count
    bar_w = max(1.0, (group_w * 0.8) / max(len(series), 1))
    parts = [*_head(chart_id, title), *_grid(top_value, plot_h, fmt)]
    label_every = max(1, count // 10)
    show_values = count * len(series) <= 16
    for index, label in enumerate(labels):
        x0 = LEFT + group_w * index + group_w * 0.1
        for position, item in enumerate(series):
            value = item.values[index] if index < len(item.values) else 0
            h = plot_h * value / top_value
            x = x0 + bar_w * position
            y = TOP + plot_h - h
            fill = _fill(chart_id, item)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="{fill}" stroke="#1a1f36" stroke-width="0.5">'
                f"<title>{escape(item.name)}, {escape(label)}: {escape(fmt(value))}</title></rect>"
            )
            if show_values and value:
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                    f'font-size="10" fill="#1a1f36">{escape(fmt(value))}</text>'
                )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x0 + group_w * 0.4:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle" font-size="11" fill="#4f566b">{escape(label)}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#1a1f36" stroke-width="1"/>'
    )
    parts += _legend(chart_id, series)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)


def _head(chart_id: str, title: str) -> list[str]:
    """The svg's opening, its title, and the hatch pattern hatched series fill with."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="{chart_id}-t">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        "<defs>",
        f'<pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#1a1f36" stroke-width="3"/></pattern>',
        "</defs>",
    ]


def _grid(top_value: int, plot_h: int, fmt: Callable[[int], str]) -> list[str]:
    """Grid lines and y axis labels: the axis split in four up to ``top_value``."""
    parts = []
    for step in range(5):
        value = top_value * step // 4
        y = TOP + plot_h - plot_h * step / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            'stroke="#d5d9e2" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#4f566b">{escape(fmt(value))}</text>'
        )
    return parts


def _fill(chart_id: str, item: Series) -> str:
    return f"url(#{chart_id}-hatch)" if item.style == "hatched" else "#1f4fd1"


def _legend(chart_id: str, series: Sequence[Series]) -> list[str]:
    """Legend: a swatch with the series' pattern and its name in text."""
    parts = []
    x = LEFT
    for item in series:
        parts.append(
            f'<rect x="{x}" y="6" width="14" height="14" fill="{_fill(chart_id, item)}" '
            'stroke="#1a1f36" stroke-width="0.5"/>'
        )
        parts.append(
            f'<text x="{x + 20}" y="17" font-size="12" fill="#1a1f36">{escape(item.name)}</text>'
        )
        x += 28 + 8 * len(item.name)
    return parts
