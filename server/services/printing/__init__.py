"""Use cases of ticket printing: queue a ticket for the kiosk's printer, record how the job
went, keep the printer's status (and publish when a fault appears or clears), reprint, test
print, and the kiosk's print agent coming and going.

Printing is never part of issuing: the ticket is committed first, then its print job is
created in a transaction of its own, so a printer fault can never roll a ticket back. The
delivery itself (rendering, ESC/POS, the network or the agent) is
server/adapters/printing/spooler.py's.

    content.py         what a ticket's paper says (and a test print's, and the preview)
    jobs.py            print jobs: queue, reprint, test print, how each went
    printer_status.py  the printer's status, the print agent, the manager's printer list
    settings.py        a kiosk's printer address, width and mode

Callers import from here: `from server.services.printing import print_ticket`.
"""

from server.services.printing.content import (
    TEST_CLOSING,
    TEST_NUMBER,
    TEST_SERVICE,
    Link,
    preview,
    sample_content,
    ticket_content,
)
from server.services.printing.jobs import (
    PrintOrder,
    expire_unanswered_job,
    finish_print_job,
    print_test_ticket,
    print_ticket,
    reprint_ticket,
)
from server.services.printing.printer_status import (
    MAX_DETAIL,
    connect_agent,
    disconnect_agent,
    printer_message,
    printers,
    report_printer_status,
)
from server.services.printing.settings import PrinterSettings, set_printer

__all__ = [
    "MAX_DETAIL",
    "TEST_CLOSING",
    "TEST_NUMBER",
    "TEST_SERVICE",
    "Link",
    "PrintOrder",
    "PrinterSettings",
    "connect_agent",
    "disconnect_agent",
    "expire_unanswered_job",
    "finish_print_job",
    "preview",
    "print_test_ticket",
    "print_ticket",
    "printer_message",
    "printers",
    "report_printer_status",
    "reprint_ticket",
    "sample_content",
    "set_printer",
    "ticket_content",
]
