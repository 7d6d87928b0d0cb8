"""printing: the kiosk printer's mode, width and status, its print agent, and print jobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 16:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMN, which SQLite does in place: a batch operation would copy the table,
    # and dropping the old copy fails the foreign keys of the tickets that name a device.
    op.add_column(
        "devices",
        sa.Column("printer_mode", sa.String(length=8), server_default="image", nullable=False),
    )
    op.add_column(
        "devices",
        sa.Column("printer_width", sa.Integer(), server_default="576", nullable=False),
    )
    op.add_column(
        "devices",
        sa.Column("printer_status", sa.String(length=16), server_default="unknown", nullable=False),
    )
    op.add_column(
        "devices",
        sa.Column("printer_detail", sa.String(length=300), server_default="", nullable=False),
    )
    op.add_column("devices", sa.Column("printer_status_at", sa.DateTime(), nullable=True))
    op.add_column("devices", sa.Column("agent_sid", sa.String(length=64), nullable=True))

    op.create_table(
        "print_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"]),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_print_jobs_device_id", ["device_id", "id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_print_jobs_device_id")
    op.drop_table("print_jobs")
    for column in (
        "agent_sid",
        "printer_status_at",
        "printer_detail",
        "printer_status",
        "printer_width",
        "printer_mode",
    ):
        op.drop_column("devices", column)
