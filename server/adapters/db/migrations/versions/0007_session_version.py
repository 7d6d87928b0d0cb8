"""users.session_version: the version of an account's signed-in sessions; raising it ends
every session (and open socket) of the account, on sign-out, a password reset, a
deactivation, or a change of role, counters or sites (server/services/sessions.py)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 16:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "users",
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
