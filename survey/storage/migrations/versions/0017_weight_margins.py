"""weight margins: a campaign's population margins for raking weights, every change kept

Revision ID: 0017_weight_margins
Revises: 0016_channel_counts
Create Date: 2026-12-03 11:00:00.000000

One row each time a coordinator sets or clears a campaign's margins (analysis.weights); the
latest is current. Campaigns made before have none: their results stay unweighted.
"""

from alembic import op
import sqlalchemy as sa
import survey.storage.models


revision = '0017_weight_margins'
down_revision = '0016_channel_counts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('weight_margins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('set_at', survey.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by', sa.String(length=64), nullable=False),
    sa.Column('margins', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_weight_margins_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weight_margins'))
    )
    op.create_index(op.f('ix_weight_margins_campaign_id'), 'weight_margins', ['campaign_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_weight_margins_campaign_id'), table_name='weight_margins')
    op.drop_table('weight_margins')
