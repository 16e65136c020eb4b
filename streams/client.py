"""Producer helper for web backends: send a lead to ``leads.submitted`` and wait for the broker.

Imports no Faust, so a Django or Flask app can use it with kafka-python alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from kafka import KafkaProducer  # type: ignore[import-untyped]
from kafka.errors import KafkaError  # type: ignore[import-untyped]

from schemas import LeadSubmitted


class DeliveryError(RuntimeError):
    """The broker did not confirm a lead; nothing was acknowledged."""


def build_lead(fields: Mapping[str, Any]) -> LeadSubmitted:
    """Validate form fields into a LeadSubmitted, filling event_id and submitted_at if absent."""
    data = dict(fields)
    data.setdefault("event_id", str(uuid.uuid4()))
    data.setdefault("submitted_at", datetime.now(UTC).isoformat())
    return LeadSubmitted.model_validate(data)


class LeadProducer:
    """Sends leads with acks=all and retries; raises DeliveryError when the broker is unreachable."""

    def __init__(
        self, bootstrap_servers: str | list[str], *, topic: str = "leads.submitted",
        timeout_s: float = 10.0, **config: Any,
    ) -> None:
        self.topic = topic
        self.timeout_s = timeout_s
        try:
            self._producer = KafkaProducer(
                bootstrap_servers=bootstrap_servers, acks="all", retries=5,
                linger_ms=5, max_block_ms=int(timeout_s * 1000),
                request_timeout_ms=int(timeout_s * 1000), client_id="handoff-producer",
                **config,
            )
        except KafkaError as exc:
            raise DeliveryError(f"no Kafka broker reachable at {bootstrap_servers}") from exc

    def send_raw(self, value: bytes, key: bytes | None = None) -> Any:
        """Queue one raw message; returns the delivery future."""
        try:
            return self._producer.send(self.topic, key=key, value=value)
        except KafkaError as exc:
            raise DeliveryError(f"could not queue a lead for {self.topic}: {exc}") from exc

    def send(self, lead: LeadSubmitted) -> str:
        """Send one lead and wait until the broker has it; returns its event_id."""
        body = lead.model_dump_json(exclude_defaults=True).encode()
        future = self.send_raw(body, key=lead.event_id.encode())
        try:
            future.get(timeout=self.timeout_s)
        except KafkaError as exc:
            raise DeliveryError(f"broker did not confirm event {lead.event_id}: {exc}") from exc
        return lead.event_id

    def send_many_raw(self, values: Iterable[tuple[bytes | None, bytes]]) -> int:
        """Send many raw messages, then wait for every confirmation; returns the count."""
        futures = [self.send_raw(value, key) for key, value in values]
        self._producer.flush(timeout=self.timeout_s * 3)
        for future in futures:
            try:
                future.get(timeout=self.timeout_s)
            except KafkaError as exc:
                raise DeliveryError(f"broker did not confirm a lead: {exc}") from exc
        return len(futures)

    def close(self) -> None:
        """Flush and close the connection."""
        self._producer.close(timeout=self.timeout_s)

    def __enter__(self) -> LeadProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def key_of(line: bytes) -> bytes | None:
    """The event_id of a raw lead as a message key, when it can be read."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    event_id = data.get("event_id") if isinstance(data, dict) else None
    return event_id.encode() if isinstance(event_id, str) and event_id else None
