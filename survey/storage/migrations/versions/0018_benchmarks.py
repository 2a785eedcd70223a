"""benchmarks: trusted keys, imported aggregate releases, opted-in administrations, host files

Revision ID: 0018_benchmarks
Revises: 0014_two_factor_tokens
Create Date: 2026-12-03 11:00:00.000000

Benchmarks across administrations (analysis.benchmark): the public keys this installation
trusts, the signed aggregate releases it imported (one per administration and wave), its own
administrations that take part, and the benchmark files published by a host that it imported.
"""

import sqlalchemy as sa
from alembic import op

import survey.storage.models

revision = "0018_benchmarks"
down_revision = '0014_two_factor_tokens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "benchmark_keys",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("administration", sa.String(length=32), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("trusted_at", survey.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", survey.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_benchmark_keys")),
    )
    op.create_table(
        "benchmark_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration", sa.String(length=32), nullable=False),
        sa.Column("wave", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("released_at", survey.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("imported_at", survey.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["benchmark_keys.key_id"],
            name=op.f("fk_benchmark_releases_key_id_benchmark_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_releases")),
        sa.UniqueConstraint(
            "administration", "wave", name=op.f("uq_benchmark_releases_administration")
        ),
    )
    op.create_table(
        "benchmark_members",
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("joined_at", survey.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["administrations.id"],
            name=op.f("fk_benchmark_members_administration_id_administrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("administration_id", name=op.f("pk_benchmark_members")),
    )
    op.create_table(
        "benchmark_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("published_at", survey.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("imported_at", survey.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["benchmark_keys.key_id"],
            name=op.f("fk_benchmark_files_key_id_benchmark_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_files")),
        sa.UniqueConstraint("digest", name=op.f("uq_benchmark_files_digest")),
    )


def downgrade() -> None:
    op.drop_table("benchmark_files")
    op.drop_table("benchmark_members")
    op.drop_table("benchmark_releases")
    op.drop_table("benchmark_keys")
