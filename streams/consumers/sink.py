"""Sink: write handoffs into the sales queue store, committing offsets only after the database.

The SQL sales queue is the built-in sink ``sales-queue``: the shared sink loop
(``streams.consumers.sink_loop``) polls a batch in the group ``HANDOFF_SINK_GROUP``,
writes it in one transaction (``streams.consumers.sales_queue``), then commits exactly
the offsets it wrote. A failed write is sent again with backoff, so nothing is skipped;
a handoff the store refuses every time becomes a dead letter. The sinks of the sinks
file run beside it, each in its own group, and so does the outcomes consumer that keeps
nurture events and dead letters for the scorecard.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from sinks.migrate import require_current
from sinks.store import create_schema, make_engine
from streams.consumers.outcomes import OutcomesWorker
from streams.consumers.sales_queue import NAME, SalesQueueTarget
from streams.consumers.sink_loop import LoopSpec, SinkLoop
from streams.consumers.sinks_run import build_loops, keep_running
from streams.core.heap import settle_heap
from streams.core.settings import Settings

log = logging.getLogger(__name__)


class SinkWorker:
    """The SQL sales queue sink in the sink group."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stopping = asyncio.Event()
        self.target = SalesQueueTarget(settings)
        self.engine = self.target.engine
        spec = LoopSpec(NAME, settings.sink.group, ["handoff"], None, settings.sink.batch_within_s)
        self.loop = SinkLoop(settings, spec, self.target, self.stopping)

    async def ready(self) -> tuple[bool, str]:
        """Ready once consuming, and while the last write to the store succeeded."""
        if not self.loop.started:
            return False, "starting"
        if not self.target.healthy:
            return False, "the sales queue store refused the last write; retrying"
        return True, f"{len(self.loop.consumer.assignment())} partitions assigned"

    async def run(self) -> None:
        """Consume, write and commit until asked to stop."""
        if self.settings.database.url.startswith("sqlite"):
            create_schema(self.engine)  # a scratch SQLite file: run the migrations here
        await self.loop.run()


async def run_sink(settings: Settings) -> None:
    """Run the SQL sales queue sink and every sink of the sinks file until SIGINT/SIGTERM."""
    if not settings.database.url.startswith("sqlite"):
        # PostgreSQL is migrated ahead of time (`handoff db upgrade`); refuse an older schema.
        engine = make_engine(settings.database.url)
        try:
            require_current(engine)
        finally:
            engine.dispose()
    worker = SinkWorker(settings)
    # Built before anything starts, so a missing secret stops the worker with its name.
    targets = build_loops(settings, worker.stopping)
    # Nurture and dead letters into the store too, for the scorecard's marketing side.
    outcomes = OutcomesWorker(settings)
    outcomes.stopping = worker.stopping
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, worker.stopping.set)
    runner = None
    if settings.ops.metrics_port:
        from streams.core.metrics_http import start_metrics_server

        runner = await start_metrics_server(
            settings.ops.metrics_port, worker.ready, host=settings.ops.metrics_host
        )
    settle_heap()  # start-up's objects live as long as the process (see streams.core.heap)
    try:
        # Each configured sink runs in its own group: a slow one never holds back the SQL queue.
        await asyncio.gather(worker.run(), outcomes.run(), *(keep_running(t) for t in targets))
    finally:
        if runner is not None:
            await runner.cleanup()
