"""channel counts: responses per way of answering (chat, Mini App, web link, access code)

Revision ID: 0016_channel_counts
Revises: 0018_benchmarks
Create Date: 2026-12-03 11:00:00.000000

Coordinators see the funnel by channel (survey.channels). The channel a response started in is
kept on the live `respondents` row only (`channel`, deleted with the row at sealing: a sealed
response never says how it was given). `channel_counts` (campaign, sealed, status, channel) -> n
holds the figures: its live part (sealed = 0) is kept by triggers in the transaction that
inserts, changes or deletes a respondent, like the counters of 0008; its sealed part (sealed =
1) is added by sealing, per batch, in the sealing transaction (a trigger cannot tell a seal from
a deletion). Respondents that exist already get their channel from their contact (a Telegram
contact: the chat; a web one: the access code if their campaign asks for codes, else the link);
responses sealed before this migration are counted under '' (not recorded). Self-contained: it
does not use the models.
"""

import sqlalchemy as sa
from alembic import op

revision = '0016_channel_counts'
down_revision = '0018_benchmarks'
branch_labels = None
depends_on = None

WATCHED = "status, channel, campaign_id"
IMAGES = {"INSERT": [("NEW", 1)], "DELETE": [("OLD", -1)],
          "UPDATE": [("OLD", -1), ("NEW", 1)]}  # fmt: skip


def _body(rows: list[tuple[str, int]]) -> str:
    images = " UNION ALL ".join(
        f"SELECT {row}.campaign_id AS c, {row}.status AS st, "
        f"coalesce({row}.channel, '') AS ch, {sign} AS d"
        for row, sign in rows
    )
    # Rows in key order: two transactions lock counter rows in the same order.
    return (
        "INSERT INTO channel_counts (campaign_id, sealed, status, channel, n) "
        f"SELECT c, 0, st, ch, sum(d) FROM ({images}) AS v "
        "GROUP BY c, st, ch HAVING sum(d) <> 0 ORDER BY c, st, ch "
        "ON CONFLICT (campaign_id, sealed, status, channel) "
        "DO UPDATE SET n = channel_counts.n + excluded.n;"
    )


def _create_triggers(bind) -> None:
    postgresql = bind.dialect.name == "postgresql"
    differs = "IS DISTINCT FROM" if postgresql else "IS NOT"
    changed = " OR ".join(f"OLD.{c} {differs} NEW.{c}" for c in WATCHED.split(", "))
    for event, rows in IMAGES.items():
        name = f"respondents_channel_{event.lower()}"
        when = f" WHEN ({changed})" if event == "UPDATE" else ""
        of = f" OF {WATCHED}" if event == "UPDATE" else ""
        if postgresql:
            bind.execute(sa.text(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{_body(rows)}\nRETURN NULL;\nEND $$"))
            bind.execute(sa.text(
                f"CREATE TRIGGER {name} AFTER {event}{of} ON respondents FOR EACH ROW{when} "
                f"EXECUTE FUNCTION {name}()"))
        else:
            bind.execute(sa.text(
                f"CREATE TRIGGER {name} AFTER {event}{of} ON respondents FOR EACH ROW{when} "
                f"BEGIN\n{_body(rows)}\nEND"))


def _drop_triggers(bind) -> None:
    for event in IMAGES:
        name = f"respondents_channel_{event.lower()}"
        if bind.dialect.name == "postgresql":
            bind.execute(sa.text(f"DROP TRIGGER IF EXISTS {name} ON respondents"))
            bind.execute(sa.text(f"DROP FUNCTION IF EXISTS {name}()"))
        else:
            bind.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))


def upgrade() -> None:
    with op.batch_alter_table('respondents') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=8), nullable=True))
    op.create_table('channel_counts',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_channel_counts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'sealed', 'status', 'channel', name=op.f('pk_channel_counts'))
    )
    bind = op.get_bind()
    bind.execute(sa.text(
        "UPDATE respondents SET channel = (SELECT CASE WHEN contacts.channel = 'telegram' "
        "THEN 'chat' WHEN campaigns.web_access = 'codes' THEN 'code' ELSE 'web' END "
        "FROM contacts JOIN campaigns ON campaigns.id = contacts.campaign_id "
        "WHERE contacts.respondent_id = respondents.id)"))
    bind.execute(sa.text(
        "INSERT INTO channel_counts (campaign_id, sealed, status, channel, n) "
        "SELECT campaign_id, 0, status, coalesce(channel, ''), count(*) FROM respondents "
        "GROUP BY campaign_id, status, coalesce(channel, '')"))
    bind.execute(sa.text(
        "INSERT INTO channel_counts (campaign_id, sealed, status, channel, n) "
        "SELECT campaign_id, 1, status, '', count(*) FROM sealed_responses "
        "GROUP BY campaign_id, status"))
    _create_triggers(bind)


def downgrade() -> None:
    _drop_triggers(op.get_bind())
    op.drop_table('channel_counts')
    with op.batch_alter_table('respondents') as batch:
        batch.drop_column('channel')
