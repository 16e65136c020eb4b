"""The producer helper for web backends, against the real broker and against no broker."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable

import pytest

from schemas import LeadSubmitted
from streams.client import DeliveryError, InvalidLead, LeadProducer
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from tests.topic_reader import read_topic

pytestmark = pytest.mark.integration

FIELDS = {
    "form_id": "contact-sales",
    "email": "ｙａｍａｄａ＠ｋｏｕｇｙｏｕ．ｃｏ．ｊｐ",
    "company": "山田工業株式会社",
    "utm": {"source": "google"},
}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_submit_waits_for_the_broker_and_keys_by_event_id(settings_for: Callable[..., Settings]) -> None:
    settings = settings_for()
    ensure_topics(settings, [settings.topics.submitted], partitions=2)
    with LeadProducer(settings.kafka.servers, topic=settings.topics.submitted, timeout_s=5) as producer:
        generated = producer.submit(FIELDS)
        given = producer.submit({**FIELDS, "event_id": "crm-4711"})
        with pytest.raises(InvalidLead) as invalid:
            producer.submit({**FIELDS, "email": "yamada.private@"})
    assert given == "crm-4711" and generated
    assert [f["path"] for f in invalid.value.fields] == ["email"]
    assert "yamada.private" not in str(invalid.value)
    records = read_topic(settings.kafka.bootstrap_servers, settings.topics.submitted)
    assert sorted(key or b"" for key, _ in records) == sorted([generated.encode(), b"crm-4711"])
    leads = [LeadSubmitted.model_validate_json(value) for _, value in records]
    assert {lead.email.lower() for lead in leads} == {"yamada@kougyou.co.jp"}
    assert {lead.utm.source for lead in leads} == {"google"}


def test_an_unreachable_broker_is_a_clear_delivery_error() -> None:
    address = f"127.0.0.1:{_closed_port()}"
    with pytest.raises(DeliveryError) as caught:
        LeadProducer(address, timeout_s=1)
    message = str(caught.value)
    assert address in message and "HANDOFF_KAFKA_BOOTSTRAP_SERVERS" in message


GONE_BROKER = """
import sys
from streams.client import DeliveryError, LeadProducer
from streams.embedded.broker import EmbeddedBroker

broker = EmbeddedBroker().start()
try:
    producer = LeadProducer(broker.bootstrap, timeout_s=1)
    producer.submit({"form_id": "pricing", "email": "ito@kougyou.co.jp"})
finally:
    broker.stop(timeout_s=2.0)
try:
    producer.submit({"form_id": "pricing", "email": "ito@kougyou.co.jp"})
except DeliveryError as exc:
    print(exc)
    sys.exit(3)
"""


def test_a_broker_gone_after_connecting_is_a_delivery_error_not_a_hang() -> None:
    # In a child process: kafka-python leaks the sockets of its reconnect attempts.
    done = subprocess.run(
        [sys.executable, "-c", GONE_BROKER], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 3, done.stderr[-2000:]
    assert "did not confirm" in done.stdout or "could not queue" in done.stdout
