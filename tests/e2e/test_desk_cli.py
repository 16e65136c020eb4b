"""Desk users and a rep's view of a lead from the `handoff` command line (run in-process)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from sinks.queue import record_handoffs
from sinks.store import make_engine
from sinks.users import user_by_token
from streams.cli.main import main
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from tests.sales_factory import T0, handoff

pytestmark = pytest.mark.e2e


def _in_process(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run `handoff …` in this process with the settings in its environment."""
    for key, value in settings.to_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("HANDOFF_REP", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_users_tokens_are_shown_once_and_revocable(
    settings_for: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for()
    cli = _in_process(settings, monkeypatch)
    assert cli("db", "upgrade").exit_code == 0
    added = cli("users", "add", "tanaka.hiro", "--role", "rep", "--email", "Tanaka@Example.jp")
    assert added.exit_code == 0, added.output
    token = added.stdout.strip().splitlines()[-1]
    assert token.startswith("hd_") and "shown once" in added.stderr
    again = cli("users", "add", "tanaka.hiro", "--role", "rep")
    assert again.exit_code == 1 and "handoff users token tanaka.hiro" in again.stderr
    listed = json.loads(cli("users", "list", "--json").stdout)
    assert listed == [{"name": "tanaka.hiro", "role": "rep", "email": "tanaka@example.jp", "active": True}]

    engine = make_engine(settings.database.url)
    with Session(engine) as session:
        found = user_by_token(session=session, token=token)
        assert found is not None and found.name == "tanaka.hiro"
    rotated = cli("users", "token", "tanaka.hiro").stdout.strip().splitlines()[-1]
    with Session(engine) as session:
        assert user_by_token(session=session, token=token) is None
        assert user_by_token(session=session, token=rotated) is not None
    assert cli("users", "revoke", "tanaka.hiro").exit_code == 0
    with Session(engine) as session:
        assert user_by_token(session=session, token=rotated) is None
    engine.dispose()
    assert "revoked" in cli("users", "list").stdout
    missing = cli("users", "revoke", "nobody")
    assert missing.exit_code == 1 and "handoff: no user 'nobody'" in missing.stderr


def test_next_without_a_queue_and_show_in_the_reps_time_zone(
    settings_for: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for()
    cli = _in_process(settings, monkeypatch)
    ensure_topics(settings, [settings.topics.feedback], partitions=2)
    assert cli("db", "upgrade").exit_code == 0
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
    claimed = cli("queue", "next", "--json", "--rep", "tanaka.hiro")
    assert claimed.exit_code == 0, claimed.output
    assert json.loads(claimed.stdout)["handoff_id"] == "h-0002"
    nobody = cli("queue", "next", "--rep", "nobody")
    assert nobody.exit_code == 1 and "no queue roster" in nobody.stderr

    shown = cli("queue", "show", "h-0002", "--rep", "tanaka.hiro")
    assert shown.exit_code == 0, shown.output
    # Due 14:00 UTC is 23:00 in Tokyo, the rep's zone in the policy.
    assert "2026-11-02 23:00 Asia/Tokyo" in shown.stdout
    assert "+81312345678" in shown.stdout and "見積もりをお願いします" in shown.stdout
    assert "fit.business_email +15" in shown.stdout
    # The list shows the same deadline in the owner's zone, or in the one asked for.
    listed = cli("queue", "list", "--owner", "tanaka.hiro")
    assert listed.exit_code == 0 and "DUE (Asia/Tokyo)" in listed.stdout
    assert "2026-11-02 23:00" in listed.stdout
    utc = cli("queue", "list", "--tz", "UTC")
    assert "DUE (UTC)" in utc.stdout and "2026-11-02 14:00" in utc.stdout
    wrong = cli("queue", "list", "--tz", "Mars/Olympus")
    assert wrong.exit_code != 0 and "not a time zone name" in wrong.output
