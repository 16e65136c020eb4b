"""Faust's aiokafka transport with the fetch wait of ``streams.kafka.fetch_wait``.

Faust hard-codes a 1.5 s fetch wait; a broker that holds a Fetch for the full wait
(the embedded one does) then adds up to 1.5 s to every lead's speed-to-lead. Here the
wait is the short busy one while records flow and the long idle one after a quiet second.
"""

from __future__ import annotations

from typing import Any

import aiokafka
from faust.transport.drivers import aiokafka as driver

from streams.kafka.fetch_wait import IdleWait


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _wait(self) -> IdleWait | None:
        wait = getattr(self.app, "handoff_fetch_wait", None)
        return wait if isinstance(wait, IdleWait) else None

    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        wait = self._wait()
        if wait is not None:
            # Read by AIOKafkaConsumer.start() when it builds its fetcher.
            consumer._fetch_max_wait_ms = wait.busy_ms
        return consumer

    async def getmany(self, active_partitions: Any, timeout: float) -> Any:
        records = await super().getmany(active_partitions, timeout)
        wait = self._wait()
        if wait is not None and self._consumer is not None:
            wait.note(self._consumer, len(records))
        return records


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(driver.Transport):
    """aiokafka transport whose consumers use the app's ``handoff_fetch_wait``."""

    Consumer = _Consumer
