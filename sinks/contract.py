"""The sink contract: buffer records with ``add``, send them with ``flush``, one answer per record.

No Kafka here (in the spirit of Quix Streams' sink base): a target sees items with an
idempotency key and the event's JSON exactly as published, and answers for each one
whether it is delivered, should be tried again later, or is refused for good. The
consumer loop in ``streams.consumers`` decides what to commit from those answers.
"""

from __future__ import annotations

import email.utils
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from schemas import Feedback, HandoffEvent, SlaBreach

EventKind = Literal["handoff", "sla", "feedback"]
Event = HandoffEvent | SlaBreach | Feedback
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class Delivered:
    """The target confirmed the record."""


@dataclass(frozen=True)
class RetryLater:
    """The target is down or busy: send the record again, not before ``after_s`` when given."""

    detail: str
    after_s: float | None = None


@dataclass(frozen=True)
class Refused:
    """The target will never take the record: dead-letter it with the status and an excerpt."""

    status: int | None
    detail: str
    # The dead letter's error code (see schemas.ErrorCode).
    code: str = "sink_refused"


Answer = Delivered | RetryLater | Refused
DELIVERED = Delivered()


@dataclass(frozen=True)
class Item:
    """One event to send: its kind, idempotency key, raw JSON as published, and parsed model."""

    kind: EventKind
    key: str
    raw: bytes
    event: Event
    ref: Any = field(default=None, compare=False)


class TargetSink(ABC):
    """A destination outside Handoff; ``flush`` answers for every item added since the last one."""

    #: Most items the target takes in one request (the loop never buffers more).
    batch_limit: int = 1

    def __init__(self) -> None:
        self._items: list[Item] = []

    def add(self, item: Item) -> None:
        """Buffer an item for the next flush."""
        self._items.append(item)

    @property
    def size(self) -> int:
        """How many items are buffered."""
        return len(self._items)

    async def flush(self) -> list[Answer]:
        """Send the buffer; the answers are in the order of ``add``; the buffer is cleared."""
        items, self._items = self._items, []
        if not items:
            return []
        try:
            answers = await self.send(items)
        except (TimeoutError, OSError) as exc:
            return [RetryLater(f"{type(exc).__name__}: {excerpt(str(exc))}")] * len(items)
        if len(answers) != len(items):
            raise AssertionError(f"{type(self).__name__} answered {len(answers)} of {len(items)} items")
        return answers

    @abstractmethod
    async def send(self, items: list[Item]) -> list[Answer]:
        """Send up to ``batch_limit`` items and answer for each."""

    async def close(self) -> None:  # noqa: B027 - most targets hold nothing to close
        """Release connections."""


def excerpt(text: str, secrets: tuple[str, ...] = ()) -> str:
    """A short, one-line excerpt of an answer with every known secret blanked out."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    flat = " ".join(text.split())
    return flat[:EXCERPT_CHARS] + ("…" if len(flat) > EXCERPT_CHARS else "")


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def answer_for_status(
    status: int, body: str, *, retry_after: str | None = None, secrets: tuple[str, ...] = ()
) -> Answer:
    """Delivered on 2xx; retry on 408, 429 and 5xx (honouring Retry-After); refused otherwise."""
    if 200 <= status < 300:
        return DELIVERED
    detail = f"HTTP {status}: {excerpt(body, secrets)}"
    if status in (408, 429) or status >= 500:
        return RetryLater(detail, retry_after_s(retry_after))
    return Refused(status, detail)


def now_utc() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)
