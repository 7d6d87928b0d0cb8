"""Migration 0002 on a database already in use: a centre with a kiosk and tickets keeps
them, its kiosk gets the printing columns' defaults, and the way back works too."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from server.adapters.db.engine import Database
from server.adapters.db.migrate import alembic_config, upgrade

ROWS = [
    "INSERT INTO sites (id, code, name, address, timezone, closes_at, max_priority_streak,"
    " event_seq) VALUES (1, 'td', 'Tân Định', '', 'Asia/Ho_Chi_Minh', '17:00:00', 3, 0)",
    "INSERT INTO services (id, site_id, code, name_vi, name_en, pictogram, prefix,"
    " number_width, expected_minutes, target_minutes, active, position)"
    " VALUES (1, 1, 'HT', 'Hộ tịch', 'Civil status', '', 'A', 3, 10, 30, TRUE, 0)",
    "INSERT INTO devices (id, site_id, kind, name, token_hash, printer_url, active, created_at)"
    " VALUES (1, 1, 'kiosk', 'Kiosk', 'h', 'tcp://10.0.0.5', TRUE, '2026-11-25 08:00:00')",
    "INSERT INTO tickets (id, site_id, service_id, day, sequence, number, channel, status,"
    " token, queued_at, issued_at, recall_count, device_id) VALUES (1, 1, 1, '2026-11-25', 1,"
    " 'A001', 'kiosk', 'waiting', 'tok', '2026-11-25 08:00:00', '2026-11-25 08:00:00', 0, 1)",
]


def test_the_printing_migration_keeps_a_centre_in_use_and_can_be_undone(
    fresh_database_url: str,
) -> None:
    config = alembic_config(fresh_database_url)
    command.upgrade(config, "0001")
    db = Database(fresh_database_url)
    with db.engine.begin() as connection:
        for row in ROWS:
            connection.execute(text(row))
    upgrade(fresh_database_url)
    with db.engine.connect() as connection:
        kiosk = connection.execute(
            text(
                "SELECT printer_url, printer_mode, printer_width, printer_status, agent_sid"
                " FROM devices"
            )
        ).one()
        assert tuple(kiosk) == ("tcp://10.0.0.5", "image", 576, "unknown", None)
        assert connection.execute(text("SELECT number FROM tickets")).scalar() == "A001"
    command.downgrade(config, "0001")
    upgrade(fresh_database_url)
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM tickets")).scalar() == 1
    db.dispose()
