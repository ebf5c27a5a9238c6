"""Charts drawn on the server as inline SVG: nothing to load, readable without JavaScript,
and described in words for screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from grader.render.summary import fmt_points

_WIDTH, _HEIGHT = 640, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 12, 22, 46


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int

    @property
    def label(self) -> str:
        return f"{fmt_points(self.low)}\N{EN DASH}{fmt_points(self.high)}"


def share_colour(share: float) -> str:
    """Red (nothing) through yellow to green (all points), light enough for black text."""
    share = min(max(share, 0.0), 1.0)
    return f"hsl({round(120 * share)}, 70%, 82%)"


def bins(values: Sequence[float], maximum: float, count: int = 10) -> list[Bin]:
    """`count` equal bins from 0 to `maximum`; the maximum itself falls in the last one."""
    width = maximum / count if maximum > 0 else 1.0
    tally = [0] * count
    for value in values:
        tally[min(max(int(value / width), 0), count - 1)] += 1
    return [Bin(round(i * width, 2), round((i + 1) * width, 2), n) for i, n in enumerate(tally)]


def histogram_svg(groups: Sequence[Bin], *, title: str, x_label: str, chart_id: str) -> Markup:
    """A bar per bin with its count written above it; `chart_id` keeps ids unique on a page."""
    tallest = max((b.count for b in groups), default=0) or 1
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    slot = plot_w / max(len(groups), 1)
    desc = "; ".join(f"{b.label}: {b.count}" for b in groups)
    parts = [
        f'<svg class="histogram" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img"'
        f' aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">Students per range of {escape(x_label)}: {escape(desc)}</desc>',
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_WIDTH - _RIGHT}" y2="{_TOP + plot_h}"'
        ' class="axis"/>',
    ]
    for i, b in enumerate(groups):
        h = plot_h * b.count / tallest
        x = _LEFT + i * slot + slot * 0.1
        y = _TOP + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}"'
            f' class="bar"><title>{escape(b.label)}: {b.count}</title></rect>'
        )
        mid = x + slot * 0.4
        if b.count:
            parts.append(f'<text x="{mid:.1f}" y="{y - 5:.1f}" class="count">{b.count}</text>')
        parts.append(
            f'<text x="{mid:.1f}" y="{_TOP + plot_h + 16}" class="tick">{escape(b.label)}</text>'
        )
    parts += [
        f'<text x="{_LEFT + plot_w / 2:.1f}" y="{_HEIGHT - 8}" class="axis-label">'
        f"{escape(x_label)}</text>",
        f'<text x="14" y="{_TOP + plot_h / 2:.1f}" class="axis-label"'
        f' transform="rotate(-90 14 {_TOP + plot_h / 2:.1f})">students</text>',
        "</svg>",
    ]
    return Markup("".join(parts))
