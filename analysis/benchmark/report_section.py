"""The country report's benchmark section (issue 23, item 4): "compared with N administrations
of the region", when the installation imported a host's published benchmark file
(`cips benchmark import`): per survey, each key factor's favourable share beside the median and
middle half of the region's administrations, the difference from the median (with its 95%
interval: the administration's own Wilson interval less the median), and a dot plot of
the distribution with this administration's own dot. Only the host's distributions and the
administration's own release are used: no other administration's figure exists here."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analysis.benchmark import texts
from analysis.benchmark.output import dot_plot
from analysis.intervals import wilson
from analysis.report.layout import Column

ROW = 0.24  # inches per row of a chart, as the report's other charts


def write_section(writer, payload: dict, region: str | None) -> None:
    """Add the section to the report being written by `writer` (an `analysis.report.sections.
    Writer`), from a host's benchmark `payload` and this installation's `region` of it."""
    region = region or ""
    counts = {r["region"]: r["administrations"] for r in payload["regions"]}
    count = counts.get(region, 0)
    heading = (writer.t(texts.REPORT_HEADING, count=count, region=region) if region
               else writer.t(texts.REPORT_HEADING_ALL, count=count))  # fmt: skip
    groups = pd.DataFrame(payload["groups"])
    chosen = groups[(groups["region"] == region) & (groups["level"] == "factor")
                    & (groups["measure"] == "pct_favourable") & ~groups["suppressed"]]  # fmt: skip
    if chosen.empty:
        return
    writer.doc.heading(heading)
    published = dt.datetime.fromisoformat(payload["published_at"]).date().isoformat()
    writer.doc.paragraph(writer.t(texts.REPORT_INTRO, host=payload["host"], date=published))
    administration = writer.release.administration
    for survey in writer.surveys:
        ours = writer.overall(survey)
        ours = ours[ours["factor"].astype(str).str.isdigit() & ~ours["suppressed"].astype(bool)]
        theirs = chosen[chosen["survey"] == survey].set_index("unit")
        rows = ours[ours["factor"].astype(str).isin(theirs.index)]
        if rows.empty:
            continue
        writer.doc.heading(writer.survey_name(survey), level=2)
        columns = [Column(writer.column("factor"), 4), Column(writer.t(texts.MEASURE_FAVOURABLE), 1.2, True),
                   Column(writer.t(texts.MEDIAN), 1.1, True), Column(writer.t(texts.CHART_QUARTILES), 1.6, True),
                   Column(writer.t(texts.REPORT_DIFFERENCE), 2.2, True)]  # fmt: skip
        table, distribution, values = [], [], []
        for record in rows.itertuples(index=False):
            group = theirs.loc[str(record.factor)]
            own = float(record.pct_favourable)
            table.append([record.factor_name, writer.number(own), writer.number(group["median"]),
                          writer.interval(group["q1"], group["q3"]),
                          self_difference(writer, own, int(record.n_respondents),
                                          group["median"])])  # fmt: skip
            distribution.append({"unit": str(record.factor), "name": record.factor_name,
                                 "q1": group["q1"], "median": group["median"],
                                 "q3": group["q3"], "suppressed": False})  # fmt: skip
            values.append({"unit": str(record.factor), "administration": administration,
                           "value": own})  # fmt: skip
        writer.doc.table(columns, table)
        frame, own_values = pd.DataFrame(distribution), pd.DataFrame(values)
        writer.doc.chart(0.95 + ROW * len(frame), lambda axes, f=frame, v=own_values: dot_plot(
            f, v, administration, "", writer.language, axes=axes), label_room=2.3)  # fmt: skip


def self_difference(writer, own: float, n: int, median: float) -> str:
    """The difference from the median, with its 95% interval: the administration's own Wilson
    interval less the median (the median taken as fixed)."""
    low, high = wilson(own / 100, n)
    difference = writer.number(own - median, "+0.0;−0.0")
    return (
        f"{difference} ({writer.interval(100 * float(low) - median, 100 * float(high) - median)})"
    )
