"""sealing: sealed responses without dates, per-day counters, marks wait on the response

Revision ID: 0004_sealing
Revises: 0003_web
Create Date: 2026-12-03 06:00:00.000000

Existing databases are sealed here (DESIGN.md, Anonymity 3): finished responses move into the
sealed tables in shuffled batches of at least k (CIPS_MIN_CELL, default 10) with fresh ids and no
dates; closed campaigns are sealed whole (what is under way as cut off). Per-day figures become
counters, filled from the dates the responses carried. `survey.storage.migrate.upgrade` then
wipes what the deletions left (survey.sealing.wipe). Self-contained: it does not use the models,
which will change after it.
"""

import datetime as dt
import os
import random
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0004_sealing'
down_revision = '0003_web'
branch_labels = None
depends_on = None

_SHUFFLE = random.SystemRandom()
_SEALED = {"completed": "completed", "withdrawn": "withdrawn", "in_progress": "cut_off"}


def upgrade() -> None:
    op.create_table('sealed_responses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('batch', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('position', sa.String(length=32), nullable=True),
    sa.Column('source_tag', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_sealed_responses_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sealed_responses'))
    )
    with op.batch_alter_table('sealed_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealed_responses_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_sealed_responses_figures', ['campaign_id', 'status', 'language', 'source_tag'], unique=False)

    op.create_table('sealed_answers',
    sa.Column('response_id', sa.String(length=32), nullable=False),
    sa.Column('question_id', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['sealed_responses.id'], name=op.f('fk_sealed_answers_response_id_sealed_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question_id', name=op.f('pk_sealed_answers'))
    )
    op.create_table('daily_counts',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('started', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_daily_counts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'day', name=op.f('pk_daily_counts'))
    )
    with op.batch_alter_table('respondents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mark', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_respondents_mark'), ['mark'], unique=False)

    _count_days()
    _seal_existing(max(int(os.environ.get("CIPS_MIN_CELL") or 10), 1))


def _count_days() -> None:
    bind = op.get_bind()
    counts: dict[tuple, list[int]] = {}
    for campaign_id, started_on, completed_on in bind.execute(
        sa.text("SELECT campaign_id, started_on, completed_on FROM respondents")
    ):
        counts.setdefault((campaign_id, started_on), [0, 0])[0] += 1
        if completed_on is not None:
            counts.setdefault((campaign_id, completed_on), [0, 0])[1] += 1
    rows = [{"c": c, "d": d, "s": s, "f": f} for (c, d), (s, f) in counts.items()]
    if rows:
        bind.execute(sa.text("INSERT INTO daily_counts (campaign_id, day, started, completed) "
                             "VALUES (:c, :d, :s, :f)"), rows)


def _seal_existing(k: int) -> None:
    """Seal what the sealing of survey.sealing would have sealed by now."""
    bind = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    campaigns = bind.execute(sa.text("SELECT id, closed_at, closes_at FROM campaigns").columns(
        id=sa.Integer, closed_at=sa.DateTime(timezone=True), closes_at=sa.DateTime(timezone=True)))
    for campaign_id, closed_at, closes_at in campaigns.all():
        if closes_at is not None and closes_at.tzinfo is None:  # SQLite keeps UTC, naive
            closes_at = closes_at.replace(tzinfo=dt.UTC)
        closed = closed_at is not None or (closes_at is not None and closes_at <= now)
        statuses = ("completed", "withdrawn", "in_progress") if closed else ("completed", "withdrawn")
        people = bind.execute(
            sa.text("SELECT id, language, status, position, source_tag FROM respondents "
                    "WHERE campaign_id = :c").bindparams(c=campaign_id)
        ).all()
        people = [p for p in people if p.status in statuses]
        if not people or (len(people) < k and not closed):
            continue
        ids = [p.id for p in people]
        answers: dict[str, dict[str, str]] = {}
        for respondent_id, question_id, value in bind.execute(
            sa.text("SELECT respondent_id, question_id, value FROM answers "
                    "WHERE respondent_id IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": ids},
        ):
            answers.setdefault(respondent_id, {})[question_id] = value
        _SHUFFLE.shuffle(people)
        for person in people:
            fresh = secrets.token_hex(16)
            bind.execute(sa.text(
                "INSERT INTO sealed_responses (id, campaign_id, batch, language, status, position, source_tag) "
                "VALUES (:id, :c, 1, :language, :status, :position, :tag)"),
                {"id": fresh, "c": campaign_id, "language": person.language,
                 "status": _SEALED[person.status],
                 "position": None if person.status == "completed" else person.position,
                 "tag": person.source_tag})
            rows = [{"r": fresh, "q": q, "v": v} for q, v in answers.get(person.id, {}).items()]
            if rows:
                bind.execute(sa.text("INSERT INTO sealed_answers (response_id, question_id, value) "
                                     "VALUES (:r, :q, :v)"), rows)
        delete_answers = sa.text("DELETE FROM answers WHERE respondent_id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True))
        bind.execute(delete_answers, {"ids": ids})
        bind.execute(sa.text("UPDATE contacts SET respondent_id = NULL WHERE respondent_id IN :ids")
                     .bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids})
        bind.execute(sa.text("DELETE FROM respondents WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)), {"ids": ids})
    # The participation marks were written in the order people started; the rows they could be
    # lined up with are gone, but the marks are rewritten in random order all the same.
    marks = bind.execute(sa.text("SELECT campaign_id, mark FROM participations")).all()
    if marks:
        _SHUFFLE.shuffle(marks)
        bind.execute(sa.text("DELETE FROM participations"))
        bind.execute(sa.text("INSERT INTO participations (campaign_id, mark) VALUES (:c, :m)"),
                     [{"c": c, "m": m} for c, m in marks])


def downgrade() -> None:
    with op.batch_alter_table('respondents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_respondents_mark'))
        batch_op.drop_column('mark')
    op.drop_table('daily_counts')
    op.drop_table('sealed_answers')
    with op.batch_alter_table('sealed_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_sealed_responses_figures')
        batch_op.drop_index(batch_op.f('ix_sealed_responses_campaign_id'))
    op.drop_table('sealed_responses')
