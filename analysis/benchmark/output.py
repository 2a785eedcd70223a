"""The benchmark as the host's benchmark role sees it, as CSV, XLSX or JSON (`cips benchmark
show`, the benchmark page's downloads), and its dot-plot chart.

CSV: one row per group and administration (the group's distribution repeated beside each
administration's value, rank and difference), then a row per group without any value, and a
row per left-out item or unit; XLSX: the sheets distributions, administrations, left_out; JSON:
the same three tables. Text a spreadsheet would run is neutralized (DESIGN.md, Anonymity 8).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.benchmark import texts
from analysis.benchmark.compute import GROUP_COLUMNS, Benchmark
from analysis.labels import label
from analysis.spreadsheets import CSV_LINE_END, safe_frame, xlsx_row
from survey.i18n import is_right_to_left

BLUE, ORANGE, GREY, LIGHT = "#1f5f8b", "#d9822b", "#8c8c8c", "#dce6ef"


def tables(bench: Benchmark, region: str | None = None) -> dict[str, pd.DataFrame]:
    """distributions, administrations and left_out, of one region (None: every scope)."""
    distributions, values = bench.distributions, bench.values
    if region is not None:
        distributions = distributions[distributions["region"] == region]
        values = values[values["region"] == region]
    return {"distributions": distributions.reset_index(drop=True),
            "administrations": values.reset_index(drop=True),
            "left_out": bench.excluded.reset_index(drop=True)}  # fmt: skip


def long_table(bench: Benchmark, region: str | None = None) -> pd.DataFrame:
    found = tables(bench, region)
    merged = found["administrations"].merge(found["distributions"], on=GROUP_COLUMNS, how="right")
    left_out = found["left_out"].assign(region="", suppressed=True)
    return pd.concat([merged, left_out], ignore_index=True)


def render(bench: Benchmark, fmt: str, region: str | None = None) -> bytes:
    """The benchmark's bytes in `fmt` (csv, xlsx or json)."""
    if fmt == "csv":
        buffer = io.StringIO()
        safe_frame(long_table(bench, region)).to_csv(buffer, index=False,
                                                     lineterminator=CSV_LINE_END)  # fmt: skip
        return buffer.getvalue().encode("utf-8")
    found = tables(bench, region)
    if fmt == "json":
        document = {"k": bench.min_cell,
                    **{name: json.loads(t.to_json(orient="records")) for name, t in found.items()}}  # fmt: skip
        return json.dumps(document, ensure_ascii=False, indent=1).encode()
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        for name, table in found.items():
            sheet = workbook.create_sheet(name)
            sheet.append(xlsx_row(sheet, list(table.columns)))
            for row in table.itertuples(index=False):
                sheet.append(xlsx_row(sheet, [None if pd.isna(v) else v for v in row]))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt}")


def write_view(bench: Benchmark, fmt: str, path: Path, region: str | None = None) -> int:
    """Write the view; how many groups are published in it."""
    path.write_bytes(render(bench, fmt, region))
    found = tables(bench, region)["distributions"]
    return int((~found["suppressed"].astype(bool)).sum())


def dot_plot(
    distributions: pd.DataFrame, values: pd.DataFrame, highlight: str | None, title: str,
    language: str, axes=None,
) -> Figure:  # fmt: skip
    """One row per group of `distributions` (same region, survey and measure): its middle half
    as a band, its median as a line, each administration of `values` a dot, `highlight`'s
    dot in colour. Suppressed groups are left empty."""
    rows = distributions.reset_index(drop=True)
    if axes is None:
        figure = Figure(figsize=(9, 1.4 + 0.42 * max(len(rows), 1)), layout="constrained")
        axes = figure.add_subplot()
    else:
        figure = axes.figure
    rtl = is_right_to_left(language)
    y = np.arange(len(rows))[::-1]
    for position, row in zip(y, rows.itertuples(index=False), strict=True):
        if row.suppressed:
            continue
        axes.barh(position, row.q3 - row.q1, left=row.q1, height=0.6, color=LIGHT,
                  label=label(texts.CHART_QUARTILES, language) if position == y[0] else None)  # fmt: skip
        axes.vlines(row.median, position - 0.35, position + 0.35, color="black", linewidth=2,
                    label=label(texts.CHART_MEDIAN, language) if position == y[0] else None)  # fmt: skip
        mine = values[(values["unit"] == row.unit) & values["value"].notna()]
        others = mine[mine["administration"] != highlight]
        axes.plot(others["value"], np.full(len(others), position), "o", color=GREY, alpha=0.7,
                  markersize=5,
                  label=label(texts.CHART_OTHERS, language) if position == y[0] else None)  # fmt: skip
        own = mine[mine["administration"] == highlight]
        axes.plot(own["value"], np.full(len(own), position), "o", color=ORANGE, markersize=9,
                  markeredgecolor="black",
                  label=highlight if position == y[0] and len(own) else None)  # fmt: skip
    axes.set_xlim(0, 100)
    axes.set_yticks(y, rows["name"].tolist())
    if rtl:
        axes.yaxis.tick_right()
        axes.invert_xaxis()
    axes.set_xlabel(label(texts.CHART_AXIS, language))
    axes.set_title(title, loc="center")
    if len(rows) and not rows["suppressed"].all():
        axes.legend(loc="lower right" if not rtl else "lower left", fontsize=8)
    return figure
