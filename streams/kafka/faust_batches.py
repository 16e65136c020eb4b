"""A Faust agent's stream in batches of what is already buffered, acknowledged after the batch.

Faust's ``take_events(n, within)`` wakes every ``within`` seconds even when nothing comes
(an idle cost) and makes a lone lead wait that long. Here a batch is whatever the fetcher
has already handed the stream, up to ``size``: under load batches form by themselves, a
lone lead goes on at once, and an idle agent sleeps on its queue. The events of a batch
are acknowledged (so their offsets can be committed) only once the caller is done with it;
across a rebalance the consumer of ``streams.kafka.faust_transport`` commits nothing for
them, as the same records come again from the committed offsets.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import faust
from faust.streams import _current_event
from faust.types import EventT

Event = EventT[bytes]


async def buffered_batches(stream: faust.StreamT[bytes], size: int) -> AsyncIterator[list[Event]]:
    """Yield lists of events: each as many as are buffered, at least one and at most ``size``.

    The list is emptied once the caller is done with it, so no handled event stays referenced.
    """
    stream.enable_acks = False  # read by the stream for every event it hands out
    queue: Any = getattr(stream.channel, "queue", None)
    batch: list[Event] = []
    async for event in stream.events():
        batch.append(event)
        del event
        if len(batch) >= size or queue is None or queue.empty():
            yield batch
            for done in batch:
                await stream.ack(done)
            del done
            batch.clear()


@contextmanager
def handling(event: Event) -> Iterator[None]:
    """Let Faust's tables see ``event`` as the one being handled (they take its partition)."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)
