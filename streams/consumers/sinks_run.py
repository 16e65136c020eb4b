"""Run every sink of the sinks file, each in its own loop, beside the SQL sales queue sink."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sinks.config import SinkBase, load_sinks
from sinks.directory import Directory, RepContact
from sinks.targets.build import build_target
from streams.consumers.sink_loop import LoopSpec, SinkLoop
from streams.core.settings import Settings
from streams.logic.policy import Policy
from streams.logic.policy_file import load_policy

log = logging.getLogger(__name__)
RESTART_AFTER_S = 5.0


def directory_of(policy: Policy, desk_url: str) -> Directory:
    """Each rep's addresses from the policy (``reps.ID.slack``, ``email``, CRM owner ids)."""
    reps = {
        rep_id: RepContact(
            slack=rep.slack,
            email=rep.email,
            salesforce_user_id=rep.salesforce_user_id,
            hubspot_owner_id=rep.hubspot_owner_id,
            timezone=rep.timezone,
        )
        for rep_id, rep in policy.reps.items()
    }
    return Directory(reps, desk_url)


def settings_directory(settings: Settings) -> Directory:
    """The directory of the configured policy and desk."""
    return directory_of(load_policy(settings.policy.rules_file), settings.desk.url)


def build_loops(
    settings: Settings, stopping: asyncio.Event, configs: Sequence[SinkBase] | None = None
) -> list[SinkLoop]:
    """One loop per configured sink; a ConfigError names a secret that is not set."""
    configs = load_sinks(settings.sink.file) if configs is None else configs
    if not configs:
        return []
    directory = settings_directory(settings)
    return [SinkLoop(settings, LoopSpec.of(c), build_target(c, directory), stopping) for c in configs]


async def keep_running(loop: SinkLoop) -> None:
    """Run a sink's loop; a crash is logged and the loop started again, never taking others down."""
    while not loop.stopping.is_set():
        try:
            await loop.run()
            return
        except Exception:  # noqa: BLE001 - one sink's bug must not stop the others or the SQL queue
            log.exception(
                "sink %s stopped unexpectedly; starting it again in %g s", loop.name, RESTART_AFTER_S
            )
        try:
            await asyncio.wait_for(loop.stopping.wait(), RESTART_AFTER_S)
        except TimeoutError:
            loop = SinkLoop(loop.settings, loop.spec, loop.target, loop.stopping)
