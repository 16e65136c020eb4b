"""Handoff events and migrated databases for the sales-side tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from schemas import Account, Contact, HandoffEvent, Reason, Source, Stage, Utm
from sinks.store import create_schema, make_engine

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def handoff(n: int, **over: Any) -> HandoffEvent:
    """A handoff for person ``n``, due ``n`` minutes after T0 (so lower n is more urgent)."""
    fields: dict[str, Any] = {
        "handoff_id": f"h-{n:04d}", "event_id": f"e-{n:04d}", "lead_id": f"lead-{n:04d}",
        "account": Account(name=f"株式会社テスト{n}", domain=f"c{n}.example.co.jp", employees=500),
        "queue": "inside-sales", "owner": None, "stage": Stage.SQL, "score": 80, "fit": 40,
        "intent": 40,
        "reasons": [Reason(rule="fit.business_email", points=15, detail=f"business domain c{n}.jp"),
                    Reason(rule="intent.form.demo-request", points=30)],
        "rules_version": "default@test",
        "contact": Contact(email=f"taro{n}@c{n}.example.co.jp", full_name=f"山田 太郎{n}",
                           phone="+81312345678", job_title="営業部長", country="JP"),
        "source": Source(form_id="demo-request", page_url="https://example.jp/demo?email=x",
                         utm=Utm(source="google", campaign="expo-tokyo")),
        "submitted_at": T0 - timedelta(hours=1), "qualified_at": T0,
        "sla_due_at": T0 + timedelta(minutes=n),
    }
    fields.update(over)
    return HandoffEvent(**fields)


def migrated(url: str) -> Engine:
    """An engine on a database brought to the newest schema by the migrations."""
    engine = make_engine(url)
    create_schema(engine)
    return engine
