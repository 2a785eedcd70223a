"""accounts: server-side web sessions, sign-in counters; the old lockout columns go

Revision ID: 0010_accounts
Revises: 0007_bot_identity
Create Date: 2026-12-03 08:00:00.000000

`web_sessions` holds each signed-in browser (the SHA-256 of its random id), so that signing out,
a new password, a new role or a deactivation ends every session of an account at once.
`sign_in_counters` counts failed sign-ins per account (from untrusted browsers), per trusted
browser and per address (web.signin_limits). The lockout columns of `users` are dropped with
SQLite's own `ALTER TABLE ... DROP COLUMN` (3.35+) rather than a batch copy: copying `users`
would drop the table, and with foreign keys on that deletes every API token (ON DELETE CASCADE).
Signed-cookie sessions from before end: everyone signs in again once.
"""

from alembic import op
import sqlalchemy as sa
import survey.storage.models


revision = '0010_accounts'
down_revision = '0007_bot_identity'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', survey.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', survey.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_sessions'))
    )
    op.create_index(op.f('ix_web_sessions_user_id'), 'web_sessions', ['user_id'], unique=False)
    op.create_table('sign_in_counters',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', survey.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_failure_at', survey.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', survey.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_counters'))
    )
    op.create_index(op.f('ix_sign_in_counters_last_failure_at'), 'sign_in_counters', ['last_failure_at'], unique=False)
    op.drop_column('users', 'failed_logins')
    op.drop_column('users', 'locked_until')


def downgrade() -> None:
    op.add_column('users', sa.Column('locked_until', survey.storage.models.UTCDateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
    op.drop_index(op.f('ix_sign_in_counters_last_failure_at'), table_name='sign_in_counters')
    op.drop_table('sign_in_counters')
    op.drop_index(op.f('ix_web_sessions_user_id'), table_name='web_sessions')
    op.drop_table('web_sessions')
