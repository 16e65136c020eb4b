"""Produce a whole batch of outputs in one go: one record batch per partition, not one send per record.

aiokafka's ``send()`` costs a serialisation, a partitioner call, a future and an
accumulator entry per record; at a few thousand leads a second that per-record path was
a third of a stream worker's CPU. Here the records of a batch are grouped by partition
(the same murmur2 partitioner the Java clients and ``send()`` use, so a key still lands
where every other producer puts it), packed into record batches and handed to the
producer whole; the call returns once the broker confirmed every one of them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable, Sequence
from typing import TypeAlias

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder

#: One record to produce: topic, key, value, headers.
Output: TypeAlias = tuple[str, bytes | None, bytes, Sequence[tuple[str, bytes]]]

# A record batch up to this size; a produce request stays under the broker's 1 MiB default.
BATCH_BYTES = 256 * 1024


def batch_producer(servers: Sequence[str] | str, client_id: str) -> AIOKafkaProducer:
    """A producer for ``send_all``: acks from all replicas, no linger (the caller batches)."""
    return AIOKafkaProducer(
        bootstrap_servers=servers,
        client_id=client_id,
        acks="all",
        # Some Kafka-compatible brokers (the embedded one) refuse InitProducerId; a retried
        # send may write a record twice, which the pipeline's event_id dedupe absorbs.
        enable_idempotence=False,
        linger_ms=0,
        max_batch_size=BATCH_BYTES,
    )


class BatchSender:
    """Send batches of outputs through one started producer."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self._partitioner = DefaultPartitioner()
        self._spread = itertools.count()  # keyless records go round the partitions

    def _partition(self, partitions: list[int], key: bytes | None) -> int:
        if key is None:
            return partitions[next(self._spread) % len(partitions)]
        return int(self._partitioner(key, partitions, partitions))

    async def send_all(self, outputs: Iterable[Output]) -> None:
        """Produce every output, in order within each partition; return when all are confirmed.

        Raises the producer's KafkaError when any record was not confirmed (some others of
        the batch may have been written: the caller rewinds and the writes are idempotent).
        """
        known: dict[str, list[int]] = {}  # each topic's partitions, looked up once a batch
        groups: dict[tuple[str, int], list[Output]] = {}
        for out in outputs:
            topic = out[0]
            if topic not in known:
                known[topic] = sorted(await self.producer.partitions_for(topic))
            groups.setdefault((topic, self._partition(known[topic], out[1])), []).append(out)
        futures: list[asyncio.Future[object]] = []
        for (topic, partition), items in groups.items():
            batch = self.producer.create_batch()
            for _, key, value, headers in items:
                if batch.append(key=key, value=value, timestamp=None, headers=list(headers)) is None:
                    futures.append(await self._submit(batch, topic, partition))
                    batch = self.producer.create_batch()  # an empty batch takes any record
                    batch.append(key=key, value=value, timestamp=None, headers=list(headers))
            futures.append(await self._submit(batch, topic, partition))
        await asyncio.gather(*futures)

    async def _submit(self, batch: BatchBuilder, topic: str, partition: int) -> asyncio.Future[object]:
        batch.close()  # nothing else may add to it once it is queued
        future: asyncio.Future[object] = await self.producer.send_batch(batch, topic, partition=partition)
        return future
