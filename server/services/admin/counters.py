"""Use cases of a counter: add a numbered counter to a site with its ordered services
(main ones, then secondary ones served when no main service has anyone), renumber or
relabel it, change its services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, CounterService, Service, Site
from server.domain.errors import AlreadyExists, InvalidInput, NotFound
from server.services import audit
from server.services.access import get_service, get_site
from server.services.admin.common import (
    MAX_NAME,
    Actor,
    assign,
    clean_text,
    commit,
    config_change,
    in_range,
    require_admin,
    unique,
)
from server.services.unit_of_work import UnitOfWork

MAX_COUNTER_NUMBER = 999
MAIN, SECONDARY = 0, 1  # counter_services.rank


@dataclass(frozen=True)
class CounterSettings:
    """`services` in the order the counter serves them: (service id, rank), rank 0 for a
    main service and 1 for a secondary one (served when no main service has anyone)."""

    number: int
    label: str = ""
    services: tuple[tuple[int, int], ...] = ()


def find_counter(session: Session, counter_id: int) -> Counter | None:
    return session.get(Counter, counter_id)


def counter_ids(session: Session, site: Site, numbers: Iterable[int]) -> tuple[int, ...]:
    """The ids of the site's counters with these numbers (as the command line names them)."""
    wanted = sorted(set(numbers))
    rows = session.execute(
        select(Counter.number, Counter.id).where(
            Counter.site_id == site.id, Counter.number.in_(wanted)
        )
    )
    found = {number: counter_id for number, counter_id in rows}
    missing = [n for n in wanted if n not in found]
    if missing:
        shown = ", ".join(str(n) for n in missing)
        raise NotFound(
            f"Không có quầy số {shown} ở điểm “{site.code}”.",
            f"There is no counter {shown} at the site “{site.code}”.",
        )
    return tuple(found[n] for n in wanted)


def _checked_counter(data: CounterSettings) -> CounterSettings:
    in_range(data.number, 1, MAX_COUNTER_NUMBER, "số quầy", "counter number")
    ids = [service_id for service_id, _ in data.services]
    if len(ids) != len(set(ids)):
        raise InvalidInput(
            "Mỗi lĩnh vực chỉ được chọn một lần cho một quầy.",
            "Each service may be given to a counter only once.",
        )
    if any(rank not in (MAIN, SECONDARY) for _, rank in data.services):
        raise InvalidInput(
            "Lĩnh vực của quầy là chính hoặc phụ.", "A counter's service is main or secondary."
        )
    return CounterSettings(
        number=data.number,
        label=clean_text(data.label, MAX_NAME, "tên quầy", "counter label", False),
        services=data.services,
    )


def _refuse_taken_number(
    session: Session, site_id: int, number: int, counter_id: int | None
) -> None:
    taken = session.scalar(
        select(Counter.id).where(Counter.site_id == site_id, Counter.number == number)
    )
    if taken is not None and taken != counter_id:
        raise AlreadyExists(
            f"Quầy số {number} đã có ở điểm này.",
            f"Counter {number} already exists at this site.",
        )


def _set_counter_services(
    session: Session, counter: Counter, services: tuple[tuple[int, int], ...]
) -> None:
    """Give the counter its services, in order, updating links in place (a link removed
    and added again in one flush would collide on its primary key)."""
    for service_id, _ in services:
        get_service(session, service_id, counter.site_id)
    existing = {link.service_id: link for link in counter.service_links}
    wanted = {service_id for service_id, _ in services}
    for old in list(counter.service_links):
        if old.service_id not in wanted:
            counter.service_links.remove(old)
    for position, (service_id, rank) in enumerate(services):
        link = existing.get(service_id)
        if link is None:
            counter.service_links.append(
                CounterService(service_id=service_id, rank=rank, position=position)
            )
        else:
            link.rank, link.position = rank, position


def _service_list(session: Session, counter: Counter) -> list[str]:
    """The counter's services as the audit log shows them: "HT (chính)", in order."""
    rows = session.execute(
        select(Service.id, Service.code).where(Service.site_id == counter.site_id)
    )
    codes = {service_id: code for service_id, code in rows}
    ordered = sorted(counter.service_links, key=lambda link: (link.rank, link.position))
    return [
        f"{codes.get(link.service_id, link.service_id)} ({'chính' if link.rank == MAIN else 'phụ'})"
        for link in ordered
    ]


def create_counter(uow: UnitOfWork, actor_id: Actor, site_id: int, data: CounterSettings) -> int:
    """Add a numbered counter to a site, with its ordered services; returns its id."""
    data = _checked_counter(data)
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        get_site(session, site_id)
        _refuse_taken_number(session, site_id, data.number, None)
        counter = Counter(site_id=site_id, number=data.number, label=data.label)
        session.add(counter)
        _set_counter_services(session, counter, data.services)
        with unique("Số quầy", "The counter number"):
            session.flush()
        audit.record(
            session,
            uow.clock(),
            actor_id,
            "counter.create",
            "counter",
            counter.id,
            site_id=site_id,
            detail={
                "number": [None, data.number],
                "label": [None, data.label],
                "services": [None, _service_list(session, counter)],
            },
        )
        config_change(
            uow, site_id, "counter", counter.id, [s for s, _ in data.services], counter.id
        )
        counter_id = counter.id
        commit(uow, "Số quầy", "The counter number")
    return counter_id


def update_counter(
    uow: UnitOfWork, actor_id: Actor, counter_id: int, data: CounterSettings
) -> None:
    """Renumber or relabel a counter, or change its services and their order. A ticket
    already called there stays there."""
    data = _checked_counter(data)
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        counter = session.get(Counter, counter_id, with_for_update=True)
        if counter is None:
            raise NotFound(f"Không có quầy mã {counter_id}.", f"There is no counter {counter_id}.")
        _refuse_taken_number(session, counter.site_id, data.number, counter.id)
        before_services = _service_list(session, counter)
        old_service_ids = set(counter.service_rank)
        changed = assign(counter, {"number": data.number, "label": data.label})
        _set_counter_services(session, counter, data.services)
        after_services = _service_list(session, counter)
        if after_services != before_services:
            changed["services"] = [before_services, after_services]
        if changed:
            audit.record(
                session,
                uow.clock(),
                actor_id,
                "counter.update",
                "counter",
                counter.id,
                site_id=counter.site_id,
                detail=changed,
            )
            config_change(
                uow,
                counter.site_id,
                "counter",
                counter.id,
                old_service_ids | {s for s, _ in data.services},
                counter.id,
            )
        commit(uow, "Số quầy", "The counter number")
