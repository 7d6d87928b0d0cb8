"""administration: opening time, the board's notice line, service caps and issuing hours,
managers' sites, device pairing codes, API tokens, audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 18:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMN, done in place by SQLite (see 0002).
    op.add_column(
        "sites", sa.Column("opens_at", sa.Time(), server_default="07:30:00", nullable=False)
    )
    op.add_column(
        "sites", sa.Column("notice", sa.String(length=300), server_default="", nullable=False)
    )
    op.add_column("services", sa.Column("daily_cap", sa.Integer(), nullable=True))
    op.add_column("services", sa.Column("issue_from", sa.Time(), nullable=True))
    op.add_column("services", sa.Column("issue_until", sa.Time(), nullable=True))
    op.add_column("devices", sa.Column("pairing_code_hash", sa.String(length=64), nullable=True))
    op.add_column("devices", sa.Column("pairing_expires_at", sa.DateTime(), nullable=True))
    # SQLite cannot add a UNIQUE column in place; a unique index does the same job.
    op.create_index("uq_devices_pairing_code_hash", "devices", ["pairing_code_hash"], unique=True)

    op.create_table(
        "manager_sites",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "site_id"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=300), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("api_tokens")
    op.drop_table("manager_sites")
    op.drop_index("uq_devices_pairing_code_hash", table_name="devices")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("pairing_expires_at")
        batch.drop_column("pairing_code_hash")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("issue_until")
        batch.drop_column("issue_from")
        batch.drop_column("daily_cap")
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("notice")
        batch.drop_column("opens_at")
