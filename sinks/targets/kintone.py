"""kintone: ``PUT /k/v1/records.json`` with ``upsert: true``, keyed by a unique text field.

The API token goes in ``X-Cybozu-API-Token``; up to 100 records. kintone takes a batch
whole or not at all: the records a 400 names (``records[N]…``) are refused and the rest
sent again.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from schemas import HandoffEvent
from sinks.config import KintoneSink, secret
from sinks.contract import DELIVERED, Answer, Item, Refused, TargetSink, excerpt
from sinks.directory import Directory
from sinks.mapping import facts_of, map_fields
from sinks.targets.http import HttpTarget, Reply, answer_of

_RECORD_INDEX = re.compile(r"^records\[(\d+)\]")


def kintone_record(event: HandoffEvent, config: KintoneSink, directory: Directory) -> dict[str, Any]:
    """One record of the request: the update key and every mapped field as ``{"value": …}``."""
    fields = map_fields(config.fields, facts_of(event, directory))
    fields.pop(config.update_key, None)
    return {
        "updateKey": {"field": config.update_key, "value": event.handoff_id},
        "record": {code: {"value": str(value)} for code, value in fields.items()},
    }


class Kintone(TargetSink):
    """The app's records upsert."""

    def __init__(self, config: KintoneSink, directory: Directory) -> None:
        super().__init__()
        self.config, self.directory = config, directory
        self.batch_limit = config.batch_size
        self.token = secret(config.token_env)
        self.http = HttpTarget(config.timeout_s)

    async def _put(self, records: list[dict[str, Any]]) -> Reply | Answer:
        url = f"{self.config.base_url.rstrip('/')}/k/v1/records.json"
        headers = {"Content-Type": "application/json", "X-Cybozu-API-Token": self.token}
        body = orjson.dumps({"app": self.config.app, "upsert": True, "records": records})
        reply = await self.http.request("PUT", url, body=body, headers=headers, secrets=(self.token,))
        return reply if isinstance(reply, Reply) else answer_of(reply)

    async def send(self, items: list[Item]) -> list[Answer]:
        """Upsert; set aside the records kintone names in a refusal and send the others again."""
        records = []
        for item in items:
            assert isinstance(item.event, HandoffEvent)  # noqa: S101 - the file allows handoff events only
            records.append(kintone_record(item.event, self.config, self.directory))
        answers: list[Answer | None] = [None] * len(items)
        pending = list(range(len(items)))
        while pending:
            reply = await self._put([records[i] for i in pending])
            if not isinstance(reply, Reply):
                return [a or reply for a in answers]
            if reply.status == 200:
                for i in pending:
                    answers[i] = DELIVERED
                break
            bad = self._named(reply) if reply.status == 400 else set()
            if not bad or len(bad) >= len(pending) or max(bad) >= len(pending):
                answer = reply.answer((self.token,))
                return [a or answer for a in answers]
            for position in sorted(bad):
                answers[pending[position]] = Refused(400, f"HTTP 400: {excerpt(reply.text, (self.token,))}")
            pending = [i for n, i in enumerate(pending) if n not in bad]
        return [a or DELIVERED for a in answers]

    @staticmethod
    def _named(reply: Reply) -> set[int]:
        """Positions of the records a 400 names."""
        try:
            errors = orjson.loads(reply.text).get("errors") or {}
        except (orjson.JSONDecodeError, AttributeError):
            return set()
        return {int(m.group(1)) for key in errors if (m := _RECORD_INDEX.match(key))}

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.http.close()
