"""Route: assign an owner inside the queue and emit the handoff, a batch at a time.

The routing topic is keyed by queue, so one worker owns each queue's assignment
ledger; the ledger is a changelog-backed table and may lag by an update after a
restart (the rotation stays fair within one lead; the database keeps correctness).
A record holds the handoffs of one intake batch for one queue (an envelope,
``streams.kafka.envelopes``), and a batch holds up to ``route_batch_size`` leads. A batch
is assigned in order, each queue's ledger written once as of its last lead, and its
handoffs produced in one go; Faust acknowledges the batch's records only after that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import faust
from aiokafka.errors import KafkaError

from schemas import HandoffEvent
from streams.agents.topics import raw_topic
from streams.core.settings import Settings
from streams.desk.workload import Workload, load_open_counts
from streams.kafka.batch_send import BatchSender, Output, batch_producer
from streams.kafka.envelopes import leads_in, unpack
from streams.kafka.faust_batches import Event, handling, run_in_batches
from streams.logic.assign import Ledger
from streams.logic.pipeline import account_key, assign_owner
from streams.logic.policy_file import load_policy

log = logging.getLogger(__name__)


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the routing agent and its assignment ledger to the app."""
    policy = load_policy(settings.policy.rules_file)
    # Live and bulk leads to route: one agent reads both, and Faust's fetcher hands it the
    # two topics in turn, so a live lead waits for the batch in hand, not for an import. Both
    # are keyed by queue with the same partitions, so one worker still owns each ledger.
    routing = raw_topic(app, settings.topics.routing, settings.topics.routing_bulk)
    handoff = settings.topics.handoff
    ledger = app.Table("assignments", default=dict, partitions=settings.kafka.partitions)
    # Account -> rep for sticky queues: one small entry per account rather than one big
    # ledger value; written while handling the queue's own partition, so it lives with it.
    sticky = app.Table("sticky-accounts", default=str, partitions=settings.kafka.partitions)
    workload = Workload()
    workload.refresh(load_open_counts(settings.database.url))

    @app.timer(interval=settings.policy.accounts_refresh_s)  # type: ignore[untyped-decorator,unused-ignore]
    async def refresh_workload() -> None:
        workload.refresh(await asyncio.to_thread(load_open_counts, settings.database.url))

    def assign(
        event: HandoffEvent, state: Ledger, stickies: dict[str, str]
    ) -> tuple[HandoffEvent, str | None]:
        """Assign one lead; also say which sticky account it (re)pinned, if any."""
        queue = policy.queues.get(event.queue)
        key = account_key(event)
        sticky_key = None
        if key and queue is not None and queue.strategy == "sticky_account":
            sticky_key = f"{event.queue}\x1f{key}"
            owner = stickies[sticky_key] if sticky_key in stickies else sticky[sticky_key]
            if owner:
                state.accounts = {key: owner}
        held = workload.open_counts(event.queue, queue.reps) if queue is not None else None
        assigned = assign_owner(event, policy, state, held)
        state.accounts = {}
        workload.assigned(event.queue, assigned.owner)
        if sticky_key and assigned.owner:
            stickies[sticky_key] = assigned.owner
            return assigned, sticky_key
        return assigned, None

    def route_batch(events: Sequence[Event]) -> list[Output]:
        """Assign a batch in order; each queue's ledger is written once, as of its last lead."""
        states: dict[str, tuple[Ledger, Event]] = {}
        stickies: dict[str, str] = {}
        sticky_events: dict[str, Event] = {}
        outputs: list[Output] = []
        for event in events:
            for line, stamp in unpack(event.value, event.message.headers):
                lead = HandoffEvent.model_validate_json(line)
                known = states.get(lead.queue)
                state = known[0] if known else Ledger.from_json(ledger[lead.queue])
                states[lead.queue] = (state, event)
                assigned, pinned = assign(lead, state, stickies)
                if pinned:
                    sticky_events[pinned] = event
                value = assigned.model_dump_json().encode()
                outputs.append((handoff, assigned.lead_id.encode(), value, stamp))
        # A table writes its changelog to the partition of the event being handled: the
        # queue's own partition, since the routing topics are keyed by queue.
        for name, (state, event) in states.items():
            with handling(event):
                ledger[name] = state.to_json()
        for key, owner in stickies.items():
            with handling(sticky_events[key]):
                sticky[key] = owner
        return outputs

    batch_size = settings.worker.route_batch_size

    @app.agent(routing, name="handoff.route")
    async def route(stream: faust.StreamT[bytes]) -> None:
        # What is buffered, as one batch produced in one go (one send per record was the
        # stage's ceiling); its events are acknowledged only once the broker confirmed it.
        producer = batch_producer(settings.kafka.servers, "handoff-route")
        await producer.start()
        sender = BatchSender(producer)
        backoff = settings.sink.retry_max_backoff_s

        async def handle(events: list[Event]) -> None:
            await send_until_confirmed(sender, route_batch(events), backoff)

        try:
            await run_in_batches(stream, batch_size, handle, weight=leads_in)
        finally:
            await producer.stop()

    return route


async def send_until_confirmed(sender: BatchSender, outputs: list[Output], max_backoff_s: float) -> None:
    """Send a routed batch until the broker confirms it (its ledger is already written)."""
    delay = 0.1
    while True:
        try:
            await sender.send_all(outputs)
            return
        except KafkaError as exc:
            log.warning(
                "routed handoffs not confirmed (%s: %s); retrying in %.1f s", type(exc).__name__, exc, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_backoff_s)
