"""Sealed responses read into interchange frames and tidy frames.

Only released campaigns are read: a campaign's sealed responses are published once, when it
closes; there are no interim results, since two reads during fieldwork would differ by fewer
than k people (DESIGN.md, Anonymity 7). Live campaigns and imported waves are stored alike, so
both are analysed alike. A wave is every
campaign of one administration with the same wave label and questionnaire: responses collected
on Telegram and on tablets in the same wave are scored together.

Responses are listed by their random id, given at sealing (so the order says nothing about when
anyone answered), and the exported `respondent_id` is that id: it names no person and no chat.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import labels
from analysis.frames import AnalysisError, Dataset, ResponseSet, build_response_set
from analysis.interchange import columns
from analysis.quality import COLUMN as STRAIGHTLINER
from analysis.quality import frame_flags
from survey.engine.messages import SCALE_LABELS
from survey.i18n import Text, render
from survey.loader import load_questionnaires
from survey.questionnaire import MULTIPLE_CHOICE_SEPARATOR, Questionnaire, QuestionType
from survey.storage.models import (
    Administration,
    Campaign,
    SealedAnswer,
    SealedResponse,
    SealedStatus,
)


def _tuples(result) -> list[tuple]:
    """Rows as plain tuples: pandas builds a frame from SQLAlchemy `Row` objects about four
    times slower (it probes every row for namedtuple fields)."""
    return [tuple(row) for row in result]


def campaign_frame(
    session: Session,
    campaigns: list[Campaign],
    questionnaire: Questionnaire,
) -> pd.DataFrame:
    """The interchange frame (codes, text cells) of the respondents of `campaigns` (no free
    text: see `analysis.free_text`), with the `straightliner` flag last (`analysis.quality`)."""
    ids = [c.id for c in campaigns]
    query = select(SealedResponse.id, SealedResponse.language, SealedResponse.status).where(
        SealedResponse.campaign_id.in_(ids)
    )
    people = pd.DataFrame(_tuples(session.execute(query.order_by(SealedResponse.id))),
                          columns=["respondent_id", "language", "status"])  # fmt: skip
    wanted = columns(questionnaire)[7:]
    answers = pd.DataFrame(
        _tuples(
            session.execute(
                select(SealedAnswer.response_id, SealedAnswer.question_id, SealedAnswer.value)
                .join(SealedResponse, SealedResponse.id == SealedAnswer.response_id)
                .where(SealedResponse.campaign_id.in_(ids), SealedAnswer.question_id.in_(wanted))
            )
        ),
        columns=["respondent_id", "question_id", "value"],
    )
    grid = np.full((len(people), len(wanted)), "", dtype=object)
    if len(answers):
        rows = pd.Index(people["respondent_id"]).get_indexer(answers["respondent_id"])
        cols = pd.Index(wanted).get_indexer(answers["question_id"])
        keep = rows >= 0
        grid[rows[keep], cols[keep]] = answers["value"].to_numpy(dtype=object)[keep]
    administration = campaigns[0].administration.code if campaigns else ""
    fixed = pd.DataFrame(
        {
            "respondent_id": people["respondent_id"].astype(object),
            "questionnaire": questionnaire.id,
            "survey": str(questionnaire.survey),
            "administration": administration,
            "wave": campaigns[0].wave if campaigns else "",
            "language": people["language"].astype(object),
            "completed": np.where(people["status"] == SealedStatus.COMPLETED, "true", "false"),
        }
    )
    frame = pd.concat([fixed, pd.DataFrame(grid, columns=wanted)], axis=1)
    # Derived from the answers on the row, so it tells nothing the row does not (issue 20).
    frame[STRAIGHTLINER] = frame_flags(frame, questionnaire)
    return frame


def with_labels(frame: pd.DataFrame, questionnaire: Questionnaire, language: str) -> pd.DataFrame:
    """Answer codes replaced by their labels in `language` (choices joined by ';')."""
    out = frame.copy()
    for question in questionnaire.questions:
        if question.id not in out.columns or not question.codes:
            continue
        if question.type is QuestionType.AGREEMENT:
            names = {code: render(Text(SCALE_LABELS[code]), language) for code in question.codes}
        else:
            names = {
                c.code: render(
                    Text(c.label, context=f"{questionnaire.id}:{question.id}:{c.code}"), language
                )
                for c in question.choices
            }
        names[""] = ""
        if question.type is QuestionType.MULTIPLE_CHOICE:
            out[question.id] = [
                MULTIPLE_CHOICE_SEPARATOR.join(names[c] for c in v.split(MULTIPLE_CHOICE_SEPARATOR))
                if v else ""
                for v in out[question.id]
            ]  # fmt: skip
        else:
            out[question.id] = out[question.id].map(names)
    return out


def export_campaign(
    session: Session,
    campaign: Campaign,
    questionnaire: Questionnaire,
    *,
    labels: str | None = None,
) -> pd.DataFrame:
    """One campaign's respondents in the interchange format, with codes or labels."""
    frame = campaign_frame(session, [campaign], questionnaire)
    return with_labels(frame, questionnaire, labels) if labels else frame


def load_database(
    session: Session,
    *,
    administration: str | None = None,
    wave: str | None = None,
    campaign: str | None = None,
    questionnaires: dict[str, Questionnaire] | None = None,
) -> Dataset:
    """The stored responses as a `Dataset`: every wave of every administration, or only those
    named. A wave gathers every campaign of its administration, wave label and questionnaire."""
    questionnaires = questionnaires if questionnaires is not None else load_questionnaires()
    # Released campaigns only: a campaign's responses are published once, when it closes
    # (DESIGN.md, Anonymity 7); imported waves are closed at import.
    query = select(Campaign).join(Administration).where(Campaign.closed_at.is_not(None))
    if administration is not None:
        query = query.where(Administration.code == administration)
    if wave is not None:
        query = query.where(Campaign.wave == wave)
    if campaign is not None:
        query = query.where(Campaign.code == campaign)
    waves: dict[tuple[str, str, str], list[Campaign]] = defaultdict(list)
    for found in session.scalars(query.order_by(Campaign.id)):
        waves[(found.administration.code, found.wave, found.questionnaire_id)].append(found)
    sets: list[ResponseSet] = []
    for (code, label, questionnaire_id), campaigns in waves.items():
        if questionnaire_id not in questionnaires:
            args = {"campaign": campaigns[0].code, "questionnaire": questionnaire_id}
            raise AnalysisError(Text(labels.QUESTIONNAIRE_NOT_LOADED, args))
        questionnaire = questionnaires[questionnaire_id]
        frame = campaign_frame(session, campaigns, questionnaire)
        frame["completed"] = frame["completed"] == "true"
        sets.append(build_response_set(questionnaire, code, label, frame))
    return Dataset(sets)
