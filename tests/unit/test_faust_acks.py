"""Acknowledgements across a rebalance: an old generation's records commit nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import faust
import pytest
from faust.types import TP, Message

from streams.kafka.faust_transport import Transport


@pytest.fixture
def consumer() -> Iterator[Any]:
    app = faust.App("ack-test", broker="kafka://127.0.0.1:9", store="memory://", autodiscover=False)
    app.transport = Transport(app.conf.broker_consumer, app)
    consumer: Any = app.consumer  # built, never started: no connection is made
    app.topics.acking_topics.add("leads")
    app.consumer_generation_id = 3
    yield consumer
    consumer._thread.thread_loop.close()  # the consumer thread's loop, never run


def _message(offset: int, generation: int) -> Message:
    return Message(
        "leads", 0, offset, 0.0, 0, [], b"k", b"v", None, tp=TP("leads", 0), generation_id=generation
    )


async def test_an_old_generation_record_is_released_but_not_counted_for_the_commit(
    consumer: Any,
) -> None:
    old = _message(5, generation=2)
    assert consumer.ack(old) is False
    assert old.acked  # a rebalance waiting for in-flight events does not wait for it
    assert consumer._new_offset(TP("leads", 0)) is None  # nothing to commit


async def test_a_record_of_the_current_generation_counts_as_before(consumer: Any) -> None:
    assert consumer.ack(_message(5, generation=3)) is True
    assert consumer._new_offset(TP("leads", 0)) == 6
