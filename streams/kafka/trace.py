"""Find one lead's records on the pipeline's topics: its submission and its outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from schemas import SourcePosition
from streams.kafka.replay import NoSuchTopic, read_topic


@dataclass(frozen=True)
class Found:
    """A record of ours on a topic, decoded."""

    position: SourcePosition
    record: dict[str, Any]


def _decoded(value: bytes | None) -> dict[str, Any] | None:
    try:
        doc = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def find(bootstrap: str, topic: str, match: Callable[[dict[str, Any]], bool]) -> list[Found]:
    """Every JSON object on ``topic`` (read to its current end) that ``match`` accepts.

    A topic that does not exist yet holds nothing.
    """
    try:
        records = read_topic(bootstrap, topic)
    except NoSuchTopic:
        return []
    found = []
    for position, value in records:
        doc = _decoded(value)
        if doc is not None and match(doc):
            found.append(Found(position, doc))
    return found


def by_event_ids(event_ids: Iterable[str]) -> Callable[[dict[str, Any]], bool]:
    """Match records carrying one of these event ids."""
    wanted = set(event_ids)
    return lambda doc: doc.get("event_id") in wanted
