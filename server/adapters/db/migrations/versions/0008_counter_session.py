"""counters.clerk_away_since: since when an open counter's clerk has had no screen
connected (the sweeper pauses such a counter after a set time)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("counters", sa.Column("clerk_away_since", sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("counters") as batch:
        batch.drop_column("clerk_away_since")
