"""Run a stream worker or a sink worker in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging.config

import faust

from streams.app import create_app
from streams.core.heap import settle_heap
from streams.core.logging import install_masking, logging_config
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics


def _serve_metrics(app: faust.App, settings: Settings) -> None:
    """Start /metrics, /health and /ready on the worker's loop once it runs."""
    from streams.core.metrics_http import start_metrics_server

    async def ready() -> tuple[bool, str]:
        if app.rebalancing:
            return False, "rebalancing"
        return True, f"{len(app.consumer.assignment())} partitions assigned"

    async def _metrics() -> None:
        await start_metrics_server(settings.ops.metrics_port, ready, host=settings.ops.metrics_host)

    app.task(_metrics)


class _Worker(faust.Worker):
    async def on_startup_finished(self) -> None:
        """Once the app runs (agents, tables, consumers): keep start-up's objects out of the GC."""
        await super().on_startup_finished()
        settle_heap()


def run_stream_worker(settings: Settings) -> None:
    """Create the topics, then run the Faust agents."""
    from streams.core.metrics import STREAM_WORKER_FAMILIES
    from streams.core.metrics_http import own_families

    own_families(STREAM_WORKER_FAMILIES)
    install_masking()
    ensure_topics(settings)
    app = create_app(settings)
    if settings.ops.metrics_port:
        _serve_metrics(app, settings)
    worker = _Worker(
        app,
        loglevel=settings.log.level.upper(),
        quiet=True,
        redirect_stdouts=False,
        logging_config=logging_config(settings.log.level, settings.log.format),
    )
    # At WARNING and above Faust's terminal spinner sets the root logger to DEBUG, so every
    # library builds a record for every debug line (measured: ~10% of a worker's CPU).
    worker.spinner = None
    worker.execute_from_commandline()


def run_sink_worker(settings: Settings) -> None:
    """Create the topics, then write handoffs to the sales queue store."""
    from streams.consumers.sink import run_sink
    from streams.core.metrics import SINK_FAMILIES
    from streams.core.metrics_http import own_families

    own_families(SINK_FAMILIES)
    install_masking()
    logging.config.dictConfig(logging_config(settings.log.level, settings.log.format))
    ensure_topics(settings)
    asyncio.run(run_sink(settings))
