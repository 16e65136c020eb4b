"""Intake: decode, validate, normalise, enrich and qualify each submitted lead."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections import OrderedDict
from typing import Any

import faust

from schemas import DeadLetter, HandoffEvent, NurtureEvent, SourcePosition
from streams.agents.topics import raw_topic
from streams.core import metrics
from streams.core.settings import Settings
from streams.desk.account_index import ACCOUNTS_POLL_S, load_index, load_marker
from streams.logic.enrich import AccountMatcher, Enricher
from streams.logic.pipeline import decide
from streams.logic.policy_file import load_policy

log = logging.getLogger(__name__)


class RecentIds:
    """A bounded memory of recently seen event ids (the database holds the real guarantee)."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, event_id: str) -> bool:
        """Record an id; True when it was already there."""
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            return True
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return False


def plugin_enrichers(settings: Settings) -> list[Enricher]:
    """Build the extra enrichers named in settings ("module:factory", comma-separated)."""
    out: list[Enricher] = []
    for spec in filter(None, (s.strip() for s in settings.policy.enrichers.split(","))):
        module, _, factory = spec.partition(":")
        out.append(getattr(importlib.import_module(module), factory or "create")(settings))
    return out


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the intake agent, and the accounts refresh, to the app."""
    policy = load_policy(settings.policy.rules_file)
    submitted = raw_topic(app, settings.topics.submitted)
    routing = raw_topic(app, settings.topics.routing)
    nurture = raw_topic(app, settings.topics.nurture)
    dlq = raw_topic(app, settings.topics.dlq)
    recent = RecentIds()
    matcher = AccountMatcher(load_index(settings.database.url, fuzzy_min=settings.policy.account_match_min))
    enrichers: list[Enricher] = [matcher, *plugin_enrichers(settings)]
    # Enrichers that may wait on the network run the decision off the event loop, so a
    # slow one never stalls heartbeats or other partitions (one lead at a time, in order).
    off_loop = any(e.timeout_s is not None for e in enrichers)
    log.info("intake: policy %s, %d accounts", policy.version, len(matcher.index))

    marker = [load_marker(settings.database.url)]

    @app.timer(interval=settings.policy.accounts_refresh_s)  # type: ignore[untyped-decorator,unused-ignore]
    async def refresh_accounts() -> None:
        # The index is swapped whole, so a lead sees either the old or the new one.
        matcher.index = await asyncio.to_thread(
            load_index, settings.database.url, fuzzy_min=settings.policy.account_match_min
        )

    @app.timer(interval=ACCOUNTS_POLL_S)  # type: ignore[untyped-decorator,unused-ignore]
    async def watch_accounts() -> None:
        # `handoff accounts import` changes the table's fingerprint: reload within seconds.
        now = await asyncio.to_thread(load_marker, settings.database.url)
        if now is not None and now != marker[0]:
            marker[0] = now
            matcher.index = await asyncio.to_thread(
                load_index, settings.database.url, fuzzy_min=settings.policy.account_match_min
            )
            log.info("intake: accounts changed, %d accounts", len(matcher.index))

    @app.agent(submitted, name="handoff.intake")
    async def intake(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            msg = event.message
            position = SourcePosition(topic=msg.topic, partition=msg.partition, offset=msg.offset)
            if off_loop:
                outcome = await asyncio.to_thread(decide, event.value, position, policy, enrichers=enrichers)
            else:
                outcome = decide(event.value, position, policy, enrichers=enrichers)
            if isinstance(outcome, DeadLetter):
                log.warning(
                    "dead letter %s at %s/%s/%s: %s",
                    outcome.error.value,
                    msg.topic,
                    msg.partition,
                    msg.offset,
                    outcome.detail,
                )
                metrics.record_outcome("dead_letter", outcome.error.value)
                await dlq.send(value=outcome.model_dump_json().encode())
            elif recent.seen(outcome.event_id):
                log.info("event %s seen before: idempotent no-op", outcome.event_id)
                metrics.record_outcome("no_op", "seen_before")
            elif isinstance(outcome, NurtureEvent):
                log.debug(
                    "nurture %s (%s): %s", outcome.event_id, outcome.disposition.value, outcome.contact.email
                )
                metrics.record_outcome("nurture", outcome.disposition.value)
                await nurture.send(key=outcome.lead_id.encode(), value=outcome.model_dump_json().encode())
            elif isinstance(outcome, HandoffEvent):
                log.debug(
                    "handoff %s to %s: %s, %s",
                    outcome.event_id,
                    outcome.queue,
                    outcome.contact.email,
                    outcome.contact.phone,
                )
                metrics.record_outcome("handoff", outcome.queue)
                # The submitted record's timestamp rides along so the sink can time speed-to-lead.
                stamp = str(int(msg.timestamp * 1000)).encode()
                await routing.send(
                    key=outcome.queue.encode(),
                    value=outcome.model_dump_json().encode(),
                    headers={metrics.SUBMITTED_HEADER: stamp},
                )

    return intake
