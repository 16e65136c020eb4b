"""`handoff dlq list|show|replay` against a running stream worker: find, repair and replay a dead letter."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from streams.cli.main import main
from streams.core.settings import Settings
from streams.demo.samples import sample_messages
from streams.kafka.topics import ensure_topics
from tests.reliability.harness import Outcomes, Workers, send, wait_until_accounted

pytestmark = pytest.mark.e2e


def test_list_show_and_replay_a_repaired_dead_letter(
    settings_for: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    settings = settings_for()
    ensure_topics(settings)
    good = orjson.loads(sample_messages(1, seed=4)[0])
    broken = {k: v for k, v in good.items() if k != "email"} | {"event_id": "dlq-fix-1"}
    messages = [b"\xff\xfe not utf-8", orjson.dumps(broken)]
    env = settings.to_env()
    runner = CliRunner()
    workers = Workers(settings, tmp_path / "logs")
    outcomes = Outcomes(settings)
    try:
        workers.start("worker-0")
        assert wait_until_accounted(outcomes, send(settings, messages), workers, timeout_s=60) == []

        listed = runner.invoke(main, ["dlq", "list", "--json"], env=env)
        assert listed.exit_code == 0, listed.output
        letters = [json.loads(line) for line in listed.output.splitlines()]
        assert sorted(d["error"] for d in letters) == ["not_utf8", "schema_invalid"]
        invalid = next(d for d in letters if d["error"] == "schema_invalid")
        assert invalid["event_id"] == "dlq-fix-1" and invalid["fields"] == ["email"]
        # The listing never shows payloads; filters narrow it.
        assert good["phone"] not in listed.output
        only = runner.invoke(main, ["dlq", "list", "--json", "--error", "not_utf8", "--since", "1h"], env=env)
        assert [json.loads(line)["error"] for line in only.output.splitlines()] == ["not_utf8"]
        future = runner.invoke(main, ["dlq", "list", "--json", "--since", "2999-01-01T00:00:00"], env=env)
        assert future.output.strip() == ""

        shown = runner.invoke(main, ["dlq", "show", invalid["id"]], env=env)
        assert shown.exit_code == 0
        assert "schema_invalid" in shown.output and '"event_id":"dlq-fix-1"' in shown.output
        missing = runner.invoke(main, ["dlq", "show", "9:999999"], env=env)
        assert missing.exit_code != 0 and "no dead letter" in missing.output

        fixed = tmp_path / "fixed.json"
        fixed.write_bytes(orjson.dumps(broken | {"email": "hanako@example-corp.co.jp"}))
        replayed = runner.invoke(main, ["dlq", "replay", invalid["id"], "--file", str(fixed)], env=env)
        assert replayed.exit_code == 0, replayed.output
        deadline_outcomes = Outcomes(settings)
        try:
            for _ in range(300):
                deadline_outcomes.poll()
                if "dlq-fix-1" in deadline_outcomes.handoffs or "dlq-fix-1" in deadline_outcomes.nurtured:
                    break
            assert "dlq-fix-1" in deadline_outcomes.handoffs or "dlq-fix-1" in deadline_outcomes.nurtured
        finally:
            deadline_outcomes.close()
        refused = runner.invoke(main, ["dlq", "replay"], env=env)
        # Nothing named, nothing narrowed: refuse to replay everything (a usage error, exit 1).
        assert refused.exit_code == 1 and "narrow with --since/--error" in refused.output
    finally:
        workers.stop()
        outcomes.close()
