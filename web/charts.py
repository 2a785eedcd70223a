"""Server-side SVG charts (no JavaScript): responses started and completed per day (or per group
of days while few people answer: see survey.dashboard._per_day).

The SVG scales to the width of the screen (viewBox), so it stays readable on a phone; a day
whose count is suppressed is drawn as a grey mark with a tooltip instead of a bar. In a
right-to-left language time runs from right to left.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from survey.dashboard import DayRow

WIDTH, HEIGHT = 640, 220
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 16, 28, 36


def daily_chart(per_day: tuple[DayRow, ...], labels: dict[str, str], rtl: bool = False) -> Markup:
    """`labels`: 'started', 'completed', 'suppressed', 'empty' (already translated)."""
    if not per_day:
        return Markup('<p class="muted">{}</p>').format(labels["empty"])
    shown = [v for d in per_day for v in (d.started, d.completed) if v is not None]
    peak = max([*shown, 1])
    plot_w = WIDTH - 2 * MARGIN_SIDE
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / len(per_day)
    bar = min(24.0, max(1.0, slot * 0.4))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(labels["title"])}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{MARGIN_SIDE}" y1="{HEIGHT - MARGIN_BOTTOM}" x2="{WIDTH - MARGIN_SIDE}" '
        f'y2="{HEIGHT - MARGIN_BOTTOM}" class="axis"/>',
    ]
    if any(shown):  # the scale's top, unless no bar is drawn (every count suppressed)
        parts.append(
            f'<text x="{MARGIN_SIDE - 4 if not rtl else WIDTH - MARGIN_SIDE + 4}" '
            f'y="{MARGIN_TOP + 4}" class="tick" text-anchor="{"end" if not rtl else "start"}">'
            f"{peak}</text>"
        )
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
                    f'<rect x="{x + offset:.1f}" y="{HEIGHT - MARGIN_BOTTOM - 6}" width="{bar:.1f}" '
                    f'height="6" class="bar-suppressed"><title>{title}</title></rect>'
                )
                continue
            height = plot_h * value / peak
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{HEIGHT - MARGIN_BOTTOM - height:.1f}" '
                f'width="{bar:.1f}" height="{height:.1f}" class="bar-{key}">'
                f"<title>{title}</title></rect>"
            )
    first, last = per_day[0].date.isoformat(), per_day[-1].last.isoformat()
    left, right = (last, first) if rtl else (first, last)
    parts += [
        f'<text x="{MARGIN_SIDE}" y="{HEIGHT - 8}" class="tick">{escape(left)}</text>',
        f'<text x="{WIDTH - MARGIN_SIDE}" y="{HEIGHT - 8}" class="tick" text-anchor="end">'
        f"{escape(right)}</text>",
        "</svg>",
    ]
    return Markup("".join(parts))
