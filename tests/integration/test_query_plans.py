"""The kiosk's path must not slow down as history grows: its per-service queries are
answered from an index, not a scan of every ticket ever issued (a year of a busy province
is a million rows; see docs/BENCHMARKS.md, "Statistics over a year of history")."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from server.adapters.db.engine import Database

# The two per-service queries of issuing (people ahead, recent service times), as
# server/services/tickets.py runs them.
QUERIES = [
    "SELECT count(id) FROM tickets WHERE service_id = 1 AND status = 'waiting'",
    "SELECT started_at, ended_at FROM tickets WHERE service_id = 1 AND status = 'done' "
    "ORDER BY ended_at DESC LIMIT 20",
]


@pytest.mark.sqlite
@pytest.mark.parametrize("query", QUERIES)
def test_per_service_queries_use_an_index_not_a_scan(database: Database, query: str) -> None:
    if database.dialect != "sqlite":
        pytest.skip("SQLite-specific: EXPLAIN QUERY PLAN")
    with database.reading() as session:
        plan = " ".join(row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {query}")))
    assert "USING INDEX ix_tickets_service_status" in plan or (
        "USING COVERING INDEX ix_tickets_service_status" in plan
    ), plan
    assert "TEMP B-TREE" not in plan, plan
