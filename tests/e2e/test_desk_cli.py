"""Desk users and a rep's view of a lead from the command line, as an operator runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from sinks.queue import record_handoffs
from sinks.store import make_engine
from sinks.users import user_by_token
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from tests.e2e.test_sales_cli import _cli
from tests.sales_factory import T0, handoff

pytestmark = pytest.mark.e2e


def test_users_tokens_are_shown_once_and_revocable(settings_for: Callable[..., Settings]) -> None:
    settings = settings_for()
    assert _cli(settings, "db", "upgrade").returncode == 0
    added = _cli(settings, "users", "add", "tanaka.hiro", "--role", "rep", "--email", "Tanaka@Example.jp")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    assert token.startswith("hd_") and "shown once" in added.stderr
    again = _cli(settings, "users", "add", "tanaka.hiro", "--role", "rep")
    assert again.returncode == 1 and "handoff users token tanaka.hiro" in again.stderr
    listed = json.loads(_cli(settings, "users", "list", "--json").stdout)
    assert listed == [{"name": "tanaka.hiro", "role": "rep", "email": "tanaka@example.jp", "active": True}]

    engine = make_engine(settings.database.url)
    with Session(engine) as session:
        found = user_by_token(session=session, token=token)
        assert found is not None and found.name == "tanaka.hiro"
    rotated = _cli(settings, "users", "token", "tanaka.hiro").stdout.strip().splitlines()[-1]
    with Session(engine) as session:
        assert user_by_token(session=session, token=token) is None
        assert user_by_token(session=session, token=rotated) is not None
    assert _cli(settings, "users", "revoke", "tanaka.hiro").returncode == 0
    with Session(engine) as session:
        assert user_by_token(session=session, token=rotated) is None
    engine.dispose()


def test_next_without_a_queue_and_show_in_the_reps_time_zone(settings_for: Callable[..., Settings]) -> None:
    settings = settings_for()
    ensure_topics(settings, [settings.topics.feedback], partitions=2)
    assert _cli(settings, "db", "upgrade").returncode == 0
    engine = make_engine(settings.database.url)
    with Session(engine) as session, session.begin():
        record_handoffs(
            session=session,
            now=T0,
            events=[
                handoff(1, queue="enterprise", sla_due_at=T0 + timedelta(minutes=1)),
                handoff(2, sla_due_at=T0 + timedelta(hours=5), message="見積もりをお願いします"),
                handoff(3, sla_due_at=T0 + timedelta(hours=9)),
            ],
        )
    engine.dispose()
    # tanaka.hiro is on inside-sales only: the enterprise lead, though sooner, is not theirs.
    claimed = _cli(settings, "queue", "next", "--json", rep="tanaka.hiro")
    assert claimed.returncode == 0, claimed.stderr
    assert json.loads(claimed.stdout)["handoff_id"] == "h-0002"
    nobody = _cli(settings, "queue", "next", rep="nobody")
    assert nobody.returncode == 1 and "no queue roster" in nobody.stderr

    shown = _cli(settings, "queue", "show", "h-0002", rep="tanaka.hiro")
    assert shown.returncode == 0, shown.stderr
    # Due 14:00 UTC is 23:00 in Tokyo, the rep's zone in the policy.
    assert "2026-11-02 23:00 Asia/Tokyo" in shown.stdout
    assert "+81312345678" in shown.stdout and "見積もりをお願いします" in shown.stdout
    assert "fit.business_email +15" in shown.stdout
