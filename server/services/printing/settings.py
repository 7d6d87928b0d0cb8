"""A kiosk's printer settings: its address (checked), its width in dots and its mode."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.printer_url import BadPrinterUrl, PrinterUrl, check_device_printer, parse_printer_url
from kiosk.printers import profile_width
from server.adapters.printing.escpos import check_printer_url
from server.domain.errors import InvalidInput
from server.domain.printing import PrinterStatus, PrintMode, valid_width
from server.services.printing.printer_status import kiosk_device, set_status
from server.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PrinterSettings:
    device_id: int
    name: str
    printer_url: str
    mode: PrintMode
    width: int
    warnings: tuple[str, ...] = ()


def set_printer(
    uow: UnitOfWork,
    device_id: int,
    printer_url: str,
    width: int | None = None,
    mode: PrintMode | None = None,
) -> PrinterSettings:
    """Give a kiosk its printer (an empty URL: none). A new printer's status is unknown
    until it prints or its agent reports. Without a width, a printer profile that knows
    its printer's (TM-T88V: 512 dots) gives it; a width that disagrees with the profile is
    kept (the installer may know better) with a warning."""
    printer_url = printer_url.strip()
    if width is not None and not valid_width(width):
        raise InvalidInput(
            "Khổ in phải là bội số của 8, từ 256 đến 832 điểm (576: giấy 80 mm, 384: 58 mm).",
            "The width must be a multiple of 8 from 256 to 832 dots (576: 80 mm, 384: 58 mm).",
        )
    with uow:
        device = kiosk_device(uow.session, device_id)
        mode = mode or PrintMode(device.printer_mode)
        profile_dots = _check_url(printer_url, mode) if printer_url else None
        device.printer_url = printer_url
        device.printer_mode = mode
        if width is not None:
            device.printer_width = width
        elif profile_dots is not None and valid_width(profile_dots):
            device.printer_width = profile_dots
        warnings: tuple[str, ...] = ()
        if profile_dots is not None and device.printer_width != profile_dots:
            warnings = (_width_warning(printer_url, profile_dots, device.printer_width),)
        set_status(uow, device, PrinterStatus.UNKNOWN, "", uow.clock())
        result = PrinterSettings(
            device.id, device.name, device.printer_url, mode, device.printer_width, warnings
        )
        uow.commit()
    return result


def _check_url(text: str, mode: PrintMode) -> int | None:
    """Check a printer URL; the width in dots its profile knows, if it knows one."""
    try:
        url: PrinterUrl = parse_printer_url(text)
        check_device_printer(url)  # issue 18: never /etc/passwd nor 169.254.169.254
        check_printer_url(url, mode)
    except BadPrinterUrl as error:
        raise InvalidInput(error.message_vi, error.message_en) from error
    return profile_width(url)


def _width_warning(printer_url: str, profile_dots: int, width: int) -> str:
    profile = parse_printer_url(printer_url).profile
    return (
        f"Hồ sơ máy in {profile} in {profile_dots} điểm mỗi dòng, khổ đã đặt là {width}: "
        f"phần bên phải vé có thể bị mất. / The printer profile {profile} prints "
        f"{profile_dots} dots a line, the width set is {width}: the right of the ticket "
        "may be lost."
    )
