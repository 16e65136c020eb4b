"""The policy's `scorecard:` targets: read from the file, and every mistake reported with its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from streams.cli.main import main
from streams.logic.policy import PolicyError
from streams.logic.policy_file import load_policy, parse_policy
from tests.unit.test_policy_errors import MINIMAL

pytestmark = pytest.mark.unit


def test_targets_are_read_and_the_shipped_policy_has_them() -> None:
    policy = parse_policy(MINIMAL + "scorecard:\n  sql_per_month: {main: 30}\n  acceptance_rate: 75\n")
    assert policy.scorecard.sql_per_month == {"main": 30}
    assert policy.scorecard.acceptance_rate == 75
    assert policy.scorecard.first_touch_share == 90
    assert parse_policy(MINIMAL).scorecard.sql_per_month == {}
    shipped = load_policy().scorecard
    assert shipped.sql_per_month == {"enterprise": 40, "inside-sales": 120}
    assert shipped.first_touch_hours == 4


def test_rules_check_reports_a_bad_scorecard_section_with_file_and_line(tmp_path: Path) -> None:
    bad = MINIMAL + (
        "scorecard:\n"  # line 17
        "  sql_per_month: {main: 30, enterprise: 10, }\n"
        "  acceptance_rate: 150\n"
        "  first_touch_hours: 0\n"
        "  colour: blue\n"
    )
    path = tmp_path / "rules.yaml"
    path.write_text(bad, encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "check", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{path}:18: scorecard.sql_per_month.enterprise: no queue 'enterprise' under 'queues'" in lines
    assert any(line.startswith(f"{path}:19: scorecard.acceptance_rate: ") and "100" in line for line in lines)
    assert any(line.startswith(f"{path}:20: scorecard.first_touch_hours: ") for line in lines)
    assert any(line.startswith(f"{path}:21: scorecard.colour: ") for line in lines)
    with pytest.raises(PolicyError, match="must not be negative"):
        parse_policy(MINIMAL + "scorecard:\n  sql_per_month: {main: -1}\n")
