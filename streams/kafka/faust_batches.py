"""Handle a Faust agent's stream in batches of what is already buffered, acknowledged after each batch.

Faust's ``take_events(n, within)`` wakes every ``within`` seconds even when nothing comes
(an idle cost) and makes a lone lead wait that long. Here the agent's task only moves
events from the stream into a small queue, and a second task takes whatever the queue
holds (up to ``size``) as one batch: under load batches form by themselves, a lone lead
goes on at once, and an idle agent sleeps on its queue.

Every event taken from the stream is handled and then acknowledged, in order, as Faust
expects of an agent; an event counts for a commit only once its batch is done, and then
even while a rebalance has stopped the flow (``streams.kafka.faust_transport``). Neither
task holds an event while it waits for the next one (a rebalance clears the stream's
buffer and then waits for the events in flight: the worker finishes them meanwhile).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import faust
from faust.streams import _current_event
from faust.types import EventT, Message

Event = EventT[bytes]
Handle = Callable[[list[Event]], Awaitable[None]]
_HANDLED: weakref.WeakKeyDictionary[Any, weakref.WeakSet[Message]] = weakref.WeakKeyDictionary()


def handled_messages(consumer: Any) -> weakref.WeakSet[Message]:
    """The messages a batch handled, per consumer: they count when acknowledged, even mid-rebalance."""
    handled = _HANDLED.get(consumer)
    if handled is None:
        handled = _HANDLED[consumer] = weakref.WeakSet()
    return handled


async def run_in_batches(stream: faust.StreamT[bytes], size: int, handle: Handle) -> None:
    """Feed the stream to ``handle`` in batches of at most ``size``; acknowledge each after it."""
    stream.enable_acks = False  # read by the stream for every event it hands out
    pending: asyncio.Queue[Event] = asyncio.Queue(maxsize=size)
    handled = handled_messages(stream.app.consumer)

    async def work() -> None:
        while True:
            batch = [await pending.get()]
            while len(batch) < size and not pending.empty():
                batch.append(pending.get_nowait())
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
