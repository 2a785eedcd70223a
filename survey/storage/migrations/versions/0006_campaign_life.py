"""campaign life: a campaign may be archived (hidden from the lists, its results kept)

Revision ID: 0006_campaign_life
Revises: 0005_releases
Create Date: 2026-12-10 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import survey.storage.models

revision = '0006_campaign_life'
down_revision = '0005_releases'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('archived_at', survey.storage.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
