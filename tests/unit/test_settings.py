"""Settings in sections: every variable still read, errors under the variable's name, a child's copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from streams.core.settings import ConfigError, Settings, load_settings


def test_sections_read_the_documented_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv("HANDOFF_TOPIC_SUBMITTED", "web.leads")
    monkeypatch.setenv("HANDOFF_SINK_BATCH_SIZE", "250")
    monkeypatch.setenv("HANDOFF_PARTITIONS", "12")
    monkeypatch.setenv("HANDOFF_LOG_LEVEL", "WARNING")
    settings = load_settings()
    assert settings.kafka.servers == ["k1:9092", "k2:9092"]
    assert settings.kafka.partitions == 12
    assert settings.topics.submitted == "web.leads"
    assert settings.sink.batch_size == 250
    assert settings.log.level == "warning"


def test_every_readme_variable_is_a_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    known = Settings.variables()
    for name in (
        "HANDOFF_KAFKA_BOOTSTRAP_SERVERS",
        "HANDOFF_DATABASE_URL",
        "HANDOFF_RULES_FILE",
        "HANDOFF_FORMS_FILE",
        "HANDOFF_SESSION_TIMEOUT_S",
        "HANDOFF_INTAKE_RATE_BURST",
        "HANDOFF_REJECT_REASONS",
        "HANDOFF_SLA_CHECK_INTERVAL_S",
        "HANDOFF_METRICS_PORT",
    ):
        assert name in known and name in readme


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HANDOFF_LOG_LEVEL", "loud", "HANDOFF_LOG_LEVEL: 'loud' is not one of debug, info, warning, error"),
        ("HANDOFF_PARTITIONS", "many", "HANDOFF_PARTITIONS: Input should be a valid integer"),
        ("HANDOFF_KAFKA_BOOTSTRAP_SERVERS", "kafka", "HANDOFF_KAFKA_BOOTSTRAP_SERVERS: expected host:port"),
        ("HANDOFF_DATABASE_URL", "mysql://x", "HANDOFF_DATABASE_URL: use sqlite:///FILE or postgresql"),
    ],
)
def test_a_bad_value_is_reported_under_its_variable(
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert message in str(caught.value)


def test_heartbeat_against_session_names_both_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_SESSION_TIMEOUT_S", "1")
    monkeypatch.setenv("HANDOFF_HEARTBEAT_INTERVAL_S", "5")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    text = str(caught.value)
    assert "HANDOFF_HEARTBEAT_INTERVAL_S" in text and "HANDOFF_SESSION_TIMEOUT_S" in text
    assert "heartbeat_interval_s" not in text


def test_a_child_process_gets_exactly_the_same_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    original = load_settings(
        database_url="postgresql+psycopg://u@db/x",
        reject_reasons=("spam", "other"),
        intake_trust_forwarded_for=True,
        rules_file=Path("p.yaml"),
        partitions=8,
    )
    env = original.to_env()
    assert env["HANDOFF_REJECT_REASONS"] == "spam,other"
    assert env["HANDOFF_INTAKE_TRUST_FORWARDED_FOR"] == "true"
    for name in list(os.environ):
        if name.startswith("HANDOFF_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert load_settings() == original


def test_replace_changes_only_what_it_names() -> None:
    base = load_settings()
    moved = base.replace(kafka_bootstrap_servers="127.0.0.1:1234", topic_dlq="x.dlq")
    assert (moved.kafka.bootstrap_servers, moved.topics.dlq) == ("127.0.0.1:1234", "x.dlq")
    assert moved.topics.submitted == base.topics.submitted and moved.database == base.database
    with pytest.raises(ConfigError, match="unknown setting 'kafka_servers'"):
        base.replace(kafka_servers="x")
