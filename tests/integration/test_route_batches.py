"""The routing stage in batches, on a real broker: sticky accounts hold across and within batches."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from sinks.models import QueueItem
from sinks.store import make_engine
from streams.client import LeadProducer, key_of
from streams.core.settings import Settings
from streams.embedded.supervisor import Stack
from tests.sales_factory import running_stack

pytestmark = pytest.mark.integration

POLICY = Path(__file__).resolve().parents[2] / "streams" / "data" / "default_policy.yaml"
COMPANIES = 24


def lead(company: int, person: int) -> bytes:
    body = {
        "event_id": f"c{company}-p{person}",
        "submitted_at": "2026-11-27T10:00:00+09:00",
        "form_id": "contact-sales",
        "email": f"person{person}@company{company}-corp.co.jp",
        "company": f"株式会社テスト{company}",
        "employees": 40,
    }
    return json.dumps(body, ensure_ascii=False).encode()


@pytest.fixture
def stack(settings_for: Callable[..., Settings], tmp_path: Path) -> Iterator[Stack]:
    policy = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    policy["queues"]["inside-sales"]["strategy"] = "sticky_account"
    rules = tmp_path / "policy.yaml"
    rules.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    with running_stack(settings_for(rules_file=rules), tmp_path / "logs") as running:
        yield running


def owners(settings: Settings, expect: int, timeout_s: float = 60) -> dict[str, set[str]]:
    """Owners per company once ``expect`` rows are queued."""
    engine = make_engine(settings.database.url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with Session(engine) as session:
                rows = list(session.scalars(select(QueueItem)))
            if len(rows) >= expect or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        engine.dispose()
    assert len(rows) == expect
    by_company: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        assert row.owner, row.event_id
        assert row.email, row.event_id
        by_company[row.email.split("@")[1]].add(row.owner)
    return by_company


def test_every_lead_of_an_account_goes_to_one_rep_in_and_across_batches(stack: Stack) -> None:
    settings = stack.settings
    # Interleaved, so each routed batch holds several leads of many accounts.
    first = [lead(c, p) for p in range(5) for c in range(COMPANIES)]
    with LeadProducer(settings.kafka.servers, topic=settings.topics.submitted) as producer:
        assert producer.send_many_raw((key_of(m), m) for m in first) == len(first)
    before = owners(settings, len(first))
    assert len(before) == COMPANIES
    assert all(len(reps) == 1 for reps in before.values()), before
    assert len(set().union(*before.values())) > 1  # new accounts still rotate

    # A later burst of new people at the same accounts: the pins were kept in the table.
    later = [lead(c, p) for p in range(5, 8) for c in range(COMPANIES)]
    with LeadProducer(settings.kafka.servers, topic=settings.topics.submitted) as producer:
        assert producer.send_many_raw((key_of(m), m) for m in later) == len(later)
    after = owners(settings, len(first) + len(later))
    assert after == before
