"""A queue row as what a rep needs to call the lead: plain JSON-ready data."""

from __future__ import annotations

from typing import Any

from sinks.models import QueueItem
from sinks.transitions import as_utc

_VIEW = (
    "handoff_id",
    "lead_id",
    "queue",
    "owner",
    "stage",
    "score",
    "status",
    "email",
    "full_name",
    "company",
    "country",
    "submissions",
    "outcome",
    "reason",
    "breaches",
)
_TIMES = (
    "submitted_at",
    "queued_at",
    "sla_due_at",
    "claimed_at",
    "decided_at",
    "first_touch_at",
    "closed_at",
)


def _account(event: dict[str, Any]) -> dict[str, Any]:
    account = event.get("account") or {}
    keys = ("name", "domain", "employees", "industry", "country", "matched", "match_confidence")
    return {k: account.get(k) for k in keys}


def view(row: QueueItem) -> dict[str, Any]:
    """A queue row with the stored event's phone, message, reasons and source."""
    out: dict[str, Any] = {k: getattr(row, k) for k in _VIEW}
    for key in _TIMES:
        value = getattr(row, key)
        out[key] = as_utc(value).isoformat() if value else None
    event = row.handoff or {}
    source = event.get("source") or {}
    contact = event.get("contact") or {}
    erased = row.erased_at is not None
    out["form_id"] = source.get("form_id")
    out["campaign"] = (source.get("utm") or {}).get("campaign")
    out["job_title"] = contact.get("job_title")
    out["phone"] = None if erased else contact.get("phone")
    out["message"] = None if erased else event.get("message")
    out["fit"], out["intent"] = event.get("fit"), event.get("intent")
    out["reasons"] = [
        {"rule": r.get("rule"), "points": r.get("points"), "detail": r.get("detail")}
        for r in event.get("reasons") or []
    ]
    out["account"] = _account(event)
    return out
