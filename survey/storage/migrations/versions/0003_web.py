"""web back end: campaign target margin, outreach sources, dashboard indexes

Revision ID: 0003_web
Revises: 0002_delivery
Create Date: 2026-11-22 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import survey.storage.models


revision = '0003_web'
down_revision = '0002_delivery'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_margin', sa.Float(), nullable=True))

    op.create_table('campaign_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', survey.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_sources_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_sources')),
    sa.UniqueConstraint('campaign_id', 'tag', name=op.f('uq_campaign_sources_campaign_id'))
    )
    with op.batch_alter_table('respondents', schema=None) as batch_op:
        batch_op.create_index('ix_respondents_progress', ['campaign_id', 'status', 'position'], unique=False)
        batch_op.create_index('ix_respondents_figures', ['campaign_id', 'status', 'language', 'source_tag', 'started_on', 'completed_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('respondents', schema=None) as batch_op:
        batch_op.drop_index('ix_respondents_figures')
        batch_op.drop_index('ix_respondents_progress')

    op.drop_table('campaign_sources')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('target_margin')
