"""Intake: decode, validate, normalise, enrich and qualify each submitted lead (live and bulk)."""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Any

import faust

from schemas import SourcePosition
from sinks.store import make_engine
from streams.consumers.intake import IntakeService, IntakeWorker, RecentIds
from streams.core.settings import Settings
from streams.desk.account_index import ACCOUNTS_POLL_S, load_index, load_marker
from streams.logic.enrich import AccountMatcher, Enricher
from streams.logic.pipeline import Outcome, decide
from streams.logic.policy_file import load_policy

log = logging.getLogger(__name__)


def plugin_enrichers(settings: Settings) -> list[Enricher]:
    """Build the extra enrichers named in settings ("module:factory", comma-separated)."""
    out: list[Enricher] = []
    for spec in filter(None, (s.strip() for s in settings.policy.enrichers.split(","))):
        module, _, factory = spec.partition(":")
        out.append(getattr(importlib.import_module(module), factory or "create")(settings))
    return out


def register(app: faust.App, settings: Settings) -> Any:
    """Run the intake consumer, and the accounts refresh, with the app."""
    policy = load_policy(settings.policy.rules_file)
    recent = RecentIds()
    matcher = AccountMatcher(load_index(settings.database.url, fuzzy_min=settings.policy.account_match_min))
    enrichers: list[Enricher] = [matcher, *plugin_enrichers(settings)]
    # Enrichers that may wait on the network run the decisions off the event loop, so a
    # slow one never stalls heartbeats or the routing stage (one batch at a time, in order).
    off_loop = any(e.timeout_s is not None for e in enrichers)
    log.info("intake: policy %s, %d accounts", policy.version, len(matcher.index))

    watch = make_engine(settings.database.url)  # kept: the fingerprint is read every few seconds
    marker = [load_marker(watch)]

    @app.timer(interval=settings.policy.accounts_refresh_s)  # type: ignore[untyped-decorator,unused-ignore]
    async def refresh_accounts() -> None:
        # The index is swapped whole, so a lead sees either the old or the new one.
        matcher.index = await asyncio.to_thread(
            load_index, settings.database.url, fuzzy_min=settings.policy.account_match_min
        )

    @app.timer(interval=ACCOUNTS_POLL_S)  # type: ignore[untyped-decorator,unused-ignore]
    async def watch_accounts() -> None:
        # `handoff accounts import` changes the table's fingerprint: reload within seconds.
        now = await asyncio.to_thread(load_marker, watch)
        if now is not None and now != marker[0]:
            marker[0] = now
            matcher.index = await asyncio.to_thread(
                load_index, settings.database.url, fuzzy_min=settings.policy.account_match_min
            )
            log.info("intake: accounts changed, %d accounts", len(matcher.index))

    def decide_one(raw: bytes | None, position: SourcePosition) -> Outcome:
        return decide(raw, position, policy, enrichers=enrichers)

    return app.add_dependency(
        IntakeService(lambda: IntakeWorker(settings, decide_one, recent, off_loop=off_loop))
    )
