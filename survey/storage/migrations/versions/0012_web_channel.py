"""web channel: who may answer a campaign on the web, one-time access codes and their tries

Revision ID: 0012_web_channel
Revises: 0010_accounts
Create Date: 2026-12-03 08:00:00.000000

Campaigns are open to anyone with the link (`web_access = 'open'`) until a coordinator
generates access codes. Codes are stored only as keyed hashes (`survey.access_codes`).
"""

from alembic import op
import sqlalchemy as sa
import survey.storage.models


revision = '0012_web_channel'
down_revision = '0010_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaigns') as batch:
        batch.add_column(sa.Column('web_access', sa.String(length=8), server_default='open',
                                   nullable=False))
    op.create_table('access_codes',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_access_codes_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'code_hash', name=op.f('pk_access_codes'))
    )
    op.create_table('access_code_tries',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('window_start', survey.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_access_code_tries_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'window_start', name=op.f('pk_access_code_tries'))
    )


def downgrade() -> None:
    op.drop_table('access_code_tries')
    op.drop_table('access_codes')
    with op.batch_alter_table('campaigns') as batch:
        batch.drop_column('web_access')
