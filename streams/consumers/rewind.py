"""Shared by the consumers that write to the database and commit by hand."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer


async def rewind_to_committed(consumer: AIOKafkaConsumer) -> None:
    """Seek every assigned partition back to its committed offset, so nothing unwritten is skipped."""
    for tp in consumer.assignment():
        committed = await consumer.committed(tp)
        if committed is None:
            await consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, committed)
