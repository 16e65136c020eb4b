"""Route: assign an owner inside the queue and emit the handoff.

The routing topic is keyed by queue, so one worker owns each queue's assignment
ledger; the ledger is a changelog-backed table and may lag by an update after a
restart (round robin stays fair; the database keeps correctness).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import faust

from schemas import HandoffEvent
from streams.logic.pipeline import assign_owner
from streams.logic.policy import load_policy
from streams.runtime import metrics
from streams.runtime.settings import Settings

log = logging.getLogger(__name__)


def _passed_on(headers: Any) -> dict[str, bytes]:
    """Keep the submitted timestamp header for the sink."""
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    return {k: v for k, v in items if k == metrics.SUBMITTED_HEADER}


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the routing agent and its assignment ledger to the app."""
    policy = load_policy(settings.rules_file)
    raw = {"key_type": bytes, "value_type": bytes, "value_serializer": "raw", "key_serializer": "raw"}
    routing = app.topic(settings.topic_routing, **raw)
    handoff = app.topic(settings.topic_handoff, **raw)
    ledger = app.Table("assignments", default=int, partitions=settings.partitions)

    @app.agent(routing, name="handoff.route")
    async def route(stream: faust.StreamT[bytes]) -> None:
        async for record in stream.events():
            event = HandoffEvent.model_validate_json(record.value)
            assigned = assign_owner(event, policy, ledger[event.queue])
            ledger[event.queue] += 1
            await handoff.send(key=assigned.lead_id.encode(),
                               value=assigned.model_dump_json().encode(),
                               headers=_passed_on(record.message.headers))

    return route
