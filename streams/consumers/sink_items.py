"""Turn a record of a sink's topics into the item its target sends, and a refusal into a dead letter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeAlias

from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from schemas import DeadLetter, ErrorCode, Feedback, HandoffEvent, SlaBreach, SourcePosition
from sinks.contract import EventKind, Item
from sinks.feedback import feedback_id_for
from streams.core.settings import Settings
from streams.logic.decode import payload_text

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


def topics_of(settings: Settings, events: list[EventKind]) -> dict[str, EventKind]:
    """The topic of each kind of event a sink takes."""
    by_kind: dict[EventKind, str] = {
        "handoff": settings.topics.handoff,
        "sla": settings.topics.sla,
        "feedback": settings.topics.feedback,
    }
    return {by_kind[kind]: kind for kind in events}


def item_of(record: Record, kind: EventKind) -> Item:
    """Parse a record; its key: the handoff id (a breach: with its number; feedback: its content id)."""
    raw = record.value or b""
    if kind == "handoff":
        handoff = HandoffEvent.model_validate_json(raw)
        return Item(kind, handoff.handoff_id, raw, handoff, record)
    if kind == "sla":
        breach = SlaBreach.model_validate_json(raw)
        return Item(kind, f"{breach.handoff_id}.sla.{breach.breach}", raw, breach, record)
    feedback = Feedback.model_validate_json(raw)
    return Item(kind, feedback_id_for(feedback), raw, feedback, record)


def queue_of(item: Item) -> str | None:
    """The queue an event belongs to (feedback: none)."""
    event: Any = item.event
    if isinstance(event, HandoffEvent):
        return event.queue
    if isinstance(event, SlaBreach):
        return event.to_queue
    return None


def dead_letter(
    record: Record, sink: str, detail: str, status: int | None, error: ErrorCode = ErrorCode.SINK_REFUSED
) -> DeadLetter:
    """The letter for a record a sink could not deliver: which sink, the status, a short excerpt."""
    text, encoding = payload_text(record.value or b"")
    return DeadLetter(
        error=error,
        detail=f"sink {sink}: {detail}"[:500],
        event_id=None,
        payload=text,
        payload_encoding=encoding,
        source=SourcePosition(topic=record.topic, partition=record.partition, offset=record.offset),
        failed_at=datetime.now(UTC),
        sink=sink,
        status=status,
    )


def unreadable(record: Record, sink: str, exc: ValidationError) -> DeadLetter:
    """The letter for a record that is not the event its topic carries."""
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(s) for s in first["loc"])
    return dead_letter(
        record, sink, f"not a valid event: {where}: {first['msg']}", None, ErrorCode.SCHEMA_INVALID
    )
