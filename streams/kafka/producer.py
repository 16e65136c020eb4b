"""The one Kafka producer wrapper: acks=all, every send confirmed, one error when it is not.

Two faces over the same rules: ``Producer`` (kafka-python, for the command line, the
sales desk and web backends) and ``AsyncProducer`` (aiokafka, for the HTTP service,
started on first use so the service comes up and answers 503 while the broker is down).
Idempotence stays off because some Kafka-compatible brokers (the embedded one) refuse
InitProducerId; a retried send may write a message twice, which the pipeline's
``event_id`` dedupe absorbs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError as AioKafkaError
from kafka import KafkaProducer
from kafka.errors import KafkaError

from schemas.errors import BrokerError

log = logging.getLogger(__name__)

Message = tuple[bytes | None, bytes]


class DeliveryError(BrokerError):
    """The broker did not confirm a message; nothing was acknowledged."""


def _servers(bootstrap_servers: str | list[str]) -> str:
    return bootstrap_servers if isinstance(bootstrap_servers, str) else ",".join(bootstrap_servers)


def unreachable(servers: str, timeout_s: float, why: str) -> DeliveryError:
    """The error for a broker that did not answer, naming the setting to check."""
    return DeliveryError(
        f"no Kafka broker answered at {servers} within {timeout_s:g} s ({why}); "
        "check HANDOFF_KAFKA_BOOTSTRAP_SERVERS and that the broker is running"
    )


def check_reachable(servers: str, timeout_s: float) -> None:
    """Fail fast when no bootstrap server accepts a connection at all."""
    # kafka-python retries a refused bootstrap for its whole timeout and leaves the
    # sockets of a failed start to the garbage collector; a plain connect says it sooner.
    why = "no server listed"
    for server in servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
            return
        except (OSError, ValueError) as exc:
            why = f"{type(exc).__name__}: {exc}"
    raise unreachable(servers, timeout_s, why)


class Producer:
    """A kafka-python producer that waits for the broker to confirm every message.

    ``timeout_s`` bounds each wait: connecting, queueing a message and each confirmation;
    within it the client retries transient broker errors itself.
    """

    def __init__(
        self,
        bootstrap_servers: str | list[str],
        *,
        timeout_s: float = 10.0,
        client_id: str = "handoff",
        **config: Any,
    ) -> None:
        self.timeout_s = timeout_s
        self.servers = _servers(bootstrap_servers)
        check_reachable(self.servers, timeout_s)
        wait_ms = max(1000, int(timeout_s * 1000))
        settings: dict[str, Any] = {
            "acks": "all",
            "linger_ms": 5,
            "retry_backoff_ms": 100,
            "bootstrap_timeout_ms": wait_ms,
            "max_block_ms": wait_ms,
            # Half the budget per request leaves room for the client's own retry within it.
            "request_timeout_ms": wait_ms // 2,
            "delivery_timeout_ms": wait_ms,
            "client_id": client_id,
            **config,
        }
        try:
            self._producer = KafkaProducer(bootstrap_servers=self.servers.split(","), **settings)
        except KafkaError as exc:
            raise unreachable(self.servers, timeout_s, type(exc).__name__) from exc

    def _queue(self, topic: str, key: bytes | None, value: bytes) -> Any:
        try:
            return self._producer.send(topic, key=key, value=value)
        except KafkaError as exc:
            raise DeliveryError(
                f"could not queue a message for {topic} at {self.servers}: {type(exc).__name__}: {exc}"
            ) from exc

    def _confirm(self, future: Any, what: str) -> Any:
        try:
            # A little longer than delivery_timeout_ms, so the client reports its own cause.
            return future.get(timeout=self.timeout_s + 1)
        except KafkaError as exc:
            raise DeliveryError(
                f"the broker at {self.servers} did not confirm {what} within "
                f"{self.timeout_s:g} s ({type(exc).__name__}); it may be down: "
                "resend later with the same event_id"
            ) from exc

    def send_many(self, topic: str, messages: Iterable[Message]) -> list[Any]:
        """Send ``(key, value)`` messages, wait for every confirmation; their record metadata."""
        futures = [self._queue(topic, key, value) for key, value in messages]
        return [
            self._confirm(future, f"message {index + 1} of {len(futures)} on {topic}")
            for index, future in enumerate(futures)
        ]

    def close(self) -> None:
        """Flush and close the connection."""
        # Every send was already confirmed or reported; a failing close has nothing to add.
        with contextlib.suppress(KafkaError):
            self._producer.close(timeout=self.timeout_s)

    def __enter__(self) -> Producer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncProducer:
    """An aiokafka producer, started on first use and restarted after a failed start."""

    def __init__(
        self, bootstrap_servers: str | list[str], *, timeout_s: float, client_id: str = "handoff-web"
    ) -> None:
        self.servers = _servers(bootstrap_servers)
        self.timeout_s = timeout_s
        self.client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.servers.split(","),
                    client_id=self.client_id,
                    acks="all",
                    enable_idempotence=False,
                    linger_ms=0,
                    request_timeout_ms=max(1000, int(self.timeout_s * 1000)),
                    retry_backoff_ms=100,
                )
                try:
                    await asyncio.wait_for(producer.start(), self.timeout_s)
                except (AioKafkaError, OSError, TimeoutError) as exc:
                    await producer.stop()
                    raise unreachable(self.servers, self.timeout_s, type(exc).__name__) from exc
                self._producer = producer
            return self._producer

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Return once the broker has the message, or raise DeliveryError."""
        producer = await self._started()
        try:
            await asyncio.wait_for(producer.send_and_wait(topic, value, key=key), self.timeout_s)
        except (AioKafkaError, OSError, TimeoutError) as exc:
            log.warning("message not confirmed by Kafka (%s: %s)", type(exc).__name__, exc)
            raise DeliveryError(
                f"Kafka did not confirm the message on {topic} ({type(exc).__name__})"
            ) from exc

    async def close(self) -> None:
        """Flush and stop the producer, if it was ever started."""
        async with self._lock:
            if self._producer is not None:
                producer, self._producer = self._producer, None
                try:
                    await asyncio.wait_for(producer.stop(), self.timeout_s)
                except (AioKafkaError, OSError, TimeoutError):
                    log.warning("Kafka producer did not stop cleanly")
