"""Run a stream worker or a sink worker in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging

import faust

from streams.app import create_app
from streams.runtime.settings import Settings
from streams.runtime.topics import ensure_topics


def run_stream_worker(settings: Settings) -> None:
    """Create the topics, then run the Faust agents."""
    ensure_topics(settings)
    app = create_app(settings)
    worker = faust.Worker(
        app, loglevel=settings.log_level.upper(), quiet=True, redirect_stdouts=False,
    )
    worker.execute_from_commandline()


def run_sink_worker(settings: Settings) -> None:
    """Create the topics, then write handoffs to the sales queue store."""
    from streams.agents.sink import run_sink

    logging.basicConfig(
        level=settings.log_level.upper(),
        format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
    )
    ensure_topics(settings)
    asyncio.run(run_sink(settings))
