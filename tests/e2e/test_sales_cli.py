"""A rep works a queue from the command line; a person is erased and the counts stay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from sinks.migrate import head_revision
from sinks.models import QueueItem
from sinks.queue import record_handoffs
from streams.cli.main import main
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from tests.conftest import Kafka
from tests.sales_factory import T0, handoff, read_topic

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Ran:
    """What a command printed and how it exited."""

    returncode: int
    stdout: str
    stderr: str


def _cli(settings: Settings, *args: str, rep: str | None = None) -> Ran:
    """Run a command in-process, through the same entry point and error handling as `handoff`.

    A fresh interpreter per command costs about 1.5 s of imports; the sink below runs as its
    own process, as `handoff sink` does.
    """
    env: dict[str, str | None] = {**settings.to_env(), "HANDOFF_REP": rep or None}
    done = CliRunner().invoke(main, list(args), env=env)
    return Ran(done.exit_code, done.stdout, done.stderr)


def _process(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `handoff ARGS` as its own process."""
    env = {**os.environ, **settings.to_env()}
    env.pop("HANDOFF_REP", None)
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_work_a_queue_report_and_erase(
    settings_for: Callable[..., Settings], unique: Callable[[str], str], kafka: Kafka
) -> None:
    settings = settings_for(topic_erasure=unique("leads.erasure"))
    ensure_topics(settings, [settings.topics.feedback, settings.topics.erasure], partitions=2)
    upgrade = _cli(settings, "db", "upgrade")
    assert upgrade.returncode == 0 and f"-> {head_revision()}" in upgrade.stdout, upgrade.stderr
    from sinks.store import make_engine

    engine = make_engine(settings.database.url)
    with Session(engine) as session, session.begin():
        record_handoffs(session=session, now=T0, events=[handoff(1), handoff(2)])

    claimed = _cli(settings, "queue", "next", "--queue", "inside-sales", "--json", rep="tanaka")
    assert claimed.returncode == 0, claimed.stderr
    assert json.loads(claimed.stdout)["handoff_id"] == "h-0001"
    refused = _cli(settings, "queue", "accept", "h-0001", "--rep", "sato")
    assert refused.returncode == 1 and "belongs to tanaka" in refused.stderr
    bad = _cli(settings, "queue", "reject", "h-0001", "--reason", "boring", rep="tanaka")
    assert bad.returncode == 1 and "use one of not_a_fit" in bad.stderr
    for args in (("accept",), ("contacted",), ("lost", "--reason", "timing")):
        done = _cli(settings, "queue", args[0], "h-0001", *args[1:], rep="tanaka")
        assert done.returncode == 0, done.stderr
        assert "warning" not in done.stderr
    listed = _cli(settings, "queue", "list", "--status", "closed")
    assert listed.stdout.splitlines()[1].split()[:6] == [
        "h-0001",
        "inside-sales",
        "SQL",
        "80",
        "lost",
        "tanaka",
    ]
    empty = _cli(settings, "queue", "next", "--queue", "enterprise", rep="tanaka")
    assert empty.returncode == 3 and "nothing to claim" in empty.stderr

    report = _cli(settings, "report", "funnel", "--by", "form", "--json")
    before = json.loads(report.stdout)
    assert [(r["key"], r["handed_off"], r["accepted"], r["lost"]) for r in before] == [
        ("demo-request", 2, 1, 1)
    ]

    # Erase person 1 (typed full-width, as a Japanese form might have it): twice, the second finds nothing.
    first = _cli(settings, "erase", "ＴＡＲＯ１＠Ｃ１．ＥＸＡＭＰＬＥ．ＣＯ．ＪＰ", "--yes")
    assert first.returncode == 0 and "erased 1 handoff (" in first.stdout, first.stderr
    again = _cli(settings, "erase", "taro1@c1.example.co.jp", "--yes")
    assert again.returncode == 0 and "erased 0 handoffs" in again.stdout
    assert _cli(settings, "erase", "not-an-email", "--yes").returncode == 1
    with Session(engine) as session:
        rows = {r.handoff_id: r for r in session.scalars(select(QueueItem))}
        erased = rows["h-0001"]
        assert (erased.email, erased.full_name, erased.company) == (None, None, None)
        text = json.dumps(erased.handoff, ensure_ascii=False)
        for personal in ("taro1", "山田", "テスト1", "c1.example", "+81"):
            assert personal not in text
        assert rows["h-0002"].email == "taro2@c2.example.co.jp"
    engine.dispose()
    after = json.loads(_cli(settings, "report", "funnel", "--by", "form", "--json").stdout)
    assert after == before
    announced = read_topic(kafka.bootstrap, settings.topics.erasure, until=2)
    assert [e["handoffs"] for _, e in announced] == [1, 0]
    assert all("@" not in json.dumps(e) for _, e in announced)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite sinks migrate
def test_a_sink_refuses_an_unmigrated_postgresql_schema(
    settings_for: Callable[..., Settings], database_url: str
) -> None:
    settings = settings_for(database_url=database_url)
    sink = _process(settings, "sink")
    assert sink.returncode == 1
    assert "run `handoff db upgrade`" in sink.stderr
    assert _cli(settings, "db", "upgrade").returncode == 0
    current = _cli(settings, "db", "current")
    head = head_revision()
    assert current.stdout.strip() == f"database: {head}; code: {head}"
