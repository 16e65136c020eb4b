"""Owner assignment inside a queue, and the response deadline that comes with it."""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas import Stage
from streams.logic.policy import QueueConfig


def round_robin(reps: list[str], assigned_so_far: int) -> str | None:
    """Return the rep whose turn it is after ``assigned_so_far`` assignments."""
    if not reps:
        return None
    return reps[assigned_so_far % len(reps)]


def sla_due(queue: QueueConfig, stage: Stage, qualified_at: datetime) -> datetime:
    """Return when sales must have acted on a lead of this stage."""
    hours = queue.sla_hours.get(stage, 24.0)
    return qualified_at + timedelta(hours=hours)
