"""Faust's aiokafka transport with the fetch wait of ``streams.kafka.fetch_wait``, and a seek
back to the committed offsets that skips no partition.

Faust hard-codes a 1.5 s fetch wait; a broker that holds a Fetch for the full wait
(the embedded one does) then adds up to 1.5 s to every lead's speed-to-lead. Here the
wait is the short busy one while records flow and the long idle one after a quiet second.

Records fetched while Faust's flow is stopped (a rebalance) are dropped and the consumer
seeks back to the committed offsets. aiokafka's ``seek_to_committed`` leaves a partition
with no commit yet where the fetcher is (past the dropped records), and stops at the first
partition revoked meanwhile, leaving the rest unseeked: the running worker then never sees
those records (measured: 1-3 of 2,000 leads after a SIGKILLed worker's partitions moved).
Here every partition still assigned goes back to its commit, or to the beginning without one.

Faust also acknowledges the records its streams skip: those fetched in an old generation
(one the fetcher held while a rebalance stopped the flow is handed on once it resumes)
and those read while the flow is stopped. Their offsets then count towards the next
commit although the records were never handled, and the commit can pass them before
their copies, read again from the committed offset, are handled: the next rebalance
starts their owner past them. Here such an acknowledgement releases the message (so a
rebalance does not wait for it) but commits nothing, unless a batch of
``streams.kafka.faust_batches`` handled the message.

Table recovery reads a changelog up to the end the consumer reports and refuses to start
when an offset it already applied lies beyond it. ListOffsets answers the newest batch's
base offset + 1 on some brokers (the embedded one) after multi-record batches, so a worker
that kept a table partition through a rebalance crashed there now and then; here the ends
come from a Fetch's high-watermark (``streams.kafka.offsets``), never below ListOffsets.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, cast

import aiokafka
from aiokafka.errors import IllegalStateError
from faust.transport.drivers import aiokafka as driver
from faust.types import TP, Message
from kafka.errors import KafkaError

from streams.kafka.faust_batches import handled_messages
from streams.kafka.fetch_wait import FETCHER_WAKE_MS, IdleWait
from streams.kafka.offsets import end_offsets

log = logging.getLogger(__name__)


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _wait(self) -> IdleWait | None:
        wait = getattr(self.app, "handoff_fetch_wait", None)
        return wait if isinstance(wait, IdleWait) else None

    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        consumer._consumer_timeout = FETCHER_WAKE_MS / 1000  # read by start() with the fetch wait
        wait = self._wait()
        if wait is not None:
            # Read by AIOKafkaConsumer.start() when it builds its fetcher.
            consumer._fetch_max_wait_ms = wait.busy_ms
        return consumer

    async def seek_to_committed(self) -> Mapping[TP, int]:
        return await self.call_thread(self._seek_each_to_committed)  # type: ignore[no-any-return]

    async def _seek_each_to_committed(self) -> dict[TP, int]:
        consumer = self._ensure_consumer()
        found: dict[TP, int] = {}  # None for a partition without a commit, as aiokafka answers
        for tp in list(consumer.assignment()):
            offset = await consumer.committed(tp)
            if offset is None and tp.topic.endswith("-changelog"):
                continue  # a table's changelog is positioned by Faust's recovery, never committed
            try:
                if offset is None:
                    await consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, offset)
            except IllegalStateError:
                continue  # revoked meanwhile: its new owner starts from the commit
            found[tp] = offset
        return found

    async def _highwaters(self, partitions: list[TP]) -> Mapping[TP, int]:
        listed = await super()._highwaters(partitions)
        if self.consumer.in_transaction or not partitions:
            return listed
        # Table recovery reads a changelog up to these ends and refuses an offset it already
        # applied that lies beyond one; ListOffsets can be short of the true end, so the ends
        # come from a Fetch, never below what ListOffsets said.
        transport = cast(driver.Transport, self.transport)
        servers = driver.server_list(transport.url, transport.default_port)
        try:
            fetched = await asyncio.to_thread(
                end_offsets, ",".join(servers), [(tp.topic, tp.partition) for tp in partitions]
            )
        except (KafkaError, OSError, TimeoutError, ValueError) as exc:
            log.warning("changelog ends read from ListOffsets only (%s: %s)", type(exc).__name__, exc)
            return listed
        return {tp: max(listed.get(tp) or 0, fetched.get((tp.topic, tp.partition), 0)) for tp in partitions}

    async def getmany(self, active_partitions: Any, timeout: float) -> Any:
        records = await super().getmany(active_partitions, timeout)
        wait = self._wait()
        if wait is not None and self._consumer is not None:
            wait.note(self._consumer, len(records))
        return records


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def ack(self, message: Message) -> bool:
        stale = message.generation_id != self.app.consumer_generation_id
        stopped = not self.app.flow_control.is_active()
        if (stale or stopped) and message not in handled_messages(self):
            message.acked = True  # released, so a rebalance's wait for in-flight events ends
            return False  # read again from the committed offset, and handled then
        return bool(super().ack(message))


class Transport(driver.Transport):
    """aiokafka transport whose consumers use the app's ``handoff_fetch_wait``."""

    Consumer = _Consumer
