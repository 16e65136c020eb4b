"""The plain aiokafka consumers of a worker: members of a group that commit by hand."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer

from streams.core.settings import Settings
from streams.kafka.fetch_wait import FETCHER_WAKE_MS


def group_consumer(
    settings: Settings, *topics: str, group_id: str, client_id: str, fetch_max_wait_ms: int, **options: Any
) -> AIOKafkaConsumer:
    """A consumer in ``group_id`` with the settings' liveness, reading from the earliest offset
    when the group has no commit, committing only when the caller says so."""
    kafka = settings.kafka
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=kafka.servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=int(kafka.session_timeout_s * 1000),
        heartbeat_interval_ms=int(kafka.heartbeat_interval_s * 1000),
        consumer_timeout_ms=FETCHER_WAKE_MS,
        fetch_max_wait_ms=fetch_max_wait_ms,
        **options,
    )
