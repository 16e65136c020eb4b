"""Acknowledgements across a rebalance: what a stream skipped commits nothing, what a batch handled does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import faust
import pytest
from faust.types import TP, Message

from streams.kafka.faust_batches import handled_messages
from streams.kafka.faust_transport import Transport

PART = TP("leads", 0)


@pytest.fixture
def consumer() -> Iterator[Any]:
    app = faust.App("ack-test", broker="kafka://127.0.0.1:9", store="memory://", autodiscover=False)
    app.transport = Transport(app.conf.broker_consumer, app)
    consumer: Any = app.consumer  # built, never started: no connection is made
    app.topics.acking_topics.add(PART.topic)
    app.consumer_generation_id = 3
    app.flow_control.resume()
    yield consumer
    consumer._thread.thread_loop.close()  # the consumer thread's loop, never run


def _message(offset: int, generation: int = 3) -> Message:
    return Message(PART.topic, 0, offset, 0.0, 0, [], b"k", b"v", None, tp=PART, generation_id=generation)


async def test_a_record_of_the_current_generation_counts(consumer: Any) -> None:
    assert consumer.ack(_message(5)) is True
    assert consumer._new_offset(PART) == 6


async def test_a_skipped_record_of_an_old_generation_is_released_but_not_counted(consumer: Any) -> None:
    stale = _message(5, generation=2)
    assert consumer.ack(stale) is False
    assert stale.acked  # a rebalance waiting for in-flight events does not wait for it
    assert consumer._new_offset(PART) is None  # nothing to commit


async def test_while_the_flow_is_stopped_only_what_a_batch_handled_counts(consumer: Any) -> None:
    handled, skipped = _message(5), _message(6)
    handled_messages(consumer).add(handled)
    consumer.app.flow_control.suspend()  # a rebalance: the batch in hand finishes, the rest is skipped
    assert consumer.ack(handled) is True
    assert consumer.ack(skipped) is False
    assert skipped.acked
    assert consumer._new_offset(PART) == 6  # past the handled record, not past the skipped one
