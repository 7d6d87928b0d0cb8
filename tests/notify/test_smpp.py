"""The SMPP channel against a small SMSC started by the test (tests/notify/fake_smsc.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from server.adapters.notify.base import Outgoing, PermanentFailure, TemporaryFailure
from server.adapters.notify.smpp import SmppAccount, SmppChannel
from tests.notify.fake_smsc import FakeSmsc


@pytest.fixture
def smsc() -> Iterator[FakeSmsc]:
    server = FakeSmsc()
    yield server
    server.close()


def channel_for(smsc: FakeSmsc, password: str = "secret") -> SmppChannel:
    return SmppChannel(
        SmppAccount("127.0.0.1", smsc.port, "xephang", password, source="UBND-BADINH", timeout=3)
    )


def message(body: str, key: str = "xephang-1") -> Outgoing:
    return Outgoing(key=key, recipient="+84912345678", kind="called", language="vi", body=body)


def test_a_call_goes_as_one_ucs2_sms_from_the_brand_name(smsc: FakeSmsc) -> None:
    channel = channel_for(smsc)
    delivery = channel.send(message("Mời công dân số A012 đến quầy số 3"))
    channel.close()
    assert smsc.binds == [("xephang", "secret")]
    [sms] = smsc.submitted
    assert (sms.source_ton, sms.source) == (5, "UBND-BADINH")  # alphanumeric brand name
    assert (sms.dest_ton, sms.dest_npi, sms.destination) == (1, 1, "84912345678")
    assert sms.data_coding == 8  # UCS-2: Vietnamese diacritics survive
    assert sms.text == "Mời công dân số A012 đến quầy số 3"
    assert delivery.ref == "msg1"


def test_a_long_message_is_split_into_parts_with_a_udh(smsc: FakeSmsc) -> None:
    channel = channel_for(smsc)
    text = "Số A012 đã bị lỡ lượt. Vào lại hàng trong 15 phút: http://192.168.1.10/t/" + "x" * 40
    delivery = channel.send(message(text))
    channel.close()
    assert len(smsc.submitted) == 2
    assert all(sms.esm_class & 0x40 for sms in smsc.submitted)
    assert "".join(sms.text for sms in smsc.submitted) == text
    assert delivery.ref == "msg1,msg2"


def test_one_bind_serves_many_messages(smsc: FakeSmsc) -> None:
    channel = channel_for(smsc)
    for n in range(3):
        channel.send(message(f"Mời công dân số A00{n} đến quầy số 1", key=f"k{n}"))
    channel.close()
    assert len(smsc.binds) == 1 and len(smsc.submitted) == 3


def test_a_refused_number_is_permanent_a_throttle_is_temporary(smsc: FakeSmsc) -> None:
    channel = channel_for(smsc)
    smsc.statuses = [0x0B, 0x58]  # invalid destination; throttled
    with pytest.raises(PermanentFailure):
        channel.send(message("A"))
    with pytest.raises(TemporaryFailure):
        channel.send(message("B"))
    channel.send(message("C"))
    channel.close()
    assert [sms.text for sms in smsc.submitted] == ["C"]


def test_a_wrong_password_is_permanent_and_no_smsc_is_temporary(smsc: FakeSmsc) -> None:
    with pytest.raises(PermanentFailure):
        channel_for(smsc, password="wrong").send(message("A"))
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = unused.getsockname()[1]
    nobody = SmppChannel(SmppAccount("127.0.0.1", port, "xephang", "secret", "UBND", timeout=3))
    with pytest.raises(TemporaryFailure):
        nobody.send(message("A"))
