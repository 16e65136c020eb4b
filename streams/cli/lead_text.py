"""One lead as text for `handoff queue show`: what a rep needs to call it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo


def _left(due: datetime, now: datetime) -> str:
    seconds = int((due - now).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    span = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"{span} left" if seconds >= 0 else f"{span} overdue"


def render_lead(item: dict[str, Any], zone: str) -> str:
    """A lead as labelled lines, the deadline in ``zone``."""
    account = item.get("account") or {}
    company = item["company"] or account.get("name") or "-"
    if account.get("matched"):
        company += " (known account)"
    lines = [
        ("handoff", item["handoff_id"]),
        ("queue", f"{item['queue']} · {item['status']} · owner {item['owner'] or '-'}"),
        ("company", company),
        ("name", item["full_name"] or "(erased)"),
        ("job title", item.get("job_title") or "-"),
        ("phone", item.get("phone") or "-"),
        ("email", item["email"] or "-"),
        ("message", item.get("message") or "-"),
        ("source", " · ".join(x for x in (item.get("form_id"), item.get("campaign")) if x) or "-"),
        ("submissions", str(item["submissions"])),
        (
            "stage",
            f"{item['stage']} score {item['score']} (fit {item.get('fit')}, intent {item.get('intent')})",
        ),
    ]
    for r in item.get("reasons") or []:
        detail = f"  {r['detail']}" if r.get("detail") else ""
        lines.append(("  reason", f"{r['rule']} {int(r['points'] or 0):+d}{detail}"))
    if item["sla_due_at"]:
        due = datetime.fromisoformat(item["sla_due_at"])
        local = due.astimezone(ZoneInfo(zone))
        lines.append(("due", f"{local:%Y-%m-%d %H:%M} {zone} ({_left(due, datetime.now(UTC))})"))
    return "\n".join(f"{k:<12} {v}" for k, v in lines)
