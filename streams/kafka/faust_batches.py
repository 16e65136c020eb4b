"""Handle a Faust agent's stream in batches of what is already buffered, acknowledged after each batch.

Faust's ``take_events(n, within)`` wakes every ``within`` seconds even when nothing comes
(an idle cost) and makes a lone lead wait that long. Here the agent's task only moves
events from the stream into a small buffer, and a second task takes whatever the buffer
holds (up to ``size``) as one batch: under load batches form by themselves, a lone lead
goes on at once, and an idle agent sleeps on its buffer. ``size`` counts what ``weight``
says each event holds (the leads of an envelope, ``streams.kafka.envelopes``), and the
buffer holds at most a batch, so what waits ahead of a live lead stays one batch's work.

Every event taken from the stream is handled and then acknowledged, in order, as Faust
expects of an agent; an event counts for a commit only once its batch is done, and then
even while a rebalance has stopped the flow (``streams.kafka.faust_transport``). Neither
task holds an event while it waits for the next one (a rebalance clears the stream's
buffer and then waits for the events in flight: the worker finishes them meanwhile).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import faust
from faust.streams import _current_event
from faust.types import EventT, Message

Event = EventT[bytes]
Handle = Callable[[list[Event]], Awaitable[None]]
Weight = Callable[[Event], int]
_HANDLED: weakref.WeakKeyDictionary[Any, weakref.WeakSet[Message]] = weakref.WeakKeyDictionary()


def handled_messages(consumer: Any) -> weakref.WeakSet[Message]:
    """The messages a batch handled, per consumer: they count when acknowledged, even mid-rebalance."""
    handled = _HANDLED.get(consumer)
    if handled is None:
        handled = _HANDLED[consumer] = weakref.WeakSet()
    return handled


class _Buffer:
    """Events waiting for a batch, at most ``size`` of weight (and always room for one)."""

    def __init__(self, size: int, weight: Weight) -> None:
        self.size = size
        self.weight = weight
        self.items: deque[tuple[Event, int]] = deque()
        self.held = 0
        self.changed = asyncio.Condition()

    async def put(self, event: Event) -> None:
        w = self.weight(event)
        async with self.changed:
            await self.changed.wait_for(lambda: not self.items or self.held + w <= self.size)
            self.items.append((event, w))
            self.held += w
            self.changed.notify_all()

    async def take(self) -> list[Event]:
        """The next batch: the first event, then whatever follows within ``size``."""
        async with self.changed:
            await self.changed.wait_for(lambda: bool(self.items))
            event, total = self.items.popleft()
            batch = [event]
            while self.items and total + self.items[0][1] <= self.size:
                event, w = self.items.popleft()
                batch.append(event)
                total += w
            self.held -= total
            self.changed.notify_all()
            return batch


def _one(event: Event) -> int:
    return 1


async def run_in_batches(
    stream: faust.StreamT[bytes], size: int, handle: Handle, weight: Weight = _one
) -> None:
    """Feed the stream to ``handle`` in batches of at most ``size`` weight; acknowledge each after it."""
    stream.enable_acks = False  # read by the stream for every event it hands out
    pending = _Buffer(size, weight)
    handled = handled_messages(stream.app.consumer)

    async def work() -> None:
        while True:
            batch = await pending.take()
            await handle(batch)
            for event in batch:
                handled.add(event.message)
                await stream.ack(event)

    worker = asyncio.ensure_future(work())
    reader = asyncio.current_task()

    def failed(task: asyncio.Future[None]) -> None:
        if reader is not None and not task.cancelled() and task.exception() is not None:
            reader.cancel()

    worker.add_done_callback(failed)
    try:
        async for event in stream.events():
            await pending.put(event)
            del event
    except asyncio.CancelledError:
        error = None if worker.cancelled() or not worker.done() else worker.exception()
        if error is not None:
            raise error from None  # a failed batch ends the agent with its error
        raise
    finally:
        worker.cancel()


@contextmanager
def handling(event: Event) -> Iterator[None]:
    """Let Faust's tables see ``event`` as the one being handled (they take its partition)."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)
