"""Reception: a guide at the entrance issues a number for a citizen (one who cannot use
the kiosk, or whose priority the guide has checked), as NovoSGA's triage and Qmatic's
reception do. The number comes from the same use case as the kiosk's (`issue_ticket`),
with the channel `staff` and the guide's account in the ticket's first event; it is
printed on a kiosk's printer the guide chooses, or only shown on the guide's screen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import Device, Site
from server.domain.errors import Forbidden, NoPrinter, NotFound
from server.domain.roles import DeviceKind, Role
from server.domain.tickets import Channel, Priority
from server.services.access import get_user
from server.services.tickets import IssuedTicket, issue_ticket
from server.services.unit_of_work import UnitOfWork


def reception_sites(session: Session, user_id: int) -> list[Site]:
    """The sites where the user may issue numbers: every site for an admin, a manager's
    own sites, the sites of a clerk's counters."""
    user = get_user(session, user_id)
    if user.role == Role.ADMIN:
        return list(session.scalars(select(Site).order_by(Site.id)))
    if user.role == Role.MANAGER:
        return list(user.sites)
    return sorted({c.site_id: c.site for c in user.counters}.values(), key=lambda s: s.id)


def require_reception_site(session: Session, user_id: int, site_id: int) -> Site:
    """The site, if the user may issue numbers there; NotFound or Forbidden otherwise."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(f"Không có điểm phục vụ số {site_id}.", f"There is no site {site_id}.")
    if site not in reception_sites(session, user_id):
        raise Forbidden("Bạn không làm việc ở điểm phục vụ này.", "You do not work at this site.")
    return site


def kiosk_printers(session: Session, site_id: int) -> list[Device]:
    """The site's working kiosks that have a printer: where a guide may print a number."""
    return list(
        session.scalars(
            select(Device)
            .where(
                Device.site_id == site_id,
                Device.kind == DeviceKind.KIOSK,
                Device.active.is_(True),
                Device.printer_url != "",
            )
            .order_by(Device.id)
        )
    )


def printer_list(session: Session, site_id: int) -> list[dict[str, Any]]:
    return [{"id": d.id, "name": d.name} for d in kiosk_printers(session, site_id)]


def issue_for_citizen(
    uow: UnitOfWork,
    user_id: int,
    site_id: int,
    service_id: int,
    priority: Priority | None = None,
    device_id: int | None = None,
) -> IssuedTicket:
    """Issue a number for a citizen at reception. The kiosk to print on (`device_id`) is
    checked before the number is taken, so a wrong choice costs no number; printing itself
    is the caller's next step (services.printing.print_ticket), as at a kiosk."""
    with uow.db.reading() as session:
        require_reception_site(session, user_id, site_id)
        if device_id is not None:
            _require_printer(session, site_id, device_id)
    return issue_ticket(uow, site_id, service_id, priority, channel=Channel.STAFF, user_id=user_id)


def _require_printer(session: Session, site_id: int, device_id: int) -> None:
    device = session.get(Device, device_id)
    if (
        device is None
        or device.kind != DeviceKind.KIOSK
        or device.site_id != site_id
        or not device.active
    ):
        raise NotFound(
            f"Không có ki-ốt mã {device_id} ở điểm này.", f"There is no kiosk {device_id} here."
        )
    if not device.printer_url:
        raise NoPrinter(
            f"Ki-ốt “{device.name}” chưa có máy in.", f"The kiosk “{device.name}” has no printer."
        )
