"""dashboard counters: participation per status, language and channel, and where people left off

Revision ID: 0008_dashboard_counters
Revises: 0006_campaign_life
Create Date: 2026-12-03 08:00:00.000000

The dashboard read its figures by counting a campaign's responses (live and sealed) on every
view; at 100,000 respondents that cost 70-180 ms of one core per request. Two counter tables now
hold the same figures, kept by triggers in the transaction that changes a response (an insert,
an update of its status, language, channel or position, a delete), on SQLite and PostgreSQL
alike, so that no writer (the engine, sealing, an import, a test inserting rows) can forget
them:

- `participation_counts` (campaign, sealed, status, language, channel) -> n;
- `left_off_counts` (campaign, position) -> n: responses not completed, by the question they are
  at or left off at ('' for a withdrawn response whose position was cleared, before the engine
  kept it);
- `reminder_day_counts` (campaign, day) -> sent, answered again: the reminders of
  `reminders_sent` (one row per reminder) summed per day.

Each trigger is one `INSERT ... SELECT ... ON CONFLICT DO UPDATE SET n = n + excluded.n` whose
rows (old contribution -1, new +1, grouped, zero sums left out) come in key order, so two
transactions lock counter rows in the same order. Counters are aggregates of a campaign: they
hold no date and no response id (DESIGN.md, Anonymity 3). Existing databases get their counters
filled from the rows here. Self-contained: it does not use the models.
"""

import sqlalchemy as sa
from alembic import op

revision = '0008_dashboard_counters'
down_revision = '0006_campaign_life'
branch_labels = None
depends_on = None

# (table, sealed flag) whose rows the counters count.
COUNTED = (("respondents", 0), ("sealed_responses", 1))
WATCHED = "status, language, source_tag, position, campaign_id"
REMINDERS_WATCHED = "campaign_id, sent_on, answered_again"


def _participation(sealed: int, rows: list[tuple[str, int]]) -> str:
    """The upsert of participation_counts for the row images `rows` ((OLD or NEW, sign))."""
    images = " UNION ALL ".join(
        f"SELECT {row}.campaign_id AS c, {sealed} AS s, {row}.status AS st, "
        f"{row}.language AS l, coalesce({row}.source_tag, '') AS t, {sign} AS d"
        for row, sign in rows
    )
    return (
        "INSERT INTO participation_counts (campaign_id, sealed, status, language, source_tag, n) "
        f"SELECT c, s, st, l, t, sum(d) FROM ({images}) AS v "
        "GROUP BY c, s, st, l, t HAVING sum(d) <> 0 ORDER BY c, s, st, l, t "
        "ON CONFLICT (campaign_id, sealed, status, language, source_tag) "
        "DO UPDATE SET n = participation_counts.n + excluded.n;"
    )


def _left_off(rows: list[tuple[str, int]]) -> str:
    """The upsert of left_off_counts: a response counts there unless it is completed."""
    images = " UNION ALL ".join(
        f"SELECT {row}.campaign_id AS c, coalesce({row}.position, '') AS p, "
        f"CASE WHEN {row}.status = 'completed' THEN 0 ELSE {sign} END AS d"
        for row, sign in rows
    )
    return (
        "INSERT INTO left_off_counts (campaign_id, position, n) "
        f"SELECT c, p, sum(d) FROM ({images}) AS v "
        "GROUP BY c, p HAVING sum(d) <> 0 ORDER BY c, p "
        "ON CONFLICT (campaign_id, position) DO UPDATE SET n = left_off_counts.n + excluded.n;"
    )


def _reminders(rows: list[tuple[str, int]]) -> str:
    images = " UNION ALL ".join(
        f"SELECT {row}.campaign_id AS c, {row}.sent_on AS d, {sign} AS s, "
        f"CASE WHEN {row}.answered_again THEN {sign} ELSE 0 END AS a"
        for row, sign in rows
    )
    return (
        "INSERT INTO reminder_day_counts (campaign_id, day, sent, answered_again) "
        f"SELECT c, d, sum(s), sum(a) FROM ({images}) AS v "
        "GROUP BY c, d HAVING sum(s) <> 0 OR sum(a) <> 0 ORDER BY c, d "
        "ON CONFLICT (campaign_id, day) DO UPDATE SET "
        "sent = reminder_day_counts.sent + excluded.sent, "
        "answered_again = reminder_day_counts.answered_again + excluded.answered_again;"
    )


def _bodies(sealed: int) -> dict[str, str]:
    images = {"INSERT": [("NEW", 1)], "DELETE": [("OLD", -1)],
              "UPDATE": [("OLD", -1), ("NEW", 1)]}  # fmt: skip
    return {op_: _participation(sealed, rows) + "\n" + _left_off(rows)
            for op_, rows in images.items()}  # fmt: skip


def _changed(dialect: str, watched: str) -> str:
    differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{c} {differs} NEW.{c}" for c in watched.split(", "))


def _triggers() -> list[tuple[str, str, str, str]]:
    """(table, event, columns an update must change, body) of every counting trigger."""
    found = []
    for table, sealed in COUNTED:
        found += [(table, event, WATCHED, body) for event, body in _bodies(sealed).items()]
    images = {"INSERT": [("NEW", 1)], "DELETE": [("OLD", -1)],
              "UPDATE": [("OLD", -1), ("NEW", 1)]}  # fmt: skip
    found += [("reminders_sent", event, REMINDERS_WATCHED, _reminders(rows))
              for event, rows in images.items()]  # fmt: skip
    return found


def create_triggers(bind) -> None:
    dialect = bind.dialect.name
    for table, event, watched, body in _triggers():
        name = f"{table}_count_{event.lower()}"
        when = f" WHEN ({_changed(dialect, watched)})" if event == "UPDATE" else ""
        of = f" OF {watched}" if event == "UPDATE" else ""
        if dialect == "postgresql":
            bind.execute(sa.text(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{body}\nRETURN NULL;\nEND $$"))
            bind.execute(sa.text(
                f"CREATE TRIGGER {name} AFTER {event}{of} ON {table} FOR EACH ROW{when} "
                f"EXECUTE FUNCTION {name}()"))
        else:
            bind.execute(sa.text(
                f"CREATE TRIGGER {name} AFTER {event}{of} ON {table} FOR EACH ROW{when} "
                f"BEGIN\n{body}\nEND"))


def drop_triggers(bind) -> None:
    for table in ("respondents", "sealed_responses", "reminders_sent"):
        for event in ("insert", "update", "delete"):
            name = f"{table}_count_{event}"
            if bind.dialect.name == "postgresql":
                bind.execute(sa.text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
                bind.execute(sa.text(f"DROP FUNCTION IF EXISTS {name}()"))
            else:
                bind.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))


def upgrade() -> None:
    op.create_table('participation_counts',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('source_tag', sa.String(length=32), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_participation_counts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'sealed', 'status', 'language', 'source_tag', name=op.f('pk_participation_counts'))
    )
    op.create_table('left_off_counts',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.String(length=32), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_left_off_counts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'position', name=op.f('pk_left_off_counts'))
    )
    op.create_table('reminder_day_counts',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('answered_again', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_reminder_day_counts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'day', name=op.f('pk_reminder_day_counts'))
    )
    bind = op.get_bind()
    bind.execute(sa.text(
        "INSERT INTO reminder_day_counts (campaign_id, day, sent, answered_again) "
        "SELECT campaign_id, sent_on, count(*), "
        "sum(CASE WHEN answered_again THEN 1 ELSE 0 END) FROM reminders_sent "
        "GROUP BY campaign_id, sent_on"))
    for table, sealed in COUNTED:  # the counters of what exists, then the triggers keep them
        bind.execute(sa.text(
            "INSERT INTO participation_counts (campaign_id, sealed, status, language, source_tag, n) "
            f"SELECT campaign_id, {sealed}, status, language, coalesce(source_tag, ''), count(*) "
            f"FROM {table} GROUP BY campaign_id, status, language, coalesce(source_tag, '')"))
        bind.execute(sa.text(
            "INSERT INTO left_off_counts (campaign_id, position, n) "
            f"SELECT campaign_id, coalesce(position, ''), count(*) FROM {table} "
            "WHERE status <> 'completed' GROUP BY campaign_id, coalesce(position, '') "
            "ON CONFLICT (campaign_id, position) DO UPDATE SET n = left_off_counts.n + excluded.n"))
    create_triggers(bind)


def downgrade() -> None:
    drop_triggers(op.get_bind())
    op.drop_table('reminder_day_counts')
    op.drop_table('left_off_counts')
    op.drop_table('participation_counts')
