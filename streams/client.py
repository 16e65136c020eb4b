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

Imports, list uploads and trade-show lists go to the bulk lane instead, decided by the
same logic once no live lead waits: ``producer.send_bulk(messages)`` (``leads.bulk``).

The signing helpers for server-to-server ``POST /v1/leads`` are here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from schemas import LeadSubmitted
from streams.kafka.producer import DeliveryError, Message, Producer
from streams.logic.submission import (
    KEY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    InvalidLead,
    build_lead,
    key_of,
    nest_form_fields,
    signature_of,
    signed_headers,
)

#: The default topic of the bulk lane (``HANDOFF_TOPIC_BULK``).
BULK_TOPIC = "leads.bulk"

__all__ = [
    "BULK_TOPIC",
    "KEY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "DeliveryError",
    "InvalidLead",
    "LeadProducer",
    "build_lead",
    "key_of",
    "nest_form_fields",
    "signature_of",
    "signed_headers",
]


class LeadProducer(Producer):
    """Sends leads to one topic with acks=all; raises DeliveryError when the broker is unreachable.

    ``timeout_s`` bounds each wait: connecting, queueing a message and each confirmation.
    Resending after a DeliveryError is safe: the pipeline drops a repeated ``event_id``.
    """

    def __init__(
        self,
        bootstrap_servers: str | list[str],
        *,
        topic: str = "leads.submitted",
        timeout_s: float = 10.0,
        **config: Any,
    ) -> None:
        super().__init__(bootstrap_servers, timeout_s=timeout_s, client_id="handoff-producer", **config)
        self.topic = topic

    def send(self, lead: LeadSubmitted) -> str:
        """Send one lead and wait until the broker has it; returns its event_id."""
        body = lead.model_dump_json(exclude_defaults=True).encode()
        self.send_many(self.topic, [(lead.event_id.encode(), body)])
        return lead.event_id

    def submit(self, fields: Mapping[str, Any]) -> str:
        """Validate form fields (InvalidLead on failure), send them and wait; returns the event_id."""
        return self.send(build_lead(fields))

    def send_many_raw(self, values: Iterable[Message]) -> int:
        """Send raw ``(key, value)`` messages to the topic, then wait for every confirmation."""
        return len(self.send_many(self.topic, values))

    def send_bulk(self, values: Iterable[Message], *, topic: str = BULK_TOPIC) -> int:
        """Send raw ``(key, value)`` leads to the bulk lane, then wait for every confirmation.

        Bulk leads are decided like live ones, but only while no live lead is waiting, so a
        large import never delays a demo request.
        """
        return len(self.send_many(topic, values))

    def __enter__(self) -> LeadProducer:
        return self
