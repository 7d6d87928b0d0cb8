"""wait quotes per ticket, lunch break per site, counter pauses (issue 13)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("sites", sa.Column("lunch_starts_at", sa.Time(), nullable=True))
    op.add_column("sites", sa.Column("lunch_ends_at", sa.Time(), nullable=True))
    op.create_table(
        "wait_quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("people_ahead", sa.Integer(), nullable=False),
        sa.Column("low_minutes", sa.Integer(), nullable=False),
        sa.Column("median_minutes", sa.Integer(), nullable=False),
        sa.Column("high_minutes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wait_quotes_site_at", "wait_quotes", ["site_id", "at"])
    op.create_index("ix_wait_quotes_ticket_id", "wait_quotes", ["ticket_id"])
    op.create_table(
        "counter_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=200), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["counter_id"], ["counters.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_counter_pauses_site_started", "counter_pauses", ["site_id", "started_at"])
    op.create_index("ix_counter_pauses_counter_id", "counter_pauses", ["counter_id"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("counter_pauses")
    op.drop_table("wait_quotes")
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("lunch_ends_at")
        batch.drop_column("lunch_starts_at")
