"""statistics: histogram bins bounded up to 16 hours (82 per duration instead of 66), so
the median and P90 of a day of four-hour waits are not read as its maximum; the roll-ups
are rebuilt from the tickets with the new bins

Bins 0-29 (one minute each, up to 30 minutes) keep their meaning; the later ones change
(see server.domain.statistics), so every roll-up row is recomputed by the real
`statistics.rebuild`, inside this migration's transaction: about 250 us per ticket, i.e.
4-5 minutes for a year of a province (a million tickets), during which the other workers
wait for the migration lock.

The rebuild uses today's code. It reads only the ticket and rating columns its figures
need (statistics.READ_TICKET), so columns added later do not break it; a later migration
that drops or renames one of those, or changes the bins again, must freeze this step (or
skip it) so that this one still runs on the schema of its own revision.

Downgrading drops bins 66-81 and leaves bins 30-65 holding the new bins, which the older
code misreads: run `xephang stats rebuild` with the older code after a downgrade.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 16:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: the number of bins per duration before (0003) and after this revision.
OLD_BINS = 66
NEW_BINS = 82


def _added() -> list[str]:
    return [f"{prefix}{i:02d}" for prefix in ("w", "s") for i in range(OLD_BINS, NEW_BINS)]


def upgrade() -> None:
    """Upgrade schema."""
    for name in _added():
        op.add_column(
            "ticket_stats", sa.Column(name, sa.Integer(), server_default="0", nullable=False)
        )
    # Not at the top: Alembic loads every revision's module to read the history, and only
    # this step needs the application's rules.
    from server.services import statistics

    connection = op.get_bind()
    # The session joins the migration's transaction: the rebuild commits with the schema
    # change, or not at all.
    session = Session(bind=connection)
    try:
        statistics.rebuild(session, connection.dialect.name)
        session.flush()
    finally:
        session.close()


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("ticket_stats") as batch:
        for name in _added():
            batch.drop_column(name)
