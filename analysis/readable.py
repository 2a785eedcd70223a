"""The result tables made readable in one language, for the workbook (`analysis.output`).

Before each column of codes (survey, item, key factor, breakdown question and category, level,
a KPI's measure) goes a column of what the code means, in the reader's language: the survey's name, the
statement of the item as the catalogs translate it, the key factor's name, the demographic
question and its answer. The code columns stay, so that a sheet can still be joined or filtered
on codes; CSV and JSON keep the bare columns of SCORING.md.

The texts come from the questionnaires of the rows (by administration, wave and survey; a row
without them, or a questionnaire no longer loaded, falls back to one of the same survey, then to
the code itself).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from analysis import labels
from analysis.labels import label, unit_name
from survey.engine.answers import option_label
from survey.engine.questions import question_text, title_text
from survey.i18n import render
from survey.questionnaire import Questionnaire

Key = tuple[str, str, str]  # administration, wave, survey

# The readable column put right before each code column.
READABLE = {
    "survey": "survey_name",
    "item_id": "statement",
    "linked_item_id": "linked_statement",
    "group_var": "group_question",
    "group_value": "group_label",
    "level": "level_name",
    "metric": "metric_name",
}
LEVELS = {"factor": labels.LEVEL_FACTOR, "item": labels.LEVEL_ITEM, "group": labels.LEVEL_GROUP}


class Vocabulary:
    """The names of the codes of some questionnaires, in one language (each looked up once)."""

    def __init__(self, questionnaires: Mapping[Key, Questionnaire], language: str):
        self.language = language
        self._exact = dict(questionnaires)
        self._by_id = {q.id: q for q in questionnaires.values()}
        self._by_survey: dict[str, Questionnaire] = {}
        for (_, _, survey), questionnaire in questionnaires.items():
            self._by_survey.setdefault(survey, questionnaire)  # the first one given
        self._names: dict[tuple, str] = {}

    def questionnaire(self, administration: str, wave: str, survey: str) -> Questionnaire | None:
        return self._exact.get((administration, wave, survey)) or self._by_survey.get(survey)

    def counterpart(self, questionnaire: Questionnaire | None) -> Questionnaire | None:
        if questionnaire is None or questionnaire.counterpart is None:
            return None
        return self._by_id.get(questionnaire.counterpart)

    def _once(self, key: tuple, make) -> str:
        if key not in self._names:
            self._names[key] = make()
        return self._names[key]

    def survey(self, survey: str) -> str:
        """The survey's name ("Customs officials"), else its questionnaire's title."""

        def make() -> str:
            if survey in labels.SURVEYS:
                return label(labels.SURVEYS[survey], self.language)
            questionnaire = self._by_survey.get(survey)
            return render(title_text(questionnaire), self.language) if questionnaire else survey

        return self._once(("survey", survey), make)

    def text(self, questionnaire: Questionnaire | None, question_id: str) -> str:
        """A question's text (an item's statement), as asked in this language; "" if unknown."""
        if not question_id or questionnaire is None or not questionnaire.has_question(question_id):
            return ""
        question = questionnaire.question(question_id)
        return self._once(
            ("text", questionnaire.id, question_id),
            lambda: render(question_text(questionnaire, question), self.language),
        )

    def answer(self, questionnaire: Questionnaire | None, question_id: str, code: str) -> str:
        """The label of a choice; the code itself when it is no choice (a residual group)."""
        if not code or questionnaire is None or not questionnaire.has_question(question_id):
            return code
        question = questionnaire.question(question_id)
        if code not in {c.code for c in question.choices}:
            return code
        return self._once(
            ("answer", questionnaire.id, question_id, code),
            lambda: render(option_label(questionnaire, question, code), self.language),
        )


def _survey_of(row: dict) -> str:
    if "survey" in row:
        return row["survey"]
    return "officials"  # the gaps table: item_id is the officials' item


def readable_table(table: pd.DataFrame, vocabulary: Vocabulary) -> pd.DataFrame:
    """`table` with a readable column before each code column it has (`READABLE`), and key
    factor names after the key factor codes where the table has no names."""
    if table.empty:
        return table
    records = table.to_dict("records")
    questionnaires = [
        vocabulary.questionnaire(r.get("administration", ""), r.get("wave", ""), _survey_of(r))
        for r in records
    ]
    made: dict[str, list[str]] = {}
    if "survey" in table.columns:
        made["survey_name"] = [vocabulary.survey(r["survey"]) for r in records]
    if "item_id" in table.columns:
        made["statement"] = [vocabulary.text(q, r["item_id"] or "")
                             for r, q in zip(records, questionnaires, strict=True)]  # fmt: skip
    if "linked_item_id" in table.columns:
        made["linked_statement"] = [
            vocabulary.text(vocabulary.counterpart(q), r["linked_item_id"] or "")
            for r, q in zip(records, questionnaires, strict=True)
        ]
    if "group_var" in table.columns:
        made["group_question"] = [vocabulary.text(q, r["group_var"] or "")
                                  for r, q in zip(records, questionnaires, strict=True)]  # fmt: skip
        made["group_label"] = [
            vocabulary.answer(q, r["group_var"] or "", str(r["group_value"] or ""))
            for r, q in zip(records, questionnaires, strict=True)
        ]
    if "level" in table.columns:
        made["level_name"] = [label(LEVELS[r["level"]], vocabulary.language)
                              if r["level"] in LEVELS else r["level"] for r in records]  # fmt: skip
    if "metric" in table.columns:  # the KPI table's measures, named as the columns they come from
        made["metric_name"] = [label(labels.COLUMNS[r["metric"]], vocabulary.language)
                               if r["metric"] in labels.COLUMNS else r["metric"]
                               for r in records]  # fmt: skip
    out = table.copy()
    if "factor" in table.columns and "factor_name" not in table.columns:
        names = {f: unit_name(str(f), None, vocabulary.language) for f in table["factor"].unique()}
        out.insert(out.columns.get_loc("factor") + 1, "factor_name", out["factor"].map(names))
    for code, readable in READABLE.items():
        if readable in made:
            out.insert(out.columns.get_loc(code), readable, made[readable])
    return out
