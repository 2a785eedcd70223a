"""Whether an import's responses are in its wave already: a file exported from the wave, or
imported before, whatever its bytes (exports carry fresh random ids in random order, and may
hold labels in any language instead of codes).

Two responses are the same when they have the same language, the same completed flag and the
same answer codes to every question of the interchange format (a multiple choice compared as a
set of codes). The file's responses are matched against the released responses of the campaigns
of its administration, wave and questionnaire (which fixes the survey; a wave is scored by
questionnaire, `analysis.database`), each stored response matching at most one of the file's.
An import is refused when more than half of the file's responses that hold any answer are
matched: a re-import matches all of them, a file that adds a few people to an exported wave
nearly all, while a batch of other people matches only by chance, where two people gave the same
answers to every question (those who answered nothing at all match anything and are left out).

Anonymity (DESIGN.md): nothing is stored. The comparison is made in memory at import time,
against the answers as they are stored, so it creates no data about anyone; it reads only
released campaigns (closed: their responses published, `cips export` can write them), so a
refusal tells nothing of a campaign in fieldwork, and it says only counts and campaign codes.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import labels
from analysis.database import campaign_frame
from analysis.frames import FIXED_COLUMNS
from analysis.interchange import columns
from survey.i18n import Text, verbatim
from survey.questionnaire import MULTIPLE_CHOICE_SEPARATOR, Questionnaire
from survey.storage.models import Administration, Campaign

Response = tuple[str, bool, tuple[tuple[str, str], ...]]


def responses(frame: pd.DataFrame, questionnaire: Questionnaire) -> Counter[Response]:
    """The frame's responses that hold an answer, as (language, completed, sorted (question,
    code) pairs), counted; blank cells and columns the frame lacks are no answer alike."""
    questions = [q for q in columns(questionnaire)[len(FIXED_COLUMNS) :] if q in frame.columns]
    completed = frame["completed"].astype(str).str.lower() == "true"
    found: Counter[Response] = Counter()
    rows = zip(frame["language"], completed, *(frame[q] for q in questions), strict=True)
    for language, done, *cells in rows:
        answers = tuple(
            (question, _in_one_order(cell))
            for question, cell in zip(questions, cells, strict=True)
            if cell
        )
        if answers:
            found[(language, bool(done), answers)] += 1
    return found


def _in_one_order(cell: str) -> str:
    """A multiple choice's codes sorted (a single code stays as it is)."""
    return MULTIPLE_CHOICE_SEPARATOR.join(sorted(cell.split(MULTIPLE_CHOICE_SEPARATOR)))


def already_in_wave(
    session: Session, owner: Administration, questionnaire: Questionnaire, frame: pd.DataFrame
) -> Text | None:
    """Why the checked `frame` (one wave of `owner`) may not be imported, or None."""
    wave = frame["wave"].iloc[0]
    remaining = responses(frame, questionnaire)
    compared = remaining.total()
    query = (
        select(Campaign)
        .where(Campaign.administration_id == owner.id, Campaign.wave == wave)
        .where(Campaign.questionnaire_id == questionnaire.id, Campaign.closed_at.is_not(None))
        .order_by(Campaign.id)
    )
    matched, holders = 0, []
    for campaign in session.scalars(query):
        if not remaining:
            break
        common = remaining & responses(campaign_frame(session, [campaign], questionnaire),
                                       questionnaire)  # fmt: skip
        if common:
            matched += common.total()
            remaining -= common
            holders.append(campaign.code)
    if matched * 2 <= compared:
        return None
    args = {
        "matched": matched,
        "count": len(frame),
        "wave": verbatim(wave),
        "administration": verbatim(owner.code),
        "survey": Text(labels.SURVEYS[str(questionnaire.survey)]),
        "campaigns": verbatim(", ".join(holders)),
    }
    return Text(labels.ALREADY_IN_WAVE, args)
