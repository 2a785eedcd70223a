"""bot identity: app_settings, where the bot stores its username from Telegram's getMe

Revision ID: 0007_bot_identity
Revises: 0008_dashboard_counters
Create Date: 2026-12-03 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import survey.storage.models

revision = '0007_bot_identity'
down_revision = '0008_dashboard_counters'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'app_settings',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(length=255), nullable=False),
        sa.Column('updated_at', survey.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_app_settings')),
    )


def downgrade() -> None:
    op.drop_table('app_settings')
