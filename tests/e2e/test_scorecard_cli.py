"""`handoff report scorecard` as a user runs it: text, JSON, CSV, and the mistakes it explains."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from streams.cli.main import main
from tests.sales_factory import migrated
from tests.scorecard_factory import script_week

pytestmark = pytest.mark.e2e
WEEK = ["--period", "custom", "--from", "2026-11-02", "--to", "2026-11-08", "--tz", "Asia/Tokyo"]


def _cli(url: str, *args: str) -> Result:
    """Run the command in-process (a subprocess costs seconds of start-up per call)."""
    return CliRunner().invoke(main, ["report", "scorecard", *args], env={"HANDOFF_DATABASE_URL": url})


def test_the_scorecard_in_the_terminal_as_json_and_as_csv(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/queue.db"
    engine = migrated(url)
    script_week(engine)
    engine.dispose()
    text = _cli(url, *WEEK, "--weeks", "2")
    assert text.exit_code == 0, text.output
    out = text.stdout
    assert out.startswith("2026-11-02 .. 2026-11-09 (Asia/Tokyo), by source")
    assert "Marketing: leads delivered" in out and "Falling acceptance" in out
    assert any(line.split()[:3] == ["Total", "11", "1"] for line in out.splitlines())

    data = json.loads(_cli(url, *WEEK, "--by", "rep", "--json").stdout)
    assert {g["key"]: g["handed_off"] for g in data["groups"]} == {"aki": 2, "ben": 2, "cho": 2}
    assert data["total"]["median_first_touch_s"] == 7200.0 and data["tz"] == "Asia/Tokyo"
    assert [t["target"] for t in data["targets"]][:2] == ["SQL delivered", "SQL delivered"]

    raw = _cli(url, *WEEK, "--csv", "sales").stdout_bytes
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Group", "Handed off", "Median first touch (h)"]
    assert rows[-1][:3] == ["Total", "6", "2.0"]


def test_mistakes_end_in_one_line_and_an_exit_code(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    bad = _cli(url, "--period", "custom", "--from", "2026-11-08", "--to", "2026-11-02")
    assert bad.exit_code == 1 and bad.stderr.strip().endswith("swap --from and --to")
    missing = _cli(url, "--period", "custom", "--from", "2026-11-08")
    assert missing.exit_code == 1 and "needs both dates" in missing.stderr
    unmigrated = _cli(url)
    # Not migrated is a user error (exit 1, as `handoff --help` says), and no empty file is left.
    assert unmigrated.exit_code == 1 and "run `handoff db upgrade`" in unmigrated.stderr
    assert not (tmp_path / "empty.db").exists()
    assert "Traceback" not in unmigrated.output
