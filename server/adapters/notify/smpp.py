"""A carrier's brand-name SMS over SMPP 3.4 (smpplib): bind as a transmitter once, then
one submit_sm per part, each answered by its submit_sm_resp before the next.

Vietnamese needs UCS-2 (70 characters a part, 67 when split); `smpplib.gsm.make_parts`
chooses it and splits with a UDH. The sender (brand name) goes as an alphanumeric
address (TON 5), the citizen as an international number (TON 1, NPI 1, 84xxxxxxxxx).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm
import smpplib.smpp

from server.adapters.notify.base import Delivery, Outgoing, PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)

# submit_sm_resp statuses that no retry will change (SMPP 3.4, 5.1.3).
PERMANENT_STATUSES = frozenset(
    {
        0x0000000A,  # invalid source address (the brand name is not registered)
        0x0000000B,  # invalid destination address
        0x00000001,  # invalid message length
        0x00000045,  # submit_sm failed: many SMSCs say so for a blocked number
    }
)


@dataclass(frozen=True)
class SmppAccount:
    host: str
    port: int
    system_id: str
    password: str
    source: str  # the registered brand name, e.g. "UBND-BADINH"
    system_type: str = ""
    timeout: float = 10.0


class SmppChannel:
    name = "smpp"

    def __init__(self, account: SmppAccount) -> None:
        self.account = account
        self._client: Any = None

    def _bound(self) -> Any:
        if self._client is None:
            account = self.account
            client = smpplib.client.Client(
                account.host, account.port, timeout=account.timeout, allow_unknown_opt_params=True
            )
            try:
                client.connect()
                client.bind_transmitter(
                    system_id=account.system_id,
                    password=account.password,
                    system_type=account.system_type,
                )
            except smpplib.exceptions.PDUError as error:
                client.disconnect()
                raise PermanentFailure(f"SMPP bind refused: {error}") from error
            except (OSError, smpplib.exceptions.ConnectionError) as error:
                client.disconnect()
                raise TemporaryFailure(f"SMPP bind failed: {error}") from error
            self._client = client
        return self._client

    def send(self, message: Outgoing) -> Delivery:
        client = self._bound()
        parts, encoding, esm_class = smpplib.gsm.make_parts(message.body)
        refs = []
        try:
            for part in parts:
                submit = client.send_message(
                    source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
                    source_addr_npi=smpplib.consts.SMPP_NPI_UNK,
                    source_addr=self.account.source,
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                    dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                    destination_addr=message.recipient.lstrip("+"),
                    short_message=part,
                    data_coding=encoding,
                    esm_class=esm_class,
                    registered_delivery=False,
                )
                refs.append(self._answer(client, submit.sequence))
        except (OSError, smpplib.exceptions.ConnectionError) as error:
            self.close()
            raise TemporaryFailure(f"SMPP connection lost: {error}") from error
        return Delivery(ref=",".join(refs))

    def _answer(self, client: Any, sequence: int) -> str:
        while True:
            pdu = client.read_pdu()
            if pdu.command == "enquire_link":
                client.send_pdu(
                    smpplib.smpp.make_pdu("enquire_link_resp", client=client, sequence=pdu.sequence)
                )
                continue
            if pdu.command != "submit_sm_resp" or pdu.sequence != sequence:
                continue
            status = int(pdu.status)
            if status == 0:
                ref = pdu.message_id
                return ref.decode() if isinstance(ref, bytes) else str(ref or "")
            if status in PERMANENT_STATUSES:
                raise PermanentFailure(f"SMSC refused the message (status 0x{status:08X})")
            raise TemporaryFailure(f"SMSC deferred the message (status 0x{status:08X})")

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.unbind()
            except Exception:  # the link may already be gone
                log.debug("SMPP unbind failed", exc_info=True)
            client.disconnect()
