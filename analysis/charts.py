"""Charts of the published results (matplotlib, Agg; PNG and SVG), labels in a chosen language.

- key factor scores: % favourable per key factor and construct with its 95% Wilson interval
  (p = pct_favourable / 100, n = n_respondents: the same entry as in the gap), and the 0-100
  score as a dot;
- the perception gap per key factor (officials minus private sector) with its Newcombe interval;
- the trend per key factor (a wave minus the wave before) with its Newcombe interval; in both,
  a filled dot is significant (the interval excludes 0), a hollow one is not, as the legend says.

Each function draws a figure of its own, or into the `axes` given (a page of the PDF report,
`analysis.report`).

Suppressed values are never drawn: the row says "suppressed (n < k)". Figures are built with
`matplotlib.figure.Figure` (no pyplot state), so the web back end can draw them in threads.
Matplotlib 3.11 and later shape Arabic and lay it out right to left with the DejaVu Sans font it
ships; for right-to-left languages the charts are mirrored (bars grow leftwards, names on the
right).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis import labels
from analysis.intervals import wilson
from analysis.labels import label
from analysis.results import Results
from analysis.statistics import INDEX
from survey.i18n import is_right_to_left

CHART_FORMATS = ("png", "svg")
BLUE, ORANGE, GREY = "#1f5f8b", "#d9822b", "#8c8c8c"


def _survey_name(survey: str, language: str) -> str:
    return label(labels.SURVEYS[survey], language) if survey in labels.SURVEYS else survey


def _figure(rows: int, language: str, axes=None) -> tuple[Figure, object, bool]:
    """A figure of its own sized for `rows`, or the figure of `axes` (a page of the report)."""
    if axes is None:
        figure = Figure(figsize=(9, 1.2 + 0.42 * max(rows, 1)), layout="constrained")
        axes = figure.add_subplot()
    else:
        figure = axes.figure
    rtl = is_right_to_left(language)
    if rtl:
        axes.yaxis.tick_right()
    return figure, axes, rtl


def _suppressed_note(axes, y: float, language: str, k: int, rtl: bool) -> None:
    left, right = axes.get_xlim()
    axes.text(
        (left + right) / 2, y, label(labels.CHART_SUPPRESSED, language, k=k),
        va="center", ha="center", color=GREY, style="italic", fontsize=9,
    )  # fmt: skip


def factor_chart(
    factors: pd.DataFrame, administration: str, wave: str, survey: str, language: str, k: int,
    axes=None,
) -> Figure:  # fmt: skip
    rows = factors[
        (factors["administration"] == administration)
        & (factors["wave"] == wave)
        & (factors["survey"] == survey)
        & (factors["group_var"] == "")
        & (factors["factor"] != INDEX)
    ]
    figure, axes, rtl = _figure(len(rows), language, axes)
    y = np.arange(len(rows))[::-1]
    pct = rows["pct_favourable"].to_numpy(dtype=float)
    n = rows["n_respondents"].astype("Float64").fillna(0).to_numpy(dtype=float)
    low, high = wilson(pct / 100, n)
    shown = ~rows["suppressed"].astype(bool).to_numpy()
    axes.barh(y[shown], pct[shown], color=BLUE, alpha=0.85,
              label=label(labels.CHART_FAVOURABLE, language))  # fmt: skip
    axes.errorbar(pct[shown], y[shown], xerr=[pct[shown] - 100 * low[shown],
                  100 * high[shown] - pct[shown]], fmt="none", ecolor="black", capsize=3)  # fmt: skip
    axes.plot(rows["score"].to_numpy(dtype=float)[shown], y[shown], "o", color=ORANGE,
              label=label(labels.CHART_SCORE, language))  # fmt: skip
    axes.set_xlim(0, 100)
    for position in y[~shown]:
        _suppressed_note(axes, position, language, k, rtl)
    axes.set_yticks(y, rows["factor_name"].tolist())
    axes.set_xlabel(label(labels.CHART_FACTORS_AXIS, language))
    axes.set_title(label(labels.CHART_FACTORS_TITLE, language, administration=administration,
                         wave=wave, survey=_survey_name(survey, language)), loc="center")  # fmt: skip
    axes.legend(loc="lower right" if not rtl else "lower left", fontsize=8)
    if rtl:
        axes.invert_xaxis()
    return figure


def _difference_chart(rows: pd.DataFrame, title: str, language: str, k: int, axes=None) -> Figure:
    figure, axes, rtl = _figure(len(rows), language, axes)
    y = np.arange(len(rows))[::-1]
    shown = ~rows["suppressed"].astype(bool).to_numpy()
    difference = rows["difference"].to_numpy(dtype=float)
    low = rows["ci_low"].to_numpy(dtype=float)
    high = rows["ci_high"].to_numpy(dtype=float)
    significant = rows["significant"].fillna(False).astype(bool).to_numpy()
    axes.axvline(0, color=GREY, linewidth=1)
    # Filled: the 95% interval excludes 0 (significant); hollow: it does not. The legend says so.
    kinds = ((shown & significant, BLUE, labels.CHART_SIGNIFICANT),
             (shown & ~significant, "white", labels.CHART_NOT_SIGNIFICANT))  # fmt: skip
    for chosen, face, name in kinds:
        if not chosen.any():
            continue
        axes.errorbar(difference[chosen], y[chosen],
                      xerr=[difference[chosen] - low[chosen], high[chosen] - difference[chosen]],
                      fmt="o", color=BLUE, markerfacecolor=face, capsize=3,
                      label=label(name, language))  # fmt: skip
    reach = np.nanmax(np.abs(np.concatenate([low[shown], high[shown], [10.0]])))
    axes.set_xlim(-reach * 1.1, reach * 1.1)
    for position in y[~shown]:
        _suppressed_note(axes, position, language, k, rtl)
    axes.set_yticks(y, rows["factor_name"].tolist())
    axes.set_xlabel(label(labels.CHART_DIFFERENCE, language))
    axes.set_title(title)
    if shown.any():
        axes.legend(loc="lower right" if not rtl else "lower left", fontsize=8)
    if rtl:
        axes.invert_xaxis()
    return figure


def _key_factor_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[(table["item_id"] == "") & table["factor"].astype(str).str.isdigit()]


def gap_chart(
    gaps: pd.DataFrame, administration: str, wave: str, language: str, k: int, axes=None
) -> Figure:
    rows = _key_factor_rows(gaps)
    rows = rows[(rows["administration"] == administration) & (rows["wave"] == wave)]
    title = label(labels.CHART_GAP_TITLE, language, administration=administration, wave=wave)
    return _difference_chart(rows, title, language, k, axes)


def trend_chart(
    trends: pd.DataFrame, administration: str, survey: str, wave: str, language: str, k: int,
    axes=None,
) -> Figure:  # fmt: skip
    rows = _key_factor_rows(trends)
    rows = rows[
        (rows["administration"] == administration)
        & (rows["survey"] == survey)
        & (rows["wave"] == wave)
    ]
    earlier = rows["earlier_wave"].iloc[0] if len(rows) else ""
    title = label(labels.CHART_TREND_TITLE, language, survey=_survey_name(survey, language),
                  earlier=earlier, wave=wave, administration=administration)  # fmt: skip
    return _difference_chart(rows, title, language, k, axes)


def _file_name(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "_".join(parts))


def write_charts(
    results: Results, folder: Path | str, formats: tuple[str, ...] = CHART_FORMATS
) -> list[Path]:
    """Every chart of `results` into `folder`, in each of `formats`; the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    language, k = results.language, results.min_cell
    figures: list[tuple[str, Figure]] = []
    overall = results.factors[results.factors["group_var"] == ""]
    for key, _ in overall.groupby(["administration", "wave", "survey"], sort=False):
        administration, wave, survey = key
        figures.append((_file_name("factors", administration, wave, survey),
                        factor_chart(results.factors, administration, wave, survey, language, k)))  # fmt: skip
    for key, _ in _key_factor_rows(results.gaps).groupby(["administration", "wave"], sort=False):
        administration, wave = key
        figures.append((_file_name("gap", administration, wave),
                        gap_chart(results.gaps, administration, wave, language, k)))  # fmt: skip
    trends = _key_factor_rows(results.trends)
    for key, _ in trends.groupby(["administration", "survey", "wave"], sort=False):
        administration, survey, wave = key
        figures.append((_file_name("trend", administration, survey, wave),
                        trend_chart(results.trends, administration, survey, wave, language, k)))  # fmt: skip
    written = []
    for stem, figure in figures:
        for fmt in formats:
            path = folder / f"{stem}.{fmt}"
            metadata = {"Date": None} if fmt == "svg" else None
            figure.savefig(path, format=fmt, dpi=120, metadata=metadata)
            written.append(path)
    return written
