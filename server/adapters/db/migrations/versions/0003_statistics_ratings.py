"""statistics roll-ups, satisfaction ratings, and the counter of a rating tablet

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 18:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of server.adapters.db.models' lists as they were at this revision.
COUNTS = (
    "issued",
    "served",
    "no_show",
    "cancelled",
    "transferred",
    "expired",
    "wait_count",
    "wait_seconds",
    "wait_within_target",
    "service_count",
    "service_seconds",
    "rating_very_satisfied",
    "rating_satisfied",
    "rating_unsatisfied",
    "rating_very_unsatisfied",
    "wait_max",
    "service_max",
)
BINS = 66


def _zero(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def upgrade() -> None:
    """Upgrade schema."""
    # SQLite adds a column with an inline reference in place (Alembic would copy the
    # table, see 0002); PostgreSQL adds the column, then the constraint.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE devices ADD COLUMN counter_id INTEGER REFERENCES counters (id)")
    else:
        op.add_column("devices", sa.Column("counter_id", sa.Integer(), nullable=True))
        op.create_foreign_key(None, "devices", "counters", ["counter_id"], ["id"])

    op.create_table(
        "ticket_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("clerk_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.ForeignKeyConstraint(["counter_id"], ["counters.id"]),
        sa.ForeignKeyConstraint(["clerk_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
    )

    op.create_table(
        "ticket_stats",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=1), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=8), nullable=False),
        sa.Column("key", sa.Integer(), nullable=False),
        *(_zero(name) for name in COUNTS),
        *(_zero(f"w{i:02d}") for i in range(BINS)),
        *(_zero(f"s{i:02d}") for i in range(BINS)),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("site_id", "period", "start", "dimension", "key"),
    )
    # Statistics read tickets by day when they rebuild roll-ups and list tickets for export.
    op.create_index("ix_tickets_site_day", "tickets", ["site_id", "day"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_tickets_site_day", table_name="tickets")
    op.drop_table("ticket_stats")
    op.drop_table("ticket_ratings")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("counter_id")
