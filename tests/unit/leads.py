"""Helpers to build raw leads for policy tests."""

from __future__ import annotations

from typing import Any

import orjson

from schemas import SourcePosition

POS = SourcePosition(topic="leads.submitted", partition=0, offset=0)
# A Wednesday morning in Tokyo; not a holiday anywhere the default roster works.
WHEN = "2026-11-25T10:00:00+09:00"


def raw(**fields: Any) -> bytes:
    """Return a lead's JSON; fields given as None are left out."""
    lead: dict[str, Any] = {
        "event_id": "ev-1",
        "submitted_at": WHEN,
        "form_id": "whitepaper",
        "email": "hanako@acme-robotics.co.jp",
    }
    lead.update(fields)
    return orjson.dumps({k: v for k, v in lead.items() if v is not None})
