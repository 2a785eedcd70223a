"""A4 pages drawn with matplotlib alone: headings, wrapped paragraphs, tables and charts laid
out top to bottom, a new page when the next block does not fit, mirrored for right-to-left
languages (text anchored on the right, the first column of a table on the right).

Text is placed with `Figure.text` (matplotlib 3.11 shapes Arabic and orders it right to left
with the DejaVu Sans it ships); lines are wrapped here, by an estimate of the characters that
fit, so that a right-to-left paragraph breaks between words like any other.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

WIDTH, HEIGHT = 8.27, 11.69  # A4, inches
MARGIN, TOP, BOTTOM = 0.75, 0.8, 0.8
CHAR_WIDTH = 0.58  # of the font size: DejaVu Sans' mean advance, a little generous
LINE = 1.45  # line height, of the font size
GREY = "#555555"
RULE = "#999999"
# Fixed metadata and TrueType (Type 42) fonts: the same bytes on every run, and text that a
# reader (or a test) can extract, Arabic included.
METADATA = {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": "cips"}
STYLE = {"pdf.fonttype": 42, "font.family": "DejaVu Sans", "font.size": 8}


def _points(size: float) -> float:
    return size / 72


@dataclass(frozen=True)
class Column:
    """A table column: its header, share of the width, and whether it holds numbers (aligned
    on their far edge)."""

    header: str
    width: float
    numeric: bool = False


class Document:
    """Pages of one report, filled top to bottom."""

    def __init__(self, rtl: bool, title: str) -> None:
        self.rtl = rtl
        self.title = title
        self.pages: list[Figure] = []
        self.y = 0.0  # inches from the top of the current page
        self._new_page()

    # Geometry -----------------------------------------------------------------------------

    @property
    def usable(self) -> float:
        return WIDTH - 2 * MARGIN

    def _new_page(self) -> None:
        self.pages.append(Figure(figsize=(WIDTH, HEIGHT)))
        self.y = TOP

    def _room(self, height: float) -> None:
        """A new page unless `height` inches still fit on this one (a page never stays empty)."""
        if self.y + height > HEIGHT - BOTTOM and self.y > TOP:
            self._new_page()

    def space(self, inches: float) -> None:
        self.y += inches

    def _x(self, inches: float) -> float:
        """A distance from the start of the line (left, or right in RTL) as a figure fraction."""
        x = MARGIN + inches
        return 1 - x / WIDTH if self.rtl else x / WIDTH

    def _put(self, x: float, text: str, size: float, ha: str = "start", **style) -> None:
        """`text` with its baseline-ish top at the cursor, `x` inches into the line."""
        if ha == "start":
            ha = "right" if self.rtl else "left"
        elif ha == "end":
            ha = "left" if self.rtl else "right"
        page = self.pages[-1]
        page.text(self._x(x), 1 - self.y / HEIGHT, text, ha=ha, va="top", fontsize=size, **style)

    @staticmethod
    def wrap(text: str, width_inches: float, size: float) -> list[str]:
        chars = max(8, int(width_inches / _points(size * CHAR_WIDTH)))
        return textwrap.wrap(text, chars) or [""]

    # Blocks ---------------------------------------------------------------------------------

    def heading(self, text: str, level: int = 1) -> None:
        size = {0: 18, 1: 13, 2: 10.5}[level]
        lines = self.wrap(text, self.usable, size)
        self._room(len(lines) * _points(size * LINE) + 0.9)  # keep a heading with what follows
        self.space(_points(size * (0.9 if level else 0)))
        for line in lines:
            self._put(0, line, size, weight="bold")
            self.y += _points(size * LINE)

    def paragraph(self, text: str, size: float = 9, indent: float = 0, **style) -> None:
        for line in self.wrap(text, self.usable - indent, size):
            self._room(_points(size * LINE))
            self._put(indent, line, size, **style)
            self.y += _points(size * LINE)
        self.space(_points(size * 0.5))

    def table(self, columns: list[Column], rows: list[list[str]], size: float = 8) -> None:
        """A table with a bold header (repeated on a new page) and thin rules."""
        total = sum(c.width for c in columns)
        widths = [self.usable * c.width / total for c in columns]
        starts = [sum(widths[:i]) for i in range(len(widths))]
        pad = 0.06

        def cells(values: list[str], bold: bool) -> None:
            wrapped = [self.wrap(v, w - 2 * pad, size) for v, w in zip(values, widths, strict=True)]
            height = max(len(w) for w in wrapped) * _points(size * LINE) + 0.06
            self._room(height)
            if self.y == TOP and not bold:
                cells([c.header for c in columns], True)
            top = self.y
            for lines, column, start, width in zip(wrapped, columns, starts, widths, strict=True):
                self.y = top + 0.03
                for line in lines:
                    x, ha = (
                        (start + width - pad, "end") if column.numeric else (start + pad, "start")
                    )
                    self._put(x, line, size, ha=ha, weight="bold" if bold else "normal")
                    self.y += _points(size * LINE)
            self.y = top + height
            self._rule(width=0.8 if bold else 0.3)

        self._room(3 * _points(size * LINE) + 0.2)
        self._rule(width=0.8)
        cells([c.header for c in columns], True)
        for row in rows:
            cells(row, False)
        self.space(0.15)

    def _rule(self, width: float) -> None:
        y = 1 - self.y / HEIGHT
        line = Line2D([MARGIN / WIDTH, 1 - MARGIN / WIDTH], [y, y], color=RULE, linewidth=width)
        self.pages[-1].add_artist(line)

    def chart(self, height: float, draw: Callable[[object], None], label_room: float) -> None:
        """A chart `height` inches tall drawn by `draw(axes)`, with `label_room` inches kept for
        the names of its rows (on the right in RTL, where the charts put them)."""
        self._room(height)
        bottom = 1 - (self.y + height) / HEIGHT
        width = self.usable - label_room - 0.1
        start = MARGIN + (0.1 if self.rtl else label_room)
        axes = self.pages[-1].add_axes(
            (start / WIDTH, bottom + 0.55 / HEIGHT, width / WIDTH, (height - 0.95) / HEIGHT)
        )
        draw(axes)
        self.y += height + 0.1

    # Output -----------------------------------------------------------------------------------

    def pdf(self, page_label: Callable[[int, int], str]) -> bytes:
        """The pages as one PDF, each with its footer; the same bytes for the same content."""
        buffer = io.BytesIO()
        count = len(self.pages)
        metadata = {**METADATA, "Title": self.title}
        with matplotlib.rc_context(STYLE), PdfPages(buffer, metadata=metadata) as pdf:
            for number, page in enumerate(self.pages, start=1):
                y = BOTTOM / 2 / HEIGHT
                page.text(self._x(0), y, self.title, ha="right" if self.rtl else "left",
                          fontsize=7, color=GREY)  # fmt: skip
                page.text(self._x(self.usable), y, page_label(number, count),
                          ha="left" if self.rtl else "right", fontsize=7, color=GREY)  # fmt: skip
                pdf.savefig(page)
        return buffer.getvalue()
