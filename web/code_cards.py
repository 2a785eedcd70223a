"""Access codes as files to hand out: a CSV (code, link) and printable cards (PDF, A4, ten a
page, cut along the lines), drawn with matplotlib's PDF backend (no pyplot: safe in threads).

No Flask here: `cips campaign codes` writes the same files.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

A4 = (8.27, 11.69)  # inches
COLUMNS, ROWS = 2, 5


@dataclass(frozen=True)
class CardText:
    """What every card says, already in the coordinator's language."""

    title: str  # the survey's title
    instruction: str  # "Open this address and type the code:"
    code_label: str  # "Access code"


def codes_csv(codes: list[str], link: str, warning: str | None = None) -> bytes:
    """`code,link`; with a `warning` (respondents may not reach the link: web.links), a third
    column repeats it on every row, where a spreadsheet shows it beside each link."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["code", "link", "warning"] if warning else ["code", "link"])
    writer.writerows([code, link, warning] if warning else [code, link] for code in codes)
    return buffer.getvalue().encode("utf-8")


def codes_pdf(codes: list[str], link: str, text: CardText, warning: str | None = None) -> bytes:
    """The cards; with a `warning` (respondents may not reach the link: web.links), a first page
    says it before any card is printed."""
    buffer = io.BytesIO()
    per_page = COLUMNS * ROWS
    with PdfPages(buffer, metadata={"Title": text.title, "Creator": "cips"}) as pdf:
        if warning:
            pdf.savefig(_warning_page(link, warning))
        for start in range(0, max(len(codes), 1), per_page):
            pdf.savefig(_page(codes[start : start + per_page], link, text))
    return buffer.getvalue()


def _warning_page(link: str, warning: str) -> Figure:
    figure = Figure(figsize=A4)
    figure.text(0.5, 0.6, link, ha="center", va="center", fontsize=12, family="monospace")
    figure.text(0.1, 0.5, warning, ha="left", va="top", fontsize=14, color="#b00020", wrap=True)
    return figure


def _page(codes: list[str], link: str, text: CardText) -> Figure:
    figure = Figure(figsize=A4)
    width, height = 1 / COLUMNS, 1 / ROWS
    for i, code in enumerate(codes):
        column, row = i % COLUMNS, i // COLUMNS
        x0, y0 = column * width, 1 - (row + 1) * height
        frame = figure.add_axes((x0 + 0.01, y0 + 0.005, width - 0.02, height - 0.01))
        frame.set_xticks([])
        frame.set_yticks([])
        for spine in frame.spines.values():
            spine.set_linestyle((0, (4, 4)))
            spine.set_color("#888888")
        frame.text(0.5, 0.82, text.title, ha="center", va="center", fontsize=10, wrap=True)
        frame.text(0.5, 0.62, text.instruction, ha="center", va="center", fontsize=8)
        frame.text(0.5, 0.47, link, ha="center", va="center", fontsize=9, family="monospace")
        frame.text(0.5, 0.28, text.code_label, ha="center", va="center", fontsize=8)
        frame.text(0.5, 0.13, code, ha="center", va="center", fontsize=18, family="monospace",
                   weight="bold")  # fmt: skip
    return figure
