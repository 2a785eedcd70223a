"""Sealing: finished responses leave the tables where a contact could lead to them.

DESIGN.md, Anonymity 3. While someone is mid-survey their contact leads to their `Respondent`
row (delivery needs it). Once a response ends (completed, withdrawn, or cut off by the close) it
waits there, still linkable, until at least k finished responses of its campaign wait; then all of
them are sealed together, in one transaction:

- copied into `sealed_responses` / `sealed_answers` in random order, under fresh random ids,
  without any date or time, all with the same batch number;
- their participation marks written to `participations`, in another random order;
- their channels added to the campaign's sealed channel counters (survey.channels): the sealed
  responses carry none;
- the originals deleted.

At close, everything left is sealed, responses still under way as cut off. If fewer than k are
left, they join the campaign's last batch and the two are sealed again as one, with fresh ids
(a campaign with fewer than k finished responses in all is sealed as one small batch, and
publishes no respondent-level data).

Deleting is not forgetting: SQLite keeps deleted rows in free pages and in its write-ahead log,
PostgreSQL keeps dead row versions until they are vacuumed. `wipe` runs after a seal has
committed: SQLite databases run with `secure_delete` (deleted content is overwritten with zeros,
see survey.storage.db), and the write-ahead log is checkpointed and truncated; on PostgreSQL the
small pre-seal tables are rewritten (`VACUUM FULL`: a plain VACUUM frees dead rows without
zeroing them).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from survey import channels
from survey.storage.db import Database
from survey.storage.models import (
    FINISHED,
    Answer,
    Campaign,
    Participation,
    Respondent,
    RespondentStatus,
    SealedAnswer,
    SealedResponse,
    SealedStatus,
    random_id,
)

log = logging.getLogger(__name__)

# Tables whose deleted rows held a link between a person and a response (or the content that
# travelled with it): rewritten on PostgreSQL after a seal. Each stays small: it holds only what
# is under way.
PRE_SEAL_TABLES = ("respondents", "answers", "contacts", "outbox", "handled_updates")
SEALED_TABLES = ("sealed_responses", "sealed_answers", "participations")
_SHUFFLE = random.SystemRandom()  # the order of a batch must not be reproducible

_SEALED_STATUS = {
    RespondentStatus.COMPLETED: SealedStatus.COMPLETED,
    RespondentStatus.WITHDRAWN: SealedStatus.WITHDRAWN,
    RespondentStatus.IN_PROGRESS: SealedStatus.CUT_OFF,
}


@dataclass
class _Response:
    language: str
    status: str
    position: str | None
    source_tag: str | None
    answers: dict[str, str] = field(default_factory=dict)


def waiting(session: Session) -> dict[int, int]:
    """Finished responses waiting for their seal, per campaign (the backlog)."""
    query = (
        select(Respondent.campaign_id, func.count())
        .where(Respondent.status.in_(FINISHED))
        .group_by(Respondent.campaign_id)
    )
    return dict(session.execute(query).all())


def seal_campaign(session: Session, campaign: Campaign, k: int, *, closing: bool = False) -> int:
    """Seal the campaign's finished responses if at least `k` wait (everything, when `closing`);
    how many were sealed. Call `wipe` once the transaction has committed."""
    statuses = [*FINISHED, RespondentStatus.IN_PROGRESS] if closing else list(FINISHED)
    rows = session.scalars(
        select(Respondent)
        .where(Respondent.campaign_id == campaign.id, Respondent.status.in_(statuses))
        .with_for_update()
    ).all()
    if not rows or (len(rows) < k and not closing):
        return 0
    ids = [row.id for row in rows]
    answers = _answers(session, Answer.respondent_id, ids)
    responses = [_from_respondent(row, answers.get(row.id, {})) for row in rows]
    marks = [row.mark for row in rows if row.mark]
    last = session.scalar(
        select(func.max(SealedResponse.batch)).where(SealedResponse.campaign_id == campaign.id)
    )
    batch = (last or 0) + 1
    if len(rows) < k and last is not None:  # closing: join the last batch, sealed again as one
        responses += _take_batch(session, campaign.id, last)
        batch = last
    _insert(session, campaign.id, batch, responses)
    # The channel figures of the batch move to the sealed counters (the rows' channel goes).
    channels.count_sealed(
        session,
        campaign.id,
        [(_SEALED_STATUS[RespondentStatus(r.status)], r.channel) for r in rows],
    )
    _SHUFFLE.shuffle(marks)
    if marks:
        session.execute(
            insert(Participation), [{"campaign_id": campaign.id, "mark": m} for m in marks]
        )
    session.execute(delete(Answer).where(Answer.respondent_id.in_(ids)))
    session.execute(delete(Respondent).where(Respondent.id.in_(ids)))
    log.info("sealed %d responses of campaign %s (batch %d)", len(rows), campaign.code, batch)
    return len(rows)


def seal_ready(db: Database, k: int, *, and_wipe: bool = True) -> int:
    """Seal, campaign by campaign, every batch that has reached `k`; then wipe (unless the
    caller does). How many."""
    with db.transaction() as session:
        ready = [cid for cid, count in waiting(session).items() if count >= k]
    sealed = 0
    for campaign_id in ready:
        with db.transaction() as session:
            sealed += seal_campaign(session, session.get(Campaign, campaign_id), k)
    if sealed and and_wipe:
        wipe(db)
    return sealed


def wipe(db: Database, *, whole_file: bool = False, resealed: bool = False) -> bool:
    """Make deleted pre-seal rows unreadable (after the sealing transaction has committed).

    `whole_file` (after the migration that introduced sealing) also clears what was deleted
    before SQLite's secure_delete was on, by rebuilding the file; `resealed` (a batch was sealed
    again at close) rewrites the sealed tables too on PostgreSQL. False when SQLite could not
    truncate its write-ahead log because another connection was reading (the next seal does).
    """
    if db.dialect == "sqlite":
        raw = db.engine.raw_connection()  # outside SQLAlchemy's transaction: these need none
        try:
            if whole_file:
                raw.driver_connection.execute("VACUUM")
            busy, _, _ = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            raw.close()
        if busy:
            log.warning("the write-ahead log is in use: it is cleared at the next seal")
        return not busy
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        tables = PRE_SEAL_TABLES + (SEALED_TABLES if resealed or whole_file else ())
        connection.execute(text("VACUUM FULL " + ", ".join(tables)))
    return True


def _answers(session: Session, owner, ids: list[str]) -> dict[str, dict[str, str]]:
    """The answers of these responses, in one query: owner id -> question -> value (`owner` is
    the answer table's column naming the response)."""
    table = owner.class_
    found: dict[str, dict[str, str]] = {}
    query = select(owner, table.question_id, table.value).where(owner.in_(ids))
    for response_id, question_id, value in session.execute(query):
        found.setdefault(response_id, {})[question_id] = value
    return found


def _from_respondent(row: Respondent, answers: dict[str, str]) -> _Response:
    return _Response(
        language=row.language,
        status=_SEALED_STATUS[RespondentStatus(row.status)],
        position=None if row.status == RespondentStatus.COMPLETED else row.position,
        source_tag=row.source_tag,
        answers=answers,
    )


def _take_batch(session: Session, campaign_id: int, batch: int) -> list[_Response]:
    """The responses of a sealed batch, deleted to be sealed again."""
    sealed = session.scalars(
        select(SealedResponse).where(
            SealedResponse.campaign_id == campaign_id, SealedResponse.batch == batch
        )
    ).all()
    ids = [s.id for s in sealed]
    answers = _answers(session, SealedAnswer.response_id, ids)
    taken = [
        _Response(s.language, s.status, s.position, s.source_tag, answers.get(s.id, {}))
        for s in sealed
    ]
    session.execute(delete(SealedAnswer).where(SealedAnswer.response_id.in_(ids)))
    session.execute(delete(SealedResponse).where(SealedResponse.id.in_(ids)))
    return taken


def _insert(session: Session, campaign_id: int, batch: int, responses: list[_Response]) -> None:
    """Insert in random order, with fresh ids: storage order then says nothing."""
    _SHUFFLE.shuffle(responses)
    rows, answers = [], []
    for response in responses:
        response_id = random_id()
        rows.append({"id": response_id, "campaign_id": campaign_id, "batch": batch,
                     "language": response.language, "status": response.status,
                     "position": response.position, "source_tag": response.source_tag})  # fmt: skip
        answers += [
            {"response_id": response_id, "question_id": question, "value": value}
            for question, value in response.answers.items()
        ]
    session.execute(insert(SealedResponse), rows)
    if answers:
        session.execute(insert(SealedAnswer), answers)
