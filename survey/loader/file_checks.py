"""The checks of one questionnaire file on its own: its top-level keys, then each of its sections.

The sections are checked in the order a respondent meets them (demographics, items, then the
constructs that group the items), so that skip logic and constructs can refer to earlier questions.
"""

from __future__ import annotations

import re
from typing import Any

from survey.loader.constructs import check_constructs
from survey.loader.errors import ErrorReport
from survey.loader.questions import check_questions
from survey.questionnaire import Question, Questionnaire, Survey

QUESTIONNAIRE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

TOP_KEYS = {
    "id", "version", "survey", "title", "source_language", "counterpart", "allow_back",
    "demographics", "items", "constructs",
}  # fmt: skip


def check_questionnaire(report: ErrorReport, data: dict[str, Any]) -> Questionnaire | None:
    """The questionnaire of a parsed file, or None if `report` holds any error of it."""
    for key in sorted(set(data) - TOP_KEYS):
        report.error("questionnaire", f"unknown key '{key}'")
    qid = data.get("id")
    if not isinstance(qid, str) or not QUESTIONNAIRE_ID.match(qid):
        report.error("questionnaire", f"missing or malformed id {qid!r}")
    survey = data.get("survey")
    if survey not in set(Survey):
        report.error(
            "questionnaire", f"unknown survey {survey!r} (officials, private_sector, other)"
        )
    for key in ("version", "title", "source_language"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            report.error("questionnaire", f"missing '{key}'")
    counterpart = data.get("counterpart")
    if counterpart is not None and not isinstance(counterpart, str):
        report.error("questionnaire", "counterpart must be a questionnaire id")

    seen: dict[str, Question] = {}
    demographics = check_questions(report, data.get("demographics", []), "demographics", seen)
    items = check_questions(report, data.get("items", []), "items", seen)
    if not items:
        report.error("questionnaire", "no items")
    constructs = check_constructs(report, data.get("constructs", []), seen)
    if report.errors:
        return None
    return Questionnaire(
        id=qid,
        version=data["version"],
        survey=Survey(survey),
        title=data["title"],
        source_language=data["source_language"],
        counterpart=counterpart,
        allow_back=bool(data.get("allow_back", True)),
        demographics=demographics,
        items=items,
        constructs=constructs,
        path=report.path,
    )
