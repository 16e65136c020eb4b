"""Decided leads on their way to routing, packed several to a record.

Every record a Faust agent reads costs the stream worker about 0.2-0.3 ms before the
agent sees it (the transport's thread hand-over, four tasks per message in the consumer's
drain loop, the conductor, the channel queue and the acknowledgement), several times
what routing one lead costs. So intake writes the handoffs of one batch that go to the
same queue as one record: HandoffEvent JSON lines (pydantic never writes a newline inside
one), with the submitted timestamps in one header, in the same order. A record of one
event, as older releases wrote, is an envelope of one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from streams.core import metrics
from streams.kafka.batch_send import Output

#: An envelope stops growing at this size (the broker's default message limit is 1 MiB).
ENVELOPE_BYTES = 128 * 1024
#: ... or at this many leads, so one envelope is a short stretch of routing work.
ENVELOPE_LEADS = 100


def pack(outputs: Iterable[Output], topics: frozenset[str]) -> list[Output]:
    """Join the outputs bound for ``topics`` that share a topic and key into envelopes.

    Each envelope takes the place of its first member; order within a topic and key
    holds, and outputs to other topics pass through as they are.
    """
    packed: list[Output | list[Output]] = []
    open_: dict[tuple[str, bytes | None], list[Output]] = {}
    sizes: dict[tuple[str, bytes | None], int] = {}
    for out in outputs:
        if out[0] not in topics:
            packed.append(out)
            continue
        slot = (out[0], out[1])
        group = open_.get(slot)
        if group is None or len(group) >= ENVELOPE_LEADS or sizes[slot] + len(out[2]) > ENVELOPE_BYTES:
            group = open_[slot] = []
            sizes[slot] = 0
            packed.append(group)
        group.append(out)
        sizes[slot] += len(out[2]) + 1
    return [item if isinstance(item, tuple) else _join(item) for item in packed]


def _join(group: Sequence[Output]) -> Output:
    topic, key = group[0][0], group[0][1]
    stamps = [metrics.submitted_stamp(out[3]) or b"" for out in group]
    headers = [(metrics.SUBMITTED_HEADER, b",".join(stamps))] if any(stamps) else []
    return topic, key, b"\n".join(out[2] for out in group), headers


def leads_in(event: Any) -> int:
    """How many leads the envelope of a Faust event holds."""
    value = event.value
    return value.count(b"\n") + 1 if isinstance(value, bytes) else 1


def events_in(value: bytes) -> list[bytes]:
    """The event JSON documents of an envelope's value, in order."""
    return value.split(b"\n")


def unpack(value: bytes, headers: Any) -> Iterator[tuple[bytes, list[tuple[str, bytes]]]]:
    """Each event of an envelope with the headers the sink reads for it."""
    joined = metrics.submitted_stamp(headers)
    lines = events_in(value)
    stamps = joined.split(b",") if joined is not None else []
    for i, line in enumerate(lines):
        stamp = stamps[i] if i < len(stamps) else b""
        yield line, [(metrics.SUBMITTED_HEADER, stamp)] if stamp else []
