"""Producer helper for web backends: send a lead to ``leads.submitted`` and wait for the broker.

Imports no Faust and no aiohttp, so a Django or Flask app can use it with kafka-python
alone::

    from streams.client import DeliveryError, InvalidLead, LeadProducer

    producer = LeadProducer("kafka-1:9092,kafka-2:9092")   # one per process, reuse it
    try:
        event_id = producer.submit({"form_id": "contact-sales", **request.POST.dict()})
    except InvalidLead as exc:      # exc.fields: [{"path": "email", "code": "value_error"}]
        ...
    except DeliveryError:           # the broker did not confirm: nothing was acknowledged
        ...

It also holds what the HTTP intake and its callers share: form-field nesting, field
errors without values, and the request-signing scheme.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from kafka import KafkaProducer
from kafka.errors import KafkaError
from pydantic import BaseModel, ValidationError

from schemas import Activity, Consent, LeadSubmitted, Utm

KEY_HEADER = "X-Handoff-Key"
SIGNATURE_HEADER = "X-Handoff-Signature"
TIMESTAMP_HEADER = "X-Handoff-Timestamp"

NESTED: dict[str, type[BaseModel]] = {"utm": Utm, "activity": Activity, "consent": Consent}


class DeliveryError(RuntimeError):
    """The broker did not confirm a lead; nothing was acknowledged."""


class InvalidLead(ValueError):
    """Fields failed the LeadSubmitted schema; ``fields`` names paths and codes, never values."""

    def __init__(self, fields: list[dict[str, str]]) -> None:
        self.fields = fields
        super().__init__("invalid lead: " + ", ".join(f"{f['path']} ({f['code']})" for f in fields))


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Paths and error codes of a validation failure, leaving out the (personal) input values."""
    return [{"path": ".".join(str(p) for p in err["loc"]) or "(body)", "code": err["type"]}
            for err in exc.errors(include_input=False, include_url=False)]


def nest_form_fields(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn flat form fields into a lead dict: ``utm_source`` and ``utm[source]`` become utm.source."""
    lead: dict[str, Any] = {}
    for name, value in items:
        target, key = lead, name
        for group, model in NESTED.items():
            sub = None
            if name.startswith(f"{group}[") and name.endswith("]"):
                sub = name[len(group) + 1:-1]
            elif name.startswith(f"{group}_"):
                sub = name[len(group) + 1:]
            if sub in model.model_fields:
                target, key = lead.setdefault(group, {}), sub
                break
        target[key] = value  # a repeated field keeps its last value, as most web frameworks do
    return lead


def build_lead(fields: Mapping[str, Any]) -> LeadSubmitted:
    """Validate form fields into a LeadSubmitted, filling event_id and submitted_at if absent."""
    data = dict(fields)
    if not data.get("event_id"):
        data["event_id"] = str(uuid.uuid4())
    if not data.get("submitted_at"):
        data["submitted_at"] = datetime.now(UTC).isoformat()
    try:
        return LeadSubmitted.model_validate(data)
    except ValidationError as exc:
        raise InvalidLead(field_errors(exc)) from None


def signature_of(secret: bytes, body: bytes, timestamp: int) -> str:
    """HMAC-SHA256 (hex) of ``"<timestamp>." + body``, as ``X-Handoff-Signature`` carries it."""
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(secret: bytes, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """Headers that sign ``body`` for a server-to-server ``POST /v1/leads``."""
    stamp = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: "sha256=" + signature_of(secret, body, stamp)}


class LeadProducer:
    """Sends leads with acks=all and retries; raises DeliveryError when the broker is unreachable.

    ``timeout_s`` bounds each wait: connecting, queueing a message and each confirmation.
    Within it the client retries transient broker errors itself. Resending after a
    DeliveryError is safe: the pipeline drops a repeated ``event_id``.
    """

    def __init__(
        self, bootstrap_servers: str | list[str], *, topic: str = "leads.submitted",
        timeout_s: float = 10.0, **config: Any,
    ) -> None:
        self.topic = topic
        self.timeout_s = timeout_s
        self.servers = bootstrap_servers if isinstance(bootstrap_servers, str) else ",".join(
            bootstrap_servers)
        self._check_reachable(timeout_s)
        wait_ms = max(1000, int(timeout_s * 1000))
        settings: dict[str, Any] = {
            "acks": "all", "linger_ms": 5, "retry_backoff_ms": 100,
            "bootstrap_timeout_ms": wait_ms, "max_block_ms": wait_ms,
            # Half the budget per request leaves room for the client's own retry within it.
            "request_timeout_ms": wait_ms // 2, "delivery_timeout_ms": wait_ms,
            "client_id": "handoff-producer", **config,
        }
        try:
            self._producer = KafkaProducer(bootstrap_servers=bootstrap_servers, **settings)
        except KafkaError as exc:
            raise self._unreachable(type(exc).__name__) from exc

    def _unreachable(self, why: str) -> DeliveryError:
        return DeliveryError(
            f"no Kafka broker answered at {self.servers} within {self.timeout_s:g} s ({why}); "
            "check HANDOFF_KAFKA_BOOTSTRAP_SERVERS and that the broker is running")

    def _check_reachable(self, timeout_s: float) -> None:
        """Fail fast when no bootstrap server accepts a connection at all."""
        # kafka-python retries a refused bootstrap for its whole timeout and leaves the
        # sockets of a failed start to the garbage collector; a plain connect says it sooner.
        why = "no server listed"
        for server in self.servers.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
                return
            except (OSError, ValueError) as exc:
                why = f"{type(exc).__name__}: {exc}"
        raise self._unreachable(why)

    def send_raw(self, value: bytes, key: bytes | None = None) -> Any:
        """Queue one raw message; returns the delivery future."""
        try:
            return self._producer.send(self.topic, key=key, value=value)
        except KafkaError as exc:
            raise DeliveryError(f"could not queue a lead for {self.topic} at {self.servers}: "
                                f"{type(exc).__name__}: {exc}") from exc

    def _confirm(self, future: Any, what: str) -> None:
        try:
            # A little longer than delivery_timeout_ms, so the client reports its own cause.
            future.get(timeout=self.timeout_s + 1)
        except KafkaError as exc:
            raise DeliveryError(f"the broker at {self.servers} did not confirm {what} within "
                                f"{self.timeout_s:g} s ({type(exc).__name__}); it may be down: "
                                "resend later with the same event_id") from exc

    def send(self, lead: LeadSubmitted) -> str:
        """Send one lead and wait until the broker has it; returns its event_id."""
        body = lead.model_dump_json(exclude_defaults=True).encode()
        self._confirm(self.send_raw(body, key=lead.event_id.encode()), f"event {lead.event_id}")
        return lead.event_id

    def submit(self, fields: Mapping[str, Any]) -> str:
        """Validate form fields (InvalidLead on failure), send them and wait; returns the event_id."""
        return self.send(build_lead(fields))

    def send_many_raw(self, values: Iterable[tuple[bytes | None, bytes]]) -> int:
        """Send many raw messages, then wait for every confirmation; returns the count."""
        futures = [self.send_raw(value, key) for key, value in values]
        for index, future in enumerate(futures):
            self._confirm(future, f"message {index + 1} of {len(futures)}")
        return len(futures)

    def close(self) -> None:
        """Flush and close the connection."""
        try:
            self._producer.close(timeout=self.timeout_s)
        except KafkaError:
            pass  # every send was already confirmed or reported; nothing more to say

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
