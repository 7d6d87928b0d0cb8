"""indexes: the kiosk's per-service queries (people ahead, recent service times), so
issuing does not slow down as a year of tickets piles up; and statistics roll-ups by period,
so a report reads only the month and day rows of its range

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 19:20:00

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_tickets_service_status", "tickets", ["service_id", "status", "ended_at"])
    op.create_index("ix_ticket_stats_period", "ticket_stats", ["period", "start", "site_id"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_ticket_stats_period", table_name="ticket_stats")
    op.drop_index("ix_tickets_service_status", table_name="tickets")
