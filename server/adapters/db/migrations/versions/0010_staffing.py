"""staffing plans and advice (issue 14)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 20:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "services",
        sa.Column("target_share", sa.Double(), server_default=sa.text("0.8"), nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("services") as batch:
        batch.drop_column("target_share")
