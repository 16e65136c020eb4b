"""Handoffs to route go several to a record; the routing stage takes its batches by the leads they hold."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from streams.core.metrics import SUBMITTED_HEADER
from streams.kafka import envelopes
from streams.kafka.batch_send import Output
from streams.kafka.envelopes import events_in, leads_in, pack, unpack
from streams.kafka.faust_batches import run_in_batches

pytestmark = pytest.mark.unit
ROUTING = frozenset({"leads.routing", "leads.routing.bulk"})


def handoff(n: int, queue: str = "inside-sales", topic: str = "leads.routing") -> Output:
    value = orjson.dumps({"event_id": f"e{n}", "queue": queue, "message": "line one\nline two"})
    return topic, queue.encode(), value, [(SUBMITTED_HEADER, str(1_700_000_000_000 + n).encode())]


def nurture(n: int) -> Output:
    return "leads.nurture", f"lead{n}".encode(), orjson.dumps({"event_id": f"n{n}"}), []


def ids(value: bytes) -> list[str]:
    return [orjson.loads(line)["event_id"] for line in events_in(value)]


def test_handoffs_of_one_queue_share_a_record_in_order_and_other_outcomes_pass_through() -> None:
    outputs = [
        handoff(1),
        nurture(1),
        handoff(2, "enterprise"),
        handoff(3),
        nurture(2),
        handoff(4, "enterprise"),
    ]
    packed = pack(outputs, ROUTING)
    assert [(topic, key) for topic, key, _, _ in packed] == [
        ("leads.routing", b"inside-sales"),
        ("leads.nurture", b"lead1"),
        ("leads.routing", b"enterprise"),
        ("leads.nurture", b"lead2"),
    ]
    assert ids(packed[0][2]) == ["e1", "e3"]
    assert ids(packed[2][2]) == ["e2", "e4"]
    assert packed[1] == nurture(1)
    # A newline inside a field is escaped in the JSON, so it never splits an event.
    assert all(orjson.loads(line)["message"] == "line one\nline two" for line in events_in(packed[0][2]))


def test_each_event_keeps_its_own_submitted_stamp() -> None:
    ((topic, key, value, headers),) = pack([handoff(n) for n in range(3)], ROUTING)
    assert headers == [(SUBMITTED_HEADER, b"1700000000000,1700000000001,1700000000002")]
    unpacked = list(unpack(value, headers))
    assert [ids(line) for line, _ in unpacked] == [["e0"], ["e1"], ["e2"]]
    assert [stamp for _, stamp in unpacked] == [
        [(SUBMITTED_HEADER, str(1_700_000_000_000 + n).encode())] for n in range(3)
    ]


def test_live_and_bulk_handoffs_never_share_a_record() -> None:
    packed = pack([handoff(1), handoff(2, topic="leads.routing.bulk"), handoff(3)], ROUTING)
    assert [(topic, ids(value)) for topic, _, value, _ in packed] == [
        ("leads.routing", ["e1", "e3"]),
        ("leads.routing.bulk", ["e2"]),
    ]


def test_an_envelope_is_capped_by_leads_and_by_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    packed = pack([handoff(n) for n in range(envelopes.ENVELOPE_LEADS * 2 + 1)], ROUTING)
    assert [len(events_in(value)) for _, _, value, _ in packed] == [envelopes.ENVELOPE_LEADS] * 2 + [1]
    size = len(handoff(0)[2])
    monkeypatch.setattr(envelopes, "ENVELOPE_BYTES", size * 3 + 2)  # three events and their newlines
    packed = pack([handoff(n) for n in range(7)], ROUTING)
    assert [len(events_in(value)) for _, _, value, _ in packed] == [3, 3, 1]
    assert all(len(value) <= envelopes.ENVELOPE_BYTES for _, _, value, _ in packed)
    assert [i for _, _, value, _ in packed for i in ids(value)] == [f"e{n}" for n in range(7)]


def test_a_record_of_one_event_as_older_releases_wrote_it_is_an_envelope_of_one() -> None:
    _, _, value, headers = handoff(7)
    assert list(unpack(value, dict(headers))) == [(value, headers)]
    assert list(unpack(value, None)) == [(value, [])]  # no stamp: the sink times nothing
    assert leads_in(SimpleNamespace(value=value)) == 1


class _Part:
    """An event, its message or the app's consumer: hashable, as Faust's are."""

    def __init__(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)


class _Stream:
    """What ``run_in_batches`` reads of a Faust stream: events, acks and the app's consumer."""

    def __init__(self, values: list[bytes]) -> None:
        self.values = values
        self.acked: list[bytes] = []
        self.app = _Part(consumer=_Part())
        self.enable_acks = True

    async def events(self) -> AsyncIterator[Any]:
        for value in self.values:
            yield _Part(value=value, message=_Part(value=value))
            await asyncio.sleep(0)
        await asyncio.Event().wait()  # a stream never ends: the agent is cancelled

    async def ack(self, event: Any) -> None:
        self.acked.append(event.value)


async def test_routing_batches_count_the_leads_of_their_envelopes_not_the_records() -> None:
    values = [b"\n".join([b"{}"] * n) for n in (3, 4, 2, 9, 1, 1, 5)]
    stream = _Stream(values)
    batches: list[list[int]] = []
    done = asyncio.Event()

    async def handle(events: list[Any]) -> None:
        batches.append([leads_in(e) for e in events])
        await asyncio.sleep(0.01)  # while one batch is handled, the next forms behind it
        if sum(map(sum, batches)) == 25:
            done.set()

    task = asyncio.create_task(run_in_batches(stream, 8, handle, weight=leads_in))  # type: ignore[arg-type]
    finished = asyncio.ensure_future(done.wait())
    await asyncio.wait_for(asyncio.wait([task, finished], return_when=asyncio.FIRST_COMPLETED), 5)
    assert not task.done(), task  # an agent runs until it is cancelled
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [n for batch in batches for n in batch] == [3, 4, 2, 9, 1, 1, 5]  # all, in order
    # At most 8 leads a batch, except an envelope bigger than that, which goes alone.
    assert all(sum(batch) <= 8 or batch == [9] for batch in batches)
    assert [9] in batches
    assert any(len(batch) > 1 for batch in batches)  # and batches did form
    assert stream.acked == values
    assert stream.enable_acks is False
