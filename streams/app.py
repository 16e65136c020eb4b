"""The Faust application of the stream workers (intake, qualification, routing).

The sink workers are a separate consumer group (see ``streams.agents.sink``), so the
two scale independently and a sink never receives a partition of ``leads.submitted``.
"""

from __future__ import annotations

import importlib

import faust

from streams.runtime.faust_transport import Transport
from streams.runtime.settings import Settings

# The agent modules, imported explicitly (no scanning); each has ``register(app, settings)``.
AGENT_MODULES = (
    "streams.agents.intake", "streams.agents.route", "streams.agents.feedback", "streams.agents.sla",
)


def create_app(settings: Settings) -> faust.App:
    """Build the stream workers' Faust app and register its agents."""
    group = settings.worker_group
    (settings.state_dir / group).mkdir(parents=True, exist_ok=True)
    app = faust.App(
        group,
        broker=[f"kafka://{s}" for s in settings.kafka_servers],
        store="memory://",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.heartbeat_interval_s,
        broker_commit_interval=settings.commit_interval_s,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger=settings.producer_linger_s,
        web_enabled=settings.web_enabled,
        web_port=settings.web_port,
        datadir=str(settings.state_dir / group),
        autodiscover=False,
    )
    app.handoff_fetch_max_wait_ms = settings.fetch_max_wait_ms  # type: ignore[attr-defined]
    app.transport = Transport(app.conf.broker_consumer, app)
    for name in AGENT_MODULES:
        importlib.import_module(name).register(app, settings)
    return app
