"""Create the pipeline's topics with the partition counts it needs."""

from __future__ import annotations

from collections.abc import Iterable

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.core.settings import Settings


def ensure_topics(
    settings: Settings, topics: Iterable[str] | None = None, *, partitions: int | None = None
) -> list[str]:
    """Create missing topics (the broker would auto-create them with the wrong count)."""
    wanted = list(topics if topics is not None else settings.topics.all)
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka.servers,
        client_id="handoff-admin",
        request_timeout_ms=10_000,
        bootstrap_timeout_ms=10_000,
    )
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        created: list[str] = []
        for name in missing:
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            name, partitions or settings.kafka.partitions, settings.kafka.replication_factor
                        )
                    ]
                )
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        admin.close()
