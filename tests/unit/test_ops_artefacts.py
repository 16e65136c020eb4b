"""deploy/: alert rules pass promtool's checks and unit tests; compose's ops profile loads them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool missing: apt-get install prometheus (.ci/run does)"
)
# A metric name inside a PromQL expression: our families, with their sample suffixes.
_METRIC = re.compile(r"\b((?:handoff|kafka)_[a-z_]+)\b")


def promql_metric_names() -> set[str]:
    """Every metric the alert rules and the dashboard query (recording rules' own names left out)."""
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "handoff.json").read_text())
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    return {m for e in exprs for m in _METRIC.findall(e)}


@needs_promtool
def test_promtool_checks_the_rules_and_runs_their_unit_tests() -> None:
    assert PROMTOOL is not None
    check = subprocess.run(
        [PROMTOOL, "check", "rules", "alerts.yml"],
        cwd=DEPLOY / "prometheus",
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    tests = subprocess.run(
        [PROMTOOL, "test", "rules", "alerts_test.yml"],
        cwd=DEPLOY / "prometheus",
        check=False,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_every_alert_the_issue_asks_for_is_there_and_tested() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    assert alerts == {
        "HandoffConsumerGroupStalled",
        "HandoffTimeLagHigh",
        "HandoffDeadLetterRateHigh",
        "HandoffSpeedToLeadSlow",
        "HandoffSinkWritesFailing",
        "HandoffInputButNoOutcomes",
    }
    tests = yaml.safe_load((DEPLOY / "prometheus" / "alerts_test.yml").read_text())
    tested = {a["alertname"] for t in tests["tests"] for a in t["alert_rule_test"] if a["exp_alerts"]}
    assert tested == alerts  # each fires at least once in a test


def test_compose_ops_profile_provisions_prometheus_and_grafana_from_deploy() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["ops"]
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    port = int(compose["x-handoff-env"]["HANDOFF_METRICS_PORT"])
    assert jobs["handoff-worker"]["dns_sd_configs"][0]["port"] == port
    assert jobs["handoff-sink"]["dns_sd_configs"][0]["port"] == port
    datasource = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    dashboard = json.loads((DEPLOY / "grafana/dashboards/handoff.json").read_text())
    uid = datasource["datasources"][0]["uid"]
    assert all(p["datasource"]["uid"] == uid for p in dashboard["panels"])
