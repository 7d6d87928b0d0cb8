"""Zalo's notification service (ZNS): a message is an approved template's id and its
parameters, sent to a phone number that has a Zalo account, from the centre's Official
Account.

POST https://business.openapi.zalo.me/message/template, the OA's `access_token` in a
header of that name, a JSON body {phone: "84...", template_id, template_data,
tracking_id}; the answer is JSON with `error` 0 and `data.msg_id` on success, or a
negative `error` and a `message`. `tracking_id` is our outbox row, so that a message can
be matched to the OA's delivery report.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from server.adapters.notify.base import Delivery, Outgoing, PermanentFailure, TemporaryFailure

ZNS_URL = "https://business.openapi.zalo.me/message/template"

# Errors a retry will not cure: the phone number, the template, its parameters, or the
# recipient (no Zalo account, or blocked the OA). See Zalo's error code table.
PERMANENT_ERRORS = frozenset({-108, -109, -112, -118, -119, -131, -137})

# A ZNS parameter of type "custom label" holds at most 30 characters.
MAX_PARAM = 30


@dataclass(frozen=True)
class ZaloAccount:
    access_token: str
    templates: dict[str, str] = field(default_factory=dict)  # message kind -> template id
    url: str = ZNS_URL
    timeout: float = 10.0


class ZaloChannel:
    name = "zalo"

    def __init__(self, account: ZaloAccount) -> None:
        self.account = account

    def send(self, message: Outgoing) -> Delivery:
        template_id = self.account.templates.get(message.kind)
        if not template_id:
            raise PermanentFailure(f"no ZNS template for '{message.kind}' messages")
        data = {
            key: str(value)[: MAX_PARAM if key != "link" else 200]
            for key, value in message.params.items()
            if key != "token"
        }
        body = {
            "phone": message.recipient.lstrip("+"),
            "template_id": template_id,
            "template_data": data,
            "tracking_id": message.key,
        }
        request = urllib.request.Request(
            self.account.url,
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json",
                "access_token": self.account.access_token,
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.account.timeout) as response:
                answer: dict[str, Any] = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500 and error.code != 429:
                raise PermanentFailure(f"ZNS answered HTTP {error.code}") from error
            raise TemporaryFailure(f"ZNS answered HTTP {error.code}") from error
        except (OSError, ValueError) as error:
            raise TemporaryFailure(f"ZNS unreachable: {error}") from error
        code = int(answer.get("error", -1))
        if code == 0:
            msg_id = (answer.get("data") or {}).get("msg_id")
            return Delivery(ref=str(msg_id) if msg_id else None)
        text = f"ZNS error {code}: {answer.get('message', '')}"[:300]
        if code in PERMANENT_ERRORS:
            raise PermanentFailure(text)
        raise TemporaryFailure(text)

    def close(self) -> None:
        pass
