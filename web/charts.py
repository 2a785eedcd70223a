"""Server-side SVG charts (no JavaScript): responses started and completed per day (or per group
of days while few people answer: see survey.dashboard.days_grouped), on the campaign dashboard and
on a wave's results page.

The SVG scales to the width of the screen (viewBox), so it stays readable on a phone. It carries
its own legend (started, completed, and the grey mark of a suppressed count), a y-axis title and
its scale, and the dates of the bars along the x axis (each bar's, or every few bars' when there
are many); with few bars each carries its count, so that a chart of two or three bars at low
counts reads without hovering. A suppressed count is a grey mark with a tooltip instead of a bar.
In a right-to-left language time runs from right to left.
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from survey.dashboard import DayRow

WIDTH, HEIGHT = 640, 250
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 34, 34, 44
MAX_DATES = 8  # date labels along the x axis at most (ISO dates: ~60 px each)
MAX_VALUES = 14  # bars per chart up to which each carries its count


def _legend(labels: dict[str, str], rtl: bool, suppressed: bool) -> list[str]:
    keys = ["started", "completed", *(["suppressed"] if suppressed else [])]
    parts, x = [], (WIDTH - MARGIN_SIDE if rtl else MARGIN_SIDE)
    for key in keys:
        # Text widths are estimated (7 px a character at 11 px): a legend is a few words.
        width = 14 + 7 * len(labels[key]) + 14
        square = x - 10 if rtl else x
        text_x = x - 14 if rtl else x + 14
        anchor = "end" if rtl else "start"
        parts.append(
            f'<rect x="{square}" y="8" width="10" height="10" class="bar-{key}"/>'
            f'<text x="{text_x}" y="17" class="tick legend-text" text-anchor="{anchor}">'
            f"{escape(labels[key])}</text>"
        )
        x = x - width if rtl else x + width
    return parts


def daily_chart(per_day: tuple[DayRow, ...], labels: dict[str, str], rtl: bool = False) -> Markup:
    """`labels`: 'title', 'started', 'completed', 'suppressed', 'empty' and 'axis' (the y
    axis's title), already translated."""
    if not per_day:
        return Markup('<p class="muted">{}</p>').format(labels["empty"])
    shown = [v for d in per_day for v in (d.started, d.completed) if v is not None]
    peak = max([*shown, 1])
    plot_w = WIDTH - 2 * MARGIN_SIDE
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    base = HEIGHT - MARGIN_BOTTOM
    slot = plot_w / len(per_day)
    bar = min(24.0, max(1.0, slot * 0.4))
    counts = len(per_day) <= MAX_VALUES
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(labels["title"])}" xmlns="http://www.w3.org/2000/svg">',
        *_legend(labels, rtl, any(d.started is None or d.completed is None for d in per_day)),
        f'<line x1="{MARGIN_SIDE}" y1="{base}" x2="{WIDTH - MARGIN_SIDE}" y2="{base}" '
        f'class="axis"/>',
    ]
    scale_x, anchor = (MARGIN_SIDE - 4, "end") if not rtl else (WIDTH - MARGIN_SIDE + 4, "start")
    parts.append(f'<text x="{scale_x}" y="{base + 4}" class="tick" text-anchor="{anchor}">0</text>')
    if any(shown):  # the scale's top, unless no bar is drawn (every count suppressed)
        parts.append(
            f'<text x="{scale_x}" y="{MARGIN_TOP + 4}" class="tick" text-anchor="{anchor}">'
            f"{peak}</text>"
        )
    title_x = 12 if not rtl else WIDTH - 12
    parts.append(
        f'<text x="{title_x}" y="{MARGIN_TOP + plot_h / 2:.0f}" class="tick axis-title" '
        f'text-anchor="middle" transform="rotate(-90 {title_x} {MARGIN_TOP + plot_h / 2:.0f})">'
        f"{escape(labels['axis'])}</text>"
    )
    every = math.ceil(len(per_day) / MAX_DATES)
    for index, day in enumerate(per_day):
        position = len(per_day) - 1 - index if rtl else index
        x = MARGIN_SIDE + position * slot + (slot - 2 * bar) / 2
        for offset, key, value in (
            (0.0, "started", day.started),
            (bar, "completed", day.completed),
        ):
            title = escape(
                f"{day.label.replace('/', ' – ')}: {labels[key]} "
                f"{labels['suppressed'] if value is None else value}"
            )
            if value is None:
                parts.append(
                    f'<rect x="{x + offset:.1f}" y="{base - 6}" width="{bar:.1f}" '
                    f'height="6" class="bar-suppressed"><title>{title}</title></rect>'
                )
                continue
            height = plot_h * value / peak
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{base - height:.1f}" '
                f'width="{bar:.1f}" height="{height:.1f}" class="bar-{key}">'
                f"<title>{title}</title></rect>"
            )
            if counts:
                parts.append(
                    f'<text x="{x + offset + bar / 2:.1f}" y="{base - height - 3:.1f}" '
                    f'class="tick value" text-anchor="middle">{value}</text>'
                )
        if (len(per_day) - 1 - index) % every == 0:  # counted back: the latest is labelled
            parts.append(
                f'<text x="{MARGIN_SIDE + (position + 0.5) * slot:.1f}" y="{HEIGHT - 14}" '
                f'class="tick date" text-anchor="middle">{escape(day.date.isoformat())}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
