"""The Zalo ZNS channel against a local fake that checks requests as Zalo documents them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.adapters.notify.base import Outgoing, PermanentFailure, TemporaryFailure
from server.adapters.notify.zalo import ZaloAccount, ZaloChannel
from tests.notify.fake_zns import FakeZns


@pytest.fixture
def zns() -> Iterator[FakeZns]:
    server = FakeZns(templates={"250001": {"number", "counter", "site"}})
    yield server
    server.close()


def called(recipient: str = "+84912345678") -> Outgoing:
    return Outgoing(
        key="xephang-7",
        recipient=recipient,
        kind="called",
        language="vi",
        body="Mời công dân số A012 đến quầy số 3",
        params={"number": "A012", "counter": "3", "site": "UBND phường Ba Đình", "token": "t"},
    )


def channel(zns: FakeZns, token: str = "oa-token") -> ZaloChannel:
    return ZaloChannel(ZaloAccount(token, {"called": "250001"}, url=zns.url, timeout=3))


def test_a_call_is_sent_as_the_approved_template_with_its_parameters(zns: FakeZns) -> None:
    delivery = channel(zns).send(called())
    [body] = zns.received
    assert body["phone"] == "84912345678"
    assert body["template_id"] == "250001"
    assert body["template_data"] == {
        "number": "A012",
        "counter": "3",
        "site": "UBND phường Ba Đình",
    }  # the phone token never leaves the centre
    assert body["tracking_id"] == "xephang-7"
    assert delivery.ref == "zns1"


def test_zalos_refusals_are_sorted_into_permanent_and_temporary(zns: FakeZns) -> None:
    with pytest.raises(TemporaryFailure, match="-124"):  # expired token: renew, then retry
        channel(zns, token="expired").send(called())
    zns.errors = [-108]
    with pytest.raises(PermanentFailure, match="-108"):
        channel(zns).send(called())
    no_template = ZaloChannel(ZaloAccount("oa-token", {}, url=zns.url))
    with pytest.raises(PermanentFailure, match="no ZNS template"):
        no_template.send(called())
    assert zns.received == []


def test_an_unreachable_zalo_is_temporary(zns: FakeZns) -> None:
    url = zns.url
    zns.close()
    with pytest.raises(TemporaryFailure):
        ZaloChannel(ZaloAccount("oa-token", {"called": "250001"}, url=url, timeout=2)).send(
            called()
        )
