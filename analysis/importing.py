"""`cips import`: an earlier wave in the interchange format, stored as a closed campaign.

The file is read and every cell checked first; only a file without a single problem is stored,
in the caller's one transaction, as sealed responses (so imported and live data are analysed the
same way, and an imported wave is as anonymous as a sealed one: DESIGN.md, Anonymity 3). Every
respondent gets a new random id and the rows are stored in random order: the file's ids (which
another tool may have derived from something identifying) and its row order are not kept. The campaign's default code ends
with a digest of the file, so importing the same file twice is refused; so is a file whose
responses are mostly in the wave already, whatever its bytes (`analysis.repeats`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from analysis import labels
from analysis.frames import FIXED_COLUMNS
from analysis.interchange import FileProblem, read_raw
from analysis.repeats import already_in_wave
from analysis.validation import InvalidFile, Problem, read_and_validate
from survey.campaigns import create_campaign
from survey.i18n import Text
from survey.limits import ImportLimits
from survey.questionnaire import Questionnaire
from survey.storage.models import (
    Administration,
    Campaign,
    SealedAnswer,
    SealedResponse,
    SealedStatus,
    random_id,
    utcnow,
)

SOURCE_TAG = "import"
_SHORT = {"officials": "off", "private_sector": "ps"}


@dataclass(frozen=True)
class Imported:
    campaign: str
    respondents: int
    completed: int


def _refuse(text: Text, path: Path) -> InvalidFile:
    return InvalidFile([Problem(0, "", text)], path.name)


def file_digest(path: Path) -> str:
    """The file's SHA-256, read in chunks (the file is never held whole)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def default_code(administration: str, wave: str, questionnaire: Questionnaire, digest: str) -> str:
    digest = digest[:10]
    prefix = f"{administration}-{wave}-{_SHORT.get(questionnaire.survey, 'q')}-import"
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", prefix).lower()[: 64 - len(digest) - 1]
    return f"{prefix}-{digest}"


def import_file(
    session: Session,
    path: Path | str,
    questionnaire: Questionnaire,
    *,
    administration: str | None = None,
    wave: str | None = None,
    labels_language: str | None = None,
    code: str | None = None,
    limits: ImportLimits | None = None,
    allow_duplicates: bool = False,
) -> Imported:
    """Check `path` and store it as a new closed campaign; `InvalidFile` lists every problem
    (nothing is written then). A file beyond `limits` (default: the settings) is refused
    before it is read, and one whose responses are mostly in the wave already (exported from
    it, imported before) unless `allow_duplicates`."""
    path = Path(path)
    try:
        raw = read_raw(path, limits)
    except FileProblem as exc:
        raise _refuse(exc.text, path) from exc
    frame = read_and_validate(raw, questionnaire, administration=administration, wave=wave,
                              labels_language=labels_language, file=path.name)  # fmt: skip
    administration = frame["administration"].iloc[0]
    wave = frame["wave"].iloc[0]
    owner = session.scalar(select(Administration).where(Administration.code == administration))
    if owner is None:
        raise _refuse(Text(labels.NO_ADMINISTRATION, {"code": administration}), path)
    code = code or default_code(administration, wave, questionnaire, file_digest(path))
    if session.scalar(select(Campaign.id).where(Campaign.code == code)) is not None:
        raise _refuse(Text(labels.ALREADY_IMPORTED, {"campaign": code}), path)
    if not allow_duplicates and (repeated := already_in_wave(session, owner, questionnaire, frame)):
        raise _refuse(repeated, path)
    campaign = create_campaign(session, owner, questionnaire, wave, code=code)
    campaign.closed_at = utcnow()
    store_responses(session, campaign, frame)
    completed = int(frame["completed"].sum())
    return Imported(campaign.code, len(frame), completed)


def store_responses(session: Session, campaign: Campaign, frame: pd.DataFrame) -> None:
    """Insert a checked frame of codes as one sealed batch of `campaign`, in random order."""
    frame = frame.sample(frac=1, random_state=secrets.randbits(32)).reset_index(drop=True)
    ids = [random_id() for _ in range(len(frame))]
    responses = [
        {
            "id": rid,
            "campaign_id": campaign.id,
            "batch": 1,
            "language": language,
            "status": SealedStatus.COMPLETED if completed else SealedStatus.CUT_OFF,
            "source_tag": SOURCE_TAG,
        }
        for rid, language, completed in zip(ids, frame["language"], frame["completed"], strict=True)
    ]
    session.execute(insert(SealedResponse), responses)
    questions = [c for c in frame.columns if c not in FIXED_COLUMNS]
    cells = frame[questions].set_axis(ids).rename_axis("response_id").reset_index()
    long = cells.melt(id_vars="response_id", var_name="question_id", value_name="value")
    long = long[long["value"] != ""]
    if len(long):
        session.execute(insert(SealedAnswer), long.to_dict("records"))
