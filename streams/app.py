"""The Faust application of the stream workers (intake, qualification, routing).

The sink workers are a separate consumer group (see ``streams.consumers.sink``), so the
two scale independently and a sink never receives a partition of ``leads.submitted``.
"""

from __future__ import annotations

import faust

from streams.agents import intake, route, sla
from streams.consumers import feedback
from streams.core.settings import Settings
from streams.kafka.faust_transport import Transport
from streams.kafka.fetch_wait import IdleWait

# The parts of the stream worker, in start order; each has ``register(app, settings)``.
AGENTS = (intake, route, feedback, sla)


def create_app(settings: Settings) -> faust.App:
    """Build the stream workers' Faust app and register its agents."""
    # The app runs the routing stage (and the SLA timer); intake has its own consumer in
    # the worker group, so the app is a group of its own.
    group = settings.worker.route_group_id
    (settings.worker.state_dir / group).mkdir(parents=True, exist_ok=True)
    app = faust.App(
        group,
        broker=[f"kafka://{s}" for s in settings.kafka.servers],
        store="memory://",
        topic_partitions=settings.kafka.partitions,
        topic_replication_factor=settings.kafka.replication_factor,
        broker_session_timeout=settings.kafka.session_timeout_s,
        broker_heartbeat_interval=settings.kafka.heartbeat_interval_s,
        broker_commit_interval=settings.worker.commit_interval_s,
        consumer_auto_offset_reset="earliest",
        # A short stream buffer: a live lead to route waits behind what is buffered, and
        # routing is cheap, so a deep buffer buys nothing but that wait.
        stream_buffer_maxsize=256,
        producer_acks=-1,
        producer_linger=settings.kafka.producer_linger_s,
        web_enabled=settings.worker.web_enabled,
        web_port=settings.worker.web_port,
        datadir=str(settings.worker.state_dir / group),
        autodiscover=False,
    )
    app.handoff_fetch_wait = IdleWait.of(settings)  # type: ignore[attr-defined]
    app.transport = Transport(app.conf.broker_consumer, app)
    for part in AGENTS:
        part.register(app, settings)
    return app
