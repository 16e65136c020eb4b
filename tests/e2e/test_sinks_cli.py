"""`handoff sinks check|test` as a user runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from streams.cli.main import main
from streams.demo.catcher import Catcher

pytestmark = pytest.mark.e2e


@pytest.fixture
def catcher() -> Iterator[Catcher]:
    running = Catcher()
    running.start()
    yield running
    running.stop()


def test_check_lists_each_sink_and_every_error_with_its_line(tmp_path: Path) -> None:
    good = tmp_path / "sinks.yaml"
    good.write_text(
        "sinks:\n  - {name: crm-hook, type: webhook, url: 'https://hooks.example.com/h',"
        " secret_env: HOOK_SECRET, events: [handoff, sla], queues: [enterprise]}\n",
        encoding="utf-8",
    )
    ok = CliRunner().invoke(main, ["sinks", "check", str(good)], env={"HOOK_SECRET": ""})
    assert ok.exit_code == 0, ok.output
    assert (
        "crm-hook: webhook, handoff,sla, enterprise, group handoff-sink-crm-hook (not set here: HOOK_SECRET)"
        in ok.output
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("sinks:\n  - name: x\n    type: slack\n  - name: y\n    type: fax\n", encoding="utf-8")
    failed = CliRunner().invoke(main, ["sinks", "check", str(bad)])
    assert failed.exit_code == 1
    assert f"handoff: {bad}:2: sinks.0.webhook_url_env: Field required" in failed.output
    assert f"{bad}:5: sinks.1.type: Input tag 'fax' found using 'type' does not match" in failed.output


def test_test_sends_one_signed_sample_and_prints_the_answer(tmp_path: Path, catcher: Catcher) -> None:
    path = catcher.sinks_file(tmp_path)
    env = {**catcher.env(), "HANDOFF_SINKS_FILE": str(path)}
    sent = CliRunner().invoke(main, ["sinks", "test", "demo-webhook"], env=env)
    assert sent.exit_code == 0, sent.output
    assert sent.output.startswith("demo-webhook: delivered (sample handoff test-")
    assert catcher.counts["hook"] == 1 and catcher.bad_signatures == 0
    missing = CliRunner().invoke(main, ["sinks", "test", "nope"], env=env)
    assert missing.exit_code == 1 and "no sink named 'nope'" in missing.output
    unset = CliRunner().invoke(
        main, ["sinks", "test", "demo-slack"], env={**env, "HANDOFF_DEMO_SLACK_URL": ""}
    )
    assert unset.exit_code == 1 and "HANDOFF_DEMO_SLACK_URL is not set" in unset.output
