"""A printer address as one URL, the way an installer writes it down for a kiosk:

    tcp://192.168.1.50:9100              network printer (port 9100 by default)
    usb://0416:5011                      USB printer by vendor:product id (hex)
    serial:///dev/ttyUSB0?baudrate=9600  serial printer (9600 baud by default)
    file:///dev/usb/lp0                  a device file (the kernel's usblp driver, a parallel port)
    dummy://                             prints nowhere (trying the system out)

Options for every kind, in the query string:
    profile=TM-T88V    python-escpos printer profile (default: "default")
    codepage=cp1258    text mode's Vietnamese code page: cp1258 (tone marks sent as
                       combining characters) or tcvn3
    table=52           the number the printer gives that code page (ESC t n), where it differs
                       from the profile's
    status=no          do not ask the printer for its status before printing (for printers
                       that never answer)
    timeout=10         seconds allowed for one job, to the printer's confirmation (by
                       default sized by the link: its speed and the job's size)

Network and dummy printers are printed by the server; USB, serial and device-file printers
are attached to a kiosk PC and printed by its print agent (`xephang agent`).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

Scheme = Literal["tcp", "usb", "serial", "file", "dummy"]
SCHEMES: tuple[Scheme, ...] = ("tcp", "usb", "serial", "file", "dummy")
CODEPAGES = ("cp1258", "tcvn3")
DEFAULT_PORT = 9100
DEFAULT_BAUDRATE = 9600
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
OPTIONS = {"profile", "codepage", "table", "status", "timeout", "baudrate", "in_ep", "out_ep"}


class BadPrinterUrl(ValueError):
    """The printer URL cannot be used; the message says why, in English and Vietnamese."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class PrinterUrl:
    scheme: Scheme
    host: str = ""
    port: int = DEFAULT_PORT
    vendor_id: int = 0
    product_id: int = 0
    path: str = ""
    baudrate: int = DEFAULT_BAUDRATE
    in_ep: int = 0x82
    out_ep: int = 0x01
    profile: str = "default"
    codepage: str = "cp1258"
    table: int | None = None
    query_status: bool = True
    send_timeout: float | None = None  # None: sized by the link (kiosk.printers.job_deadline)
    text: str = field(default="", compare=False)

    @property
    def printed_by_server(self) -> bool:
        """Network (and dummy) printers are driven by the server itself; the others hang
        on a kiosk PC's cable and are driven by its print agent."""
        return self.scheme in ("tcp", "dummy")

    def __str__(self) -> str:
        return self.text


def _bad(what_vi: str, what_en: str) -> BadPrinterUrl:
    return BadPrinterUrl(f"Địa chỉ máy in không hợp lệ: {what_vi}.", f"Bad printer URL: {what_en}.")


def _int(value: str, name: str, base: int = 10) -> int:
    try:
        return int(value, base)
    except ValueError:
        raise _bad(f"“{name}” phải là số", f"“{name}” must be a number") from None


def parse_printer_url(text: str) -> PrinterUrl:
    """Read a printer URL (see the module's docstring); BadPrinterUrl says what is wrong."""
    text = text.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _bad(
            "hãy dùng tcp://, usb://, serial://, file:// hoặc dummy://",
            "use tcp://, usb://, serial://, file:// or dummy://",
        )
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(query) - OPTIONS
    if unknown:
        names = ", ".join(sorted(unknown))
        raise _bad(f"không có tuỳ chọn {names}", f"no option {names}")
    values: dict[str, object] = {"scheme": scheme, "text": text}
    if scheme == "tcp":
        if not parts.hostname:
            raise _bad("thiếu địa chỉ máy in", "the printer's host is missing")
        values["host"] = parts.hostname
        try:
            values["port"] = parts.port or DEFAULT_PORT
        except ValueError:
            raise _bad("cổng không hợp lệ", "the port is not valid") from None
    elif scheme == "usb":
        ids = parts.netloc.split(":")
        if len(ids) != 2 or not all(ids):
            raise _bad("USB cần mã hãng:mã máy, ví dụ usb://04b8:0202", "USB needs vendor:product")
        values["vendor_id"] = _int(ids[0], "vendor", 16)
        values["product_id"] = _int(ids[1], "product", 16)
        if "in_ep" in query:
            values["in_ep"] = _int(query["in_ep"], "in_ep", 0)
        if "out_ep" in query:
            values["out_ep"] = _int(query["out_ep"], "out_ep", 0)
    elif scheme in ("serial", "file"):
        path = parts.path or ""
        if not path.startswith("/"):
            raise _bad("cần đường dẫn đầy đủ, ví dụ file:///dev/usb/lp0", "a full path is needed")
        values["path"] = path
        if "baudrate" in query:
            values["baudrate"] = _int(query["baudrate"], "baudrate")
    if "profile" in query:
        values["profile"] = query["profile"]
    if "codepage" in query:
        codepage = query["codepage"].lower().replace("-", "")
        if codepage not in CODEPAGES:
            raise _bad("bảng mã là cp1258 hoặc tcvn3", "the code page is cp1258 or tcvn3")
        values["codepage"] = codepage
    if "table" in query:
        table = _int(query["table"], "table")
        if not 0 <= table <= 255:
            raise _bad("“table” từ 0 đến 255", "“table” is 0 to 255")
        values["table"] = table
    if "status" in query:
        values["query_status"] = query["status"].lower() not in ("no", "0", "false", "off")
    if "timeout" in query:
        timeout = _int(query["timeout"], "timeout")
        if not 1 <= timeout <= 120:
            raise _bad("“timeout” từ 1 đến 120 giây", "“timeout” is 1 to 120 seconds")
        values["send_timeout"] = float(timeout)
    return PrinterUrl(**values)  # type: ignore[arg-type]


# What a kiosk's printer can be on its PC: a USB or parallel printer's device file, or a
# serial port (a pseudo-terminal too). Nothing else: never /etc/passwd.
DEVICE_FILES = re.compile(r"/dev/(usb/lp\d+|lp\d+|tty[A-Za-z]*\d+|pts/\d+)")


def check_device_printer(url: PrinterUrl) -> None:
    """BadPrinterUrl unless `url` is something a printer can be, for a printer stored on a
    device: file:// and serial:// only to a printer's device file, and tcp:// only to an
    address a printer can have. A host name is resolved now, when the printer is set: each
    of its addresses must be one (the installer's own command line may print anywhere)."""
    if url.scheme in ("file", "serial") and not DEVICE_FILES.fullmatch(url.path):
        raise _bad(
            "chỉ dùng tệp thiết bị máy in (/dev/usb/lp0, /dev/ttyUSB0…)",
            "only a printer's device file (/dev/usb/lp0, /dev/ttyUSB0…)",
        )
    if url.scheme == "tcp":
        for address in _addresses(url.host, url.port):
            _check_printer_address(address)


LOOPBACK_VARIABLE = "XEPHANG_PRINTER_LOOPBACK"


def _addresses(host: str, port: int) -> list[IPAddress]:
    """The addresses behind a printer's host: a dotted quad or an IPv6 literal as written,
    a name as it resolves now. Other numeric forms (2852039166, 0xa9fea9fe, 169.254.43518,
    octal) are refused: the C library would connect to them, the check above could not
    read them."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if _numeric(host):
        raise _bad(
            "hãy viết địa chỉ IPv4 dạng 192.168.1.50", "write an IPv4 address as 192.168.1.50"
        )
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _bad(
            f"không tìm thấy máy “{host}”: máy in phải kết nối được khi cài đặt",
            f"“{host}” does not resolve: the printer must be reachable when it is set",
        ) from None
    # The scope of a link-local IPv6 address (fe80::1%eth0) is cut off before reading it.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


def _numeric(host: str) -> bool:
    """Whether the C library would read `host` as an IPv4 address (any of inet_aton's
    forms), or its last label is a number, as a browser would read it."""
    try:
        socket.inet_aton(host)
    except OSError:
        last = host.rstrip(".").rsplit(".", 1)[-1]
        return bool(re.fullmatch(r"\d+|0x[0-9a-f]*", last, re.IGNORECASE))
    return True


def _check_printer_address(address: IPAddress) -> None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        # Only tests and a print bridge on the server itself have a printer there.
        if os.environ.get(LOOPBACK_VARIABLE) == "1":
            return
        raise _bad(
            "máy in không thể ở chính máy chủ (địa chỉ loopback)",
            "the printer cannot be on the server itself (a loopback address)",
        )
    if (
        address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
    ):
        raise _bad("địa chỉ này không thể là máy in", "this address cannot be a printer")
