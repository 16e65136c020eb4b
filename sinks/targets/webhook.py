"""Signed webhook: POST of the event's JSON as published, with an idempotency key and a signature.

``X-Handoff-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>``
(the scheme Stripe uses): the receiver recomputes it over the raw body and checks the age.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time

from sinks.config import WebhookSink, secret
from sinks.contract import Answer, Item, TargetSink
from sinks.targets.http import HttpTarget, answer_of


def signature(secret_key: str, body: bytes, at: int) -> str:
    """The signature header's value for a body sent at ``at`` (unix seconds)."""
    mac = hmac.new(secret_key.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


class Webhook(TargetSink):
    """One POST per event, up to ``batch_limit`` in flight at once (one commit per batch)."""

    batch_limit = 20

    def __init__(self, config: WebhookSink) -> None:
        super().__init__()
        self.config = config
        self.secret = secret(config.secret_env)
        self.http = HttpTarget(config.timeout_s)

    async def send(self, items: list[Item]) -> list[Answer]:
        """Post the items side by side and answer for each from its status."""
        return list(await asyncio.gather(*(self._post(item) for item in items)))

    async def _post(self, item: Item) -> Answer:
        headers = {
            "Content-Type": "application/json",
            "X-Handoff-Event": item.kind,
            "Idempotency-Key": item.key,
            "X-Handoff-Signature": signature(self.secret, item.raw, int(time.time())),
        }
        return answer_of(await self.http.request("POST", self.config.url, body=item.raw, headers=headers))

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.http.close()
