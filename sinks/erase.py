"""Erasure of a person: personal data leaves the queue rows, the stored handoff and the ledger;
the anonymous rows stay so funnel counts do not change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from sinks.models import HandoffRecord, QueueItem

# What of a handoff survives erasure: nothing that names or reaches the person.
_KEEP = (
    "schema_version",
    "handoff_id",
    "queue",
    "owner",
    "stage",
    "score",
    "fit",
    "intent",
    "rules_version",
    "submitted_at",
    "qualified_at",
    "sla_due_at",
)
ERASED = "erased"


@dataclass(frozen=True)
class ErasureResult:
    """How many rows lost personal data."""

    queue_rows: int
    ledger_rows: int


def anonymous_id(handoff_id: str) -> str:
    """A stand-in person id that links to nobody."""
    return f"{ERASED}_{handoff_id}"


def redact(handoff: dict[str, Any], handoff_id: str) -> dict[str, Any]:
    """The anonymous part of a stored handoff event."""
    out = {k: handoff[k] for k in _KEEP if k in handoff}
    out["lead_id"] = anonymous_id(handoff_id)
    # Reason details can quote the person's data (a domain, a title); the rule and points cannot.
    out["reasons"] = [
        {"rule": r.get("rule"), "points": r.get("points", 0)} for r in handoff.get("reasons") or ()
    ]
    account = handoff.get("account") or {}
    out["account"] = {k: account.get(k) for k in ("employees", "industry", "country")}
    source = handoff.get("source") or {}
    out["source"] = {"form_id": source.get("form_id"), "utm": source.get("utm") or {}}
    out["erased"] = True
    return out


def count_person(*, session: Session, lead_id: str, email: str | None = None) -> int:
    """How many queue rows still hold this person's data."""
    match = QueueItem.lead_id == lead_id
    if email:
        match = or_(match, QueueItem.email == email)
    return int(session.scalar(select(func.count()).select_from(QueueItem).where(match)) or 0)


def erase_person(*, session: Session, lead_id: str, now: datetime, email: str | None = None) -> ErasureResult:
    """Remove one person's data (by person id, and by email when given); a rerun finds nothing."""
    match = QueueItem.lead_id == lead_id
    if email:
        match = or_(match, QueueItem.email == email)
    rows = list(session.scalars(select(QueueItem).where(match).with_for_update()))
    for row in rows:
        row.lead_id = anonymous_id(row.handoff_id)
        row.email = row.full_name = row.company = None
        row.handoff = redact(row.handoff, row.handoff_id)
        row.erased_at = row.updated_at = now
        if row.status in ("open", "claimed", "accepted"):
            # Nobody may contact a person who asked to be forgotten.
            row.status, row.outcome, row.closed_at = "closed", ERASED, now
    session.flush()
    ledger = session.execute(
        update(HandoffRecord).where(HandoffRecord.lead_id == lead_id).values(lead_id=ERASED)
    )
    return ErasureResult(queue_rows=len(rows), ledger_rows=int(ledger.rowcount))  # type: ignore[attr-defined]
