"""A sample handoff for `handoff sinks test` and the demo: plainly fictitious, never a real person."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from schemas import Account, Contact, HandoffEvent, Reason, Source, Stage


def sample_handoff(queue: str = "inside-sales", owner: str | None = None) -> HandoffEvent:
    """A fresh SQL handoff with a new id (so a test send never updates a real record)."""
    now = datetime.now(UTC).replace(microsecond=0)
    handoff_id = f"test-{uuid.uuid4()}"
    return HandoffEvent(
        handoff_id=handoff_id,
        event_id=f"e-{handoff_id}",
        lead_id=f"lead-{handoff_id}",
        account=Account(name="株式会社サンプル", domain="sample.example.com", employees=800, country="JP"),
        queue=queue,
        owner=owner,
        stage=Stage.SQL,
        score=82,
        fit=42,
        intent=40,
        reasons=[
            Reason(rule="intent.form.demo-request", points=30, detail="asked for a demo"),
            Reason(rule="fit.employees.500+", points=20),
            Reason(rule="fit.title.manager", points=12),
        ],
        rules_version="sample",
        contact=Contact(
            email="hanako.sample@sample.example.com",
            full_name="見本 花子",
            given_name="花子",
            family_name="見本",
            phone="+81300000000",
            job_title="営業企画部 部長",
            country="JP",
        ),
        source=Source(form_id="demo-request", page_url="https://www.example.com/demo"),
        submitted_at=now - timedelta(seconds=3),
        qualified_at=now,
        sla_due_at=now + timedelta(hours=4),
    )
