"""two-factor sign-in and scoped API tokens

Revision ID: 0014_two_factor_tokens
Revises: 0013_audit_log
Create Date: 2026-12-03 09:00:00.000000

`users` gains the encrypted TOTP secret, when its enrolment was confirmed and the last time step
used (web.two_factor); `recovery_codes` holds the SHA-256 of each single-use recovery code.
`api_tokens` gains a scope (an administration, or every one for an admin's token), read-only or
not, and an expiry. Tokens made before keep working as what they could do: read-only (the API
only reads), scoped to their user's administration, and they expire 90 days from now.
`users` gets plain `ADD COLUMN`s (no batch copy: on SQLite that would drop the table, and its
ON DELETE CASCADE would take every token and session with it).
"""

import datetime as dt

from alembic import op
import sqlalchemy as sa
import survey.storage.models


revision = '0014_two_factor_tokens'
down_revision = '0013_audit_log'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('totp_secret', sa.String(length=255), nullable=True))
    op.add_column('users', sa.Column('totp_confirmed_at', survey.storage.models.UTCDateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    op.create_table('recovery_codes',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', survey.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'code_hash', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(sa.Column('administration_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('read_only', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column('expires_at', survey.storage.models.UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key(batch.f('fk_api_tokens_administration_id_administrations'), 'administrations', ['administration_id'], ['id'], ondelete='CASCADE')
    tokens = sa.table('api_tokens', sa.column('user_id', sa.Integer()),
                      sa.column('administration_id', sa.Integer()),
                      sa.column('expires_at', survey.storage.models.UTCDateTime(timezone=True)))
    users = sa.table('users', sa.column('id', sa.Integer()),
                     sa.column('administration_id', sa.Integer()))
    op.execute(tokens.update().values(
        administration_id=sa.select(users.c.administration_id)
        .where(users.c.id == tokens.c.user_id).scalar_subquery(),
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=90),
    ))


def downgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_constraint(batch.f('fk_api_tokens_administration_id_administrations'), type_='foreignkey')
        batch.drop_column('expires_at')
        batch.drop_column('read_only')
        batch.drop_column('administration_id')
    op.drop_table('recovery_codes')
    op.drop_column('users', 'totp_last_step')
    op.drop_column('users', 'totp_confirmed_at')
    op.drop_column('users', 'totp_secret')
