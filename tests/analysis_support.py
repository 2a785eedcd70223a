"""Small hand-made questionnaires and response sets for the analysis tests."""

from __future__ import annotations

import pandas as pd

from analysis.frames import build_response_set
from survey.questionnaire import Choice, Construct, Question, Questionnaire, QuestionType, Survey

GROUPS = (Choice("a", "A"), Choice("b", "B"), Choice("c", "C"))


def agreement(item_id: str, factor: int, reverse: bool = False, link: str | None = None):
    return Question(item_id, QuestionType.AGREEMENT, item_id, factor=factor, reverse=reverse,
                    link=link)  # fmt: skip


def questionnaire(
    items: list[Question],
    survey: Survey = Survey.OFFICIALS,
    constructs: tuple[Construct, ...] = (),
    qid: str = "tiny",
) -> Questionnaire:
    group = Question("group", QuestionType.SINGLE_CHOICE, "Group?", demographic=True,
                     choices=GROUPS)  # fmt: skip
    return Questionnaire(
        id=qid,
        version="1",
        survey=survey,
        title="Tiny",
        source_language="en",
        demographics=(group,),
        items=tuple(items),
        constructs=constructs,
    )


def response_set(
    q: Questionnaire,
    answers: dict[str, list[str]],
    groups: list[str] | None = None,
    administration: str = "XX",
    wave: str = "1",
):
    """A response set from columns of interchange codes ("1".."5", "DK", "PNA", "")."""
    n = len(next(iter(answers.values())))
    frame = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(n)],
            "language": "en",
            "completed": True,
            "group": groups if groups is not None else ["a"] * n,
            **answers,
        }
    )
    return build_response_set(q, administration, wave, frame)
