"""Intake decides a batch on the event loop in slices, so the routing stage on the same loop keeps moving."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from schemas import SourcePosition
from streams.consumers.intake import DECIDE_SLICE, decide_batch, decide_in_slices


def records(n: int) -> list[Any]:
    return [
        SimpleNamespace(topic="leads.submitted", partition=i % 3, offset=i, value=b"%d" % i) for i in range(n)
    ]


def echo(raw: bytes | None, position: SourcePosition) -> Any:
    return (raw, position.offset)


async def test_other_tasks_run_between_slices_and_the_outcomes_are_those_of_one_pass() -> None:
    batch = records(DECIDE_SLICE * 3 + 7)
    turns = 0
    done = asyncio.Event()

    async def routing() -> None:
        nonlocal turns
        while not done.is_set():
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(routing())
    await asyncio.sleep(0)  # started
    before = turns
    decided = await decide_in_slices(batch, echo)
    during = turns - before
    done.set()
    await other
    assert decided == decide_batch(batch, echo)
    outcomes: list[Any] = [outcome for _, outcome in decided]
    assert outcomes == [(r.value, r.offset) for r in batch]
    assert during >= 3  # a turn between each of the four slices


async def test_a_small_batch_is_decided_without_a_turn() -> None:
    batch = records(DECIDE_SLICE)
    ran = []

    async def other() -> None:
        ran.append(True)

    task = asyncio.create_task(other())
    decided = await decide_in_slices(batch, echo)
    assert len(decided) == DECIDE_SLICE
    assert not ran  # one slice: the loop was not given up
    await task
