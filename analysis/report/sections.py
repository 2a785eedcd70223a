"""The sections of the country report, each written from a wave's release tables: response
figures, the key factors ranked, the perception gap, the trend, the weakest statements, the
constructs, and the method. Only published figures are written: a suppressed row is shown as
suppressed, a survey below k as hidden, and nothing is computed from a suppressed value.

`Writer` is one class over ~150 lines on purpose: each method is one section, in the order the
report prints them, over the same release, document and surveys; split across classes they would
share that state unseen, and the report could no longer be read top to bottom in one place.
Labels and numbers in the report's language are `analysis.report.formatting`.
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.charts import factor_chart, gap_chart, trend_chart
from analysis.intervals import Z, wilson
from analysis.releases import Release
from analysis.report import texts
from analysis.report.formatting import Formatting
from analysis.report.layout import Column, Document
from analysis.statistics import INDEX
from survey.engine.questions import question_text
from survey.i18n import render
from survey.questionnaire import Questionnaire

SURVEY_ORDER = ("officials", "private_sector", "other")
WEAKEST = 5  # statements per survey
ROW = 0.24  # inches per row of a chart


class Writer(Formatting):
    """Writes one release into a `Document`, in the release's language."""

    def __init__(
        self, document: Document, release: Release, questionnaires: dict[str, Questionnaire]
    ):
        super().__init__(release.language)
        self.doc = document
        self.release = release
        self.results = release.results
        self.k = release.min_cell
        self.questionnaires = questionnaires
        self.surveys = [s for s in SURVEY_ORDER if s in release.questionnaire_ids]

    # The release's figures ----------------------------------------------------------------------

    def overall(self, survey: str) -> pd.DataFrame:
        factors = self.results.factors
        return factors[(factors["survey"] == survey) & (factors["group_var"] == "")]

    def published(self, survey: str) -> bool:
        rows = self.overall(survey)
        return bool(len(rows)) and not rows["suppressed"].astype(bool).all()

    # Sections -----------------------------------------------------------------------------------

    def response(self) -> None:
        self.doc.heading(self.t(texts.RESPONSE_HEADING))
        columns = [Column(self.column("survey"), 3), Column(self.column("n_respondents"), 1.4, True),
                   Column(self.t(texts.COMPLETED), 1.4, True),
                   Column(self.t(texts.MARGIN), 1.8, True), Column(self.t(texts.INDEX), 2.2, True)]  # fmt: skip
        rows, hidden = [], []
        for survey in self.surveys:
            completed = self.release.completed.get(survey, 0)
            index = self.overall(survey)
            index = index[index["factor"] == INDEX]
            if not self.published(survey):
                hidden.append(survey)
                rows.append([self.survey_name(survey), self.number(self.release.respondents[survey], "#,##0"),
                             self.number(completed, "#,##0"), "—", self.t(texts.SUPPRESSED, k=self.k)])  # fmt: skip
                continue
            margin = self._margin(survey, completed)
            score = index["score"].iloc[0] if len(index) else None
            rows.append([self.survey_name(survey), self.number(self.release.respondents[survey], "#,##0"),
                         self.number(completed, "#,##0"), f"± {self.number(margin)}",
                         self.number(score)])  # fmt: skip
        self.doc.table(columns, rows)
        note = texts.MARGIN_NOTE_WEIGHTED if self.release.weighted else texts.MARGIN_NOTE
        self.doc.paragraph(self.t(note), size=7.5, color="#444444")
        for survey in hidden:
            self.doc.paragraph(f"{self.survey_name(survey)}: {self.t(texts.HIDDEN, k=self.k)}")

    def _margin(self, survey: str, completed: int) -> float | None:
        """The widest 95% margin of a percentage of the completed responses, in points; with n
        their effective sample size when weighted (as the intervals use)."""
        n = float(completed)
        if self.release.weighted:
            effective = self.release.completed_effective or {}
            n = effective.get(survey, self._index_effective(survey))
        return 100 * Z * math.sqrt(0.25 / n) if n else None

    def _index_effective(self, survey: str) -> float:
        """The overall index's effective n: for a release stored before it held the completed
        responses' own."""
        index = self.overall(survey)
        index = index[index["factor"] == INDEX]
        return float(index["n_effective"].iloc[0]) if len(index) else 0.0

    def factors(self) -> None:
        self.doc.heading(self.t(texts.FACTORS_HEADING))
        self.doc.paragraph(self.t(texts.FACTORS_INTRO))
        for survey in self.surveys:
            self.doc.heading(self.survey_name(survey), level=2)
            if not self.published(survey):
                self.doc.paragraph(self.t(texts.HIDDEN, k=self.k))
                continue
            rows = self.overall(survey)
            key = rows[rows["factor"].astype(str).str.isdigit()]
            self._scores(key, ranked=True)
            drawn = rows[rows["factor"] != INDEX]  # key factors and constructs
            self.doc.chart(0.95 + ROW * len(drawn), lambda axes, s=survey: factor_chart(
                self.results.factors, self.release.administration, self.release.wave, s,
                self.language, self.k, axes=axes), label_room=2.3)  # fmt: skip

    def _scores(self, rows: pd.DataFrame, ranked: bool, name_key: str = "factor") -> None:
        shown = rows[~rows["suppressed"].astype(bool)]
        hidden = rows[rows["suppressed"].astype(bool)]
        if ranked:
            shown = shown.sort_values("pct_favourable", ascending=False, kind="stable")
        columns = [Column(self.column("rank"), 0.6, True), Column(self.column(name_key), 4),
                   Column(self.column("pct_favourable"), 1.3, True), Column(self.t(texts.INTERVAL), 1.5, True),
                   Column(self.column("score"), 1.2, True), Column(self.column("n"), 0.8, True)]  # fmt: skip
        out = []
        for rank, record in enumerate(shown.itertuples(index=False), start=1):
            n = int(record.n_respondents)
            low, high = wilson(float(record.pct_favourable) / 100, n)
            out.append([str(rank), record.factor_name,
                        self.number(record.pct_favourable), self.interval(100 * low, 100 * high),
                        self.number(record.score), self.number(n, "#,##0")])  # fmt: skip
        for record in hidden.itertuples(index=False):
            out.append(["", record.factor_name, self.t(texts.SUPPRESSED, k=self.k), "", "", ""])
        if not ranked:  # no rank column
            columns, out = columns[1:], [row[1:] for row in out]
        self.doc.table(columns, out)

    def gap(self) -> None:
        self.doc.heading(self.t(texts.GAP_HEADING))
        if not {"officials", "private_sector"} <= set(self.surveys):
            self.doc.paragraph(self.t(texts.GAP_ONE_SURVEY))
            return
        gaps = self.results.gaps
        rows = gaps[(gaps["item_id"] == "") & gaps["factor"].astype(str).str.isdigit()]
        if rows.empty or rows["suppressed"].astype(bool).all():
            self.doc.paragraph(self.t(texts.GAP_HIDDEN, k=self.k))
            return
        self.doc.paragraph(self.t(texts.GAP_INTRO))
        self._differences(rows, "officials_pct_favourable", "private_sector_pct_favourable",
                          self.survey_name("officials"), self.survey_name("private_sector"))  # fmt: skip
        self.doc.chart(0.95 + ROW * len(rows), lambda axes: gap_chart(
            gaps, self.release.administration, self.release.wave, self.language, self.k,
            axes=axes), label_room=2.3)  # fmt: skip

    def _differences(self, rows: pd.DataFrame, left: str, right: str, left_name: str,
                     right_name: str) -> None:  # fmt: skip
        columns = [Column(self.column("factor"), 3.6), Column(f"{left_name} (%)", 1.4, True),
                   Column(f"{right_name} (%)", 1.4, True), Column(self.column("difference"), 1.4, True),
                   Column(self.t(texts.INTERVAL), 1.6, True)]  # fmt: skip
        out = []
        for _, r in rows.iterrows():
            if bool(r["suppressed"]):
                out.append([r["factor_name"], self.t(texts.SUPPRESSED, k=self.k), "", "", ""])
                continue
            mark = " *" if bool(r["significant"]) else ""
            out.append([r["factor_name"], self.number(r[left]), self.number(r[right]),
                        self.number(r["difference"], "+0.0;-0.0") + mark,
                        self.interval(r["ci_low"], r["ci_high"])])  # fmt: skip
        self.doc.table(columns, out)
        self.doc.paragraph(self.t(texts.SIGNIFICANT), size=7.5, color="#444444")

    def trend(self) -> None:
        self.doc.heading(self.t(texts.TREND_HEADING))
        for weighted, unweighted in self.results.mixed_trends():  # README, "Weights"
            self.doc.paragraph(self.t(texts.MIXED_TREND, weighted=weighted, unweighted=unweighted))
        trends = self.results.trends
        trends = trends[(trends["item_id"] == "") & trends["factor"].astype(str).str.isdigit()]
        for survey in self.surveys:
            name = self.survey_name(survey)
            rows = trends[trends["survey"] == survey]
            if rows.empty:
                self.doc.paragraph(self.t(texts.NO_EARLIER, survey=name))
                continue
            earlier = str(rows["earlier_wave"].iloc[0])
            self.doc.heading(self.t(texts.TREND_SURVEY, survey=name, earlier=earlier,
                                    wave=self.release.wave), level=2)  # fmt: skip
            if rows["suppressed"].astype(bool).all():
                self.doc.paragraph(self.t(texts.HIDDEN, k=self.k))
                continue
            shown = rows[~rows["suppressed"].astype(bool)]
            changed = shown[shown["significant"].fillna(False).astype(bool)]
            self.doc.paragraph(self.t(texts.CHANGED if len(changed) else texts.UNCHANGED))
            for _, r in changed.iterrows():
                self.doc.paragraph("• " + self.t(
                    texts.CHANGE, factor=r["factor_name"],
                    difference=self.number(r["difference"], "+0.0;-0.0"),
                    before=self.number(r["pct_favourable_earlier"]), after=self.number(r["pct_favourable"])),
                    indent=0.15)  # fmt: skip
            self._differences(rows, "pct_favourable", "pct_favourable_earlier",
                              self.release.wave, earlier)  # fmt: skip
            self.doc.chart(0.95 + ROW * len(rows), lambda axes, s=survey: trend_chart(
                self.results.trends, self.release.administration, s, self.release.wave,
                self.language, self.k, axes=axes), label_room=2.3)  # fmt: skip

    def weakest(self) -> None:
        self.doc.heading(self.t(texts.WEAKEST_HEADING))
        self.doc.paragraph(self.t(texts.WEAKEST_INTRO))
        problems = self.results.problems
        for survey in self.surveys:
            self.doc.heading(self.survey_name(survey), level=2)
            rows = problems[(problems["survey"] == survey) & (problems["level"] == "item")]
            if not self.published(survey) or rows.empty:
                self.doc.paragraph(self.t(texts.HIDDEN, k=self.k))
                continue
            questionnaire = self.questionnaires.get(self.release.questionnaire_ids[survey])
            columns = [Column(self.column("rank"), 0.6, True), Column(self.t(texts.STATEMENT), 5.2),
                       Column(self.column("factor"), 2.2), Column(self.column("score"), 1.2, True),
                       Column(self.column("pct_favourable"), 1.3, True), Column(self.column("n"), 0.7, True)]  # fmt: skip
            out = []
            for r in rows.head(WEAKEST).itertuples(index=False):
                out.append([str(int(r.rank)), self._statement(questionnaire, r.item_id), r.factor_name,
                            self.number(r.score), self.number(r.pct_favourable),
                            self.number(r.n, "#,##0")])  # fmt: skip
            self.doc.table(columns, out)

    def _statement(self, questionnaire: Questionnaire | None, item_id: str) -> str:
        if questionnaire is None or not questionnaire.has_question(item_id):
            return item_id
        question = questionnaire.question(item_id)
        return f"{item_id}: {render(question_text(questionnaire, question), self.language)}"

    def constructs(self) -> None:
        units = {s: self.overall(s) for s in self.surveys}
        units = {s: r[~r["factor"].astype(str).str.isdigit() & (r["factor"] != INDEX)]
                 for s, r in units.items()}  # fmt: skip
        if not any(len(r) for r in units.values()):
            return
        self.doc.heading(self.t(texts.CONSTRUCTS_HEADING))
        self.doc.paragraph(self.t(texts.CONSTRUCTS_INTRO))
        for survey, rows in units.items():
            if rows.empty:
                continue
            self.doc.heading(self.survey_name(survey), level=2)
            if not self.published(survey):
                self.doc.paragraph(self.t(texts.HIDDEN, k=self.k))
                continue
            self._scores(rows, ranked=False, name_key="name")

    def method(self) -> None:
        self.doc.heading(self.t(texts.METHOD_HEADING))
        for text in texts.METHOD:
            self.doc.paragraph(self.t(text, k=self.k))
        if self.release.weighted:  # raking weights (analysis.weights)
            self.doc.paragraph(self.t(texts.WEIGHTED))
