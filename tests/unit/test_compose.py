"""docker-compose.yml is valid and wired the way production needs (no Docker engine required)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.cli.main import main
from streams.core.settings import Settings

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_services(compose: dict[str, Any]) -> None:
    assert {"kafka", "postgres", "worker", "sink"} <= set(compose["services"])
    assert not any("zookeeper" in name for name in compose["services"])
    kafka = compose["services"]["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"]


def test_every_service_that_others_wait_for_has_a_health_check(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dep, cond in (service.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            if cond["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{dep} has no healthcheck"
    assert services["worker"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["sink"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_workers_run_real_commands_with_known_settings(compose: dict[str, Any]) -> None:
    known = Settings.variables()
    for name in ("worker", "sink", "migrate"):
        service = compose["services"][name]
        command = service["command"][0]
        assert command in main.commands, f"{name} runs unknown command {command}"
        assert set(service["environment"]) <= known
    assert "replicas" in compose["services"]["worker"]["deploy"]


def test_secrets_are_required_not_defaulted() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert re.findall(r"\$\{POSTGRES_PASSWORD:\?[^}]*\}", text)
    assert "POSTGRES_PASSWORD: postgres" not in text
