"""The HTTP service's Kafka producer: acks=all, started on first use, restarted after a failure.

Starting lazily lets the service come up (and answer 503) while the broker is down.
Idempotence stays off because some Kafka-compatible brokers (the embedded one) refuse
InitProducerId; a retried send may therefore write a lead twice, which the pipeline's
``event_id`` dedupe absorbs.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from streams.runtime.settings import Settings

log = logging.getLogger(__name__)


class BrokerUnavailable(Exception):
    """The broker did not confirm the lead within the send timeout."""


class Publisher:
    """Send one lead and wait for the broker's acknowledgement."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.timeout_s = settings.intake_send_timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                wait_ms = max(1000, int(self.timeout_s * 1000))
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.settings.kafka_servers, client_id="handoff-web",
                    acks="all", enable_idempotence=False, linger_ms=0,
                    request_timeout_ms=wait_ms, retry_backoff_ms=100,
                )
                try:
                    await asyncio.wait_for(producer.start(), self.timeout_s)
                except (KafkaError, OSError, TimeoutError) as exc:
                    await producer.stop()
                    raise BrokerUnavailable(f"cannot reach Kafka ({type(exc).__name__})") from exc
                self._producer = producer
            return self._producer

    async def send(self, topic: str, key: bytes, value: bytes) -> None:
        """Return once the broker has the message, or raise BrokerUnavailable."""
        producer = await self._started()
        try:
            await asyncio.wait_for(producer.send_and_wait(topic, value, key=key), self.timeout_s)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("lead not confirmed by Kafka (%s: %s)", type(exc).__name__, exc)
            raise BrokerUnavailable(f"Kafka did not confirm the lead ({type(exc).__name__})") from exc

    async def close(self) -> None:
        """Flush and stop the producer, if it was ever started."""
        async with self._lock:
            if self._producer is not None:
                producer, self._producer = self._producer, None
                try:
                    await asyncio.wait_for(producer.stop(), self.timeout_s)
                except (KafkaError, OSError, TimeoutError):
                    log.warning("Kafka producer did not stop cleanly")
