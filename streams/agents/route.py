"""Route: assign an owner inside the queue and emit the handoff.

The routing topic is keyed by queue, so one worker owns each queue's assignment
ledger; the ledger is a changelog-backed table and may lag by an update after a
restart (the rotation stays fair within one lead; the database keeps correctness).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import faust

from schemas import HandoffEvent
from streams.agents.topics import raw_topic
from streams.core import metrics
from streams.core.settings import Settings
from streams.desk.workload import Workload, load_open_counts
from streams.logic.assign import Ledger
from streams.logic.pipeline import account_key, assign_owner
from streams.logic.policy_file import load_policy

log = logging.getLogger(__name__)


def _passed_on(headers: Any) -> dict[str, bytes]:
    """Keep the submitted timestamp header for the sink."""
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    return {k: v for k, v in items if k == metrics.SUBMITTED_HEADER}


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the routing agent and its assignment ledger to the app."""
    policy = load_policy(settings.policy.rules_file)
    # Live and bulk leads to route: one agent reads both, and Faust's fetcher hands it the
    # two topics in turn, so a live lead waits for one bulk record, not for an import. Both
    # are keyed by queue with the same partitions, so one worker still owns each ledger.
    routing = raw_topic(app, settings.topics.routing, settings.topics.routing_bulk)
    handoff = raw_topic(app, settings.topics.handoff)
    ledger = app.Table("assignments", default=dict, partitions=settings.kafka.partitions)
    # Account -> rep for sticky queues: one small entry per account rather than one big
    # ledger value; written while handling the queue's own partition, so it lives with it.
    sticky = app.Table("sticky-accounts", default=str, partitions=settings.kafka.partitions)
    workload = Workload()
    workload.refresh(load_open_counts(settings.database.url))

    @app.timer(interval=settings.policy.accounts_refresh_s)  # type: ignore[untyped-decorator,unused-ignore]
    async def refresh_workload() -> None:
        workload.refresh(await asyncio.to_thread(load_open_counts, settings.database.url))

    def assign(event: HandoffEvent) -> HandoffEvent:
        state = Ledger.from_json(ledger[event.queue])
        queue = policy.queues.get(event.queue)
        key = account_key(event)
        sticky_key = None
        if key and queue is not None and queue.strategy == "sticky_account":
            sticky_key = f"{event.queue}\x1f{key}"
            if sticky[sticky_key]:
                state.accounts = {key: sticky[sticky_key]}
        held = workload.open_counts(event.queue, queue.reps) if queue is not None else None
        assigned = assign_owner(event, policy, state, held)
        if sticky_key and assigned.owner:
            sticky[sticky_key] = assigned.owner
        state.accounts = {}
        ledger[event.queue] = state.to_json()
        workload.assigned(event.queue, assigned.owner)
        return assigned

    @app.agent(routing, name="handoff.route")
    async def route(stream: faust.StreamT[bytes]) -> None:
        # One event at a time on purpose: with Faust's take_events() a record of the first
        # batch after the partitions were assigned went missing (in about half of the runs).
        async for record in stream.events():
            assigned = assign(HandoffEvent.model_validate_json(record.value))
            await handoff.send(
                key=assigned.lead_id.encode(),
                value=assigned.model_dump_json().encode(),
                headers=_passed_on(record.message.headers),
            )

    return route
