"""releases: a wave's result tables, computed once at release and stored

Revision ID: 0005_releases
Revises: 0004_sealing
Create Date: 2026-12-03 08:00:00.000000

Existing releases get their tables when first read or at the clock's next run
(`analysis.releases`).
"""

from alembic import op
import sqlalchemy as sa
import survey.storage.models


revision = '0005_releases'
down_revision = '0004_sealing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('release_tables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('administration_id', sa.Integer(), nullable=False),
    sa.Column('wave', sa.String(length=32), nullable=False),
    sa.Column('version', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('min_cell', sa.Integer(), nullable=False),
    sa.Column('computed_at', survey.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tables', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['administration_id'], ['administrations.id'], name=op.f('fk_release_tables_administration_id_administrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_tables')),
    sa.UniqueConstraint('administration_id', 'wave', 'version', 'language', 'min_cell', name=op.f('uq_release_tables_administration_id'))
    )


def downgrade() -> None:
    op.drop_table('release_tables')
