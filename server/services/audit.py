"""The administration audit log: who changed what, when. Written in the same transaction
as the change it records, so the log never claims a change that was rolled back. (What was
done to each ticket is its ticket_events.)"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import ApiToken, AuditEntry, Counter, Device, Service, Site, User

SHOWN_TIME = "%d/%m/%Y %H:%M"
# A counter's service as stored in the log: "HT (chính)", its code and its rank.
COUNTER_SERVICE = re.compile(r"(\S+) \((.+)\)")


def record(
    session: Session,
    at: datetime,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    site_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Log one administrative change, e.g. `record(s, now, admin_id, "service.update",
    "service", 3, site_id=1, detail={"target_minutes": [30, 20]})` (old, new)."""
    session.add(
        AuditEntry(
            at=at,
            user_id=user_id,
            site_id=site_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )
    )


@dataclass(frozen=True)
class _Names:
    """Every row an entry may name, by id (the tables are small: a centre's configuration)."""

    sites: dict[int, Site]
    services: dict[int, Service]
    counters: dict[int, Counter]
    users: dict[int, User]
    devices: dict[int, Device]
    tokens: dict[int, ApiToken]

    @classmethod
    def load(cls, session: Session) -> _Names:
        def by_id(model: Any) -> dict[int, Any]:
            return {row.id: row for row in session.scalars(select(model))}

        return cls(
            by_id(Site), by_id(Service), by_id(Counter), by_id(User), by_id(Device), by_id(ApiToken)
        )

    def counter(self, counter: Counter | None, fallback: Any) -> str:
        return f"{counter.number} – {counter.label}" if counter else str(fallback)

    def target(self, entity: str, entity_id: int | None) -> dict[str, str]:
        """What an entry is about, by name in each language (`#id` if it is gone)."""
        name: str | None = None
        name_en: str | None = None
        if entity_id is not None:
            if entity == "site" and (site := self.sites.get(entity_id)):
                name = site.name
            elif entity == "service" and (service := self.services.get(entity_id)):
                name, name_en = service.name_vi, service.name_en
            elif entity == "counter" and (counter := self.counters.get(entity_id)):
                name = self.counter(counter, entity_id)
            elif entity == "user" and (user := self.users.get(entity_id)):
                name = f"{user.full_name} ({user.username})"
            elif entity == "device" and (device := self.devices.get(entity_id)):
                name = device.name
            elif entity == "api_token" and (token := self.tokens.get(entity_id)):
                name = token.name
        shown = name or ("" if entity_id is None else f"#{entity_id}")
        return {"name_vi": shown, "name_en": name_en or shown}


def describe(
    session: Session, entries: Sequence[AuditEntry], zone: ZoneInfo
) -> list[dict[str, Any]]:
    """Audit entries as a person reads them: the local time to the minute (dd/mm/yyyy
    HH:MM), who did it, the object by its name, and each changed field as (field, old,
    new) with ids, codes and stored instants turned into names and local times. Field
    names and enum values (a role, a device kind) are left for the page to put in words."""
    names = _Names.load(session)
    return [
        {
            "at": entry.at.astimezone(zone).strftime(SHOWN_TIME),
            "user": names.users.get(entry.user_id) if entry.user_id else None,
            "site": names.sites.get(entry.site_id) if entry.site_id else None,
            "action": entry.action,
            "entity": entry.entity,
            "entity_id": entry.entity_id,
            "target": names.target(entry.entity, entry.entity_id),
            "lines": _lines(entry, names, zone),
        }
        for entry in entries
    ]


def _lines(entry: AuditEntry, names: _Names, zone: ZoneInfo) -> list[tuple[str, str, str]]:
    def shown(field: str, value: Any) -> str:
        if value is None or value == []:
            return "–"
        if isinstance(value, bool):
            return "✓" if value else "✗"
        if isinstance(value, list):
            return ", ".join(shown(field, v) for v in value)
        if field == "counter_id":
            return names.counter(names.counters.get(value), value)
        if field == "counters" and isinstance(value, str):
            return _counter_by_code(names, value)
        if field == "sites" and isinstance(value, str):
            site = next((s for s in names.sites.values() if s.code == value), None)
            return site.name if site else value
        if field == "services" and isinstance(value, str):
            return _service_by_code(names, entry.site_id, value)
        if field.endswith("_at") and isinstance(value, str):
            try:
                return datetime.fromisoformat(value).astimezone(zone).strftime(SHOWN_TIME)
            except ValueError:
                return value
        return str(value)

    lines = []
    for field, change in (entry.detail or {}).items():
        if isinstance(change, list) and len(change) == 2:
            old, new = change
            # Nothing before (a creation, a first pairing code): only the new value is shown.
            lines.append((field, "" if old is None else shown(field, old), shown(field, new)))
        else:
            lines.append((field, "", shown(field, change)))
    return lines


def _counter_by_code(names: _Names, value: str) -> str:
    """A clerk's counter as stored in the log ("tan-dinh#3") as "3 – Chứng thực"."""
    code, _, number = value.rpartition("#")
    for counter in names.counters.values():
        site = names.sites.get(counter.site_id)
        if site is not None and site.code == code and str(counter.number) == number:
            return names.counter(counter, value)
    return value


def _service_by_code(names: _Names, site_id: int | None, value: str) -> str:
    """A counter's service as stored in the log ("HT (chính)") by its name."""
    written = COUNTER_SERVICE.fullmatch(value)
    if not written:
        return value
    code, rank = written.groups()
    service = next(
        (s for s in names.services.values() if s.code == code and s.site_id == site_id), None
    )
    return f"{service.name_vi} ({rank})" if service else value
