"""Free-text answers, detached (DESIGN.md, Anonymity 4): `cips export --free-text`.

Typed answers may identify people, so they leave the product only as (question, text) rows:
never with a respondent id, a language, a status or any other answer, and in random order within
each question (shuffled with the operating system's randomness), so that neither the order of
the rows nor their position in two questions' lists ties two texts to one respondent. The
questions come in the order of the questionnaire; empty answers (skipped) are left out.

Only sealed responses are read (survey.sealing): a response still linkable to a contact (under
way, or waiting for its batch) gives no text.

The results page reads them a page at a time (`keyed_free_texts`), so its order must stay the
same from one request and one process to the next: there the texts are shuffled by sorting them
on a keyed digest of each text alone. The order is then a function of the set of texts and the
key, so it says nothing of the order they were stored in, nor of who wrote them.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.spreadsheets import write_csv, write_xlsx
from survey.questionnaire import Questionnaire, QuestionType
from survey.storage.models import Campaign, SealedAnswer, SealedResponse

COLUMNS = ["question", "text"]
SHEET = "free_text"


def free_texts(
    session: Session,
    campaign: Campaign,
    questionnaire: Questionnaire,
    *,
    shuffle: random.Random | None = None,
) -> pd.DataFrame:
    """The campaign's free-text answers as (question, text) rows, shuffled within each question.

    `shuffle` is for tests only; by default the order comes from `secrets.SystemRandom`.
    """
    shuffle = shuffle or secrets.SystemRandom()
    questions = [q.id for q in questionnaire.questions if q.type is QuestionType.TEXT]
    texts: dict[str, list[str]] = {question: [] for question in questions}
    # Only the question and the text are read: nothing else of the respondent reaches memory.
    found = session.execute(
        select(SealedAnswer.question_id, SealedAnswer.value)
        .join(SealedResponse, SealedResponse.id == SealedAnswer.response_id)
        .where(
            SealedResponse.campaign_id == campaign.id,
            SealedAnswer.question_id.in_(questions),
            SealedAnswer.value != "",
        )
    )
    for question, text in found:
        texts[question].append(text)
    rows = []
    for question in questions:
        shuffle.shuffle(texts[question])
        rows.extend((question, text) for text in texts[question])
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)


def keyed_free_texts(
    session: Session, campaigns: list[Campaign], questionnaire: Questionnaire, key: bytes
) -> dict[str, list[str]]:
    """The free-text answers of `campaigns` (of `questionnaire`) per text question, in the
    questionnaire's order, each list sorted on HMAC-SHA256(`key`, text): a shuffle that stays
    put between requests. Only the question and the text are read."""
    questions = [q.id for q in questionnaire.questions if q.type is QuestionType.TEXT]
    texts: dict[str, list[str]] = {question: [] for question in questions}
    if not questions or not campaigns:
        return texts
    found = session.execute(
        select(SealedAnswer.question_id, SealedAnswer.value)
        .join(SealedResponse, SealedResponse.id == SealedAnswer.response_id)
        .where(
            SealedResponse.campaign_id.in_([c.id for c in campaigns]),
            SealedAnswer.question_id.in_(questions),
            SealedAnswer.value != "",
        )
    )
    for question, text in found:
        texts[question].append(text)
    for question in questions:
        texts[question].sort(key=lambda t: hmac.digest(key, t.encode(), hashlib.sha256))
    return texts


def write_free_texts(frame: pd.DataFrame, path: Path | str, fmt: str) -> Path:
    """Write the (question, text) rows as "csv" or "xlsx", text a spreadsheet would run
    neutralized."""
    if fmt == "csv":
        return write_csv(frame, path)
    if fmt == "xlsx":
        return write_xlsx([COLUMNS, *frame.itertuples(index=False)], path, SHEET)
    raise ValueError(f"unknown format {fmt!r} (use csv or xlsx)")
