"""Configuration: one frozen settings class, ``HANDOFF_`` environment prefix, ``.env`` honoured."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sinks.transitions import DEFAULT_LOST_REASONS, DEFAULT_REJECT_REASONS

# Comma-separated in the environment: HANDOFF_REJECT_REASONS=not_a_fit,spam,other
Codes = Annotated[tuple[str, ...], NoDecode]


class ConfigError(SystemExit):
    """A configuration value is wrong; the message says which and how to fix it."""


class Settings(BaseSettings):
    """Everything a Handoff process reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="HANDOFF_", env_file=".env", extra="ignore", frozen=True
    )

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    database_url: str = "sqlite:///handoff.db"
    rules_file: Path | None = None

    topic_submitted: str = "leads.submitted"
    topic_handoff: str = "leads.handoff"
    topic_nurture: str = "leads.nurture"
    topic_dlq: str = "leads.dlq"
    topic_feedback: str = "leads.feedback"
    topic_sla: str = "leads.sla"
    topic_routing: str = "leads.routing"
    topic_erasure: str = "leads.erasure"
    partitions: int = Field(default=4, ge=1, le=1024)
    replication_factor: int = Field(default=1, ge=1, le=16)

    worker_group: str = "handoff-worker"
    sink_group: str = "handoff-sink"
    # Default: the worker group's name + "-feedback".
    feedback_group: str | None = None

    # Production Kafka values; the embedded broker answers JoinGroup only after
    # half the session timeout, so `handoff up`/`demo` and tests use fast ones.
    session_timeout_s: float = Field(default=30.0, gt=0.5, le=600)
    heartbeat_interval_s: float = Field(default=3.0, gt=0.05, le=60)
    fetch_max_wait_ms: int = Field(default=10, ge=0, le=5000)
    commit_interval_s: float = Field(default=1.0, gt=0, le=60)
    # Lets the producer pack a few ms of outputs into one request instead of one per lead
    # (measured: a third of a stream worker's CPU went to socket writes of single records).
    producer_linger_s: float = Field(default=0.005, ge=0, le=1)

    sink_batch_size: int = Field(default=500, ge=1, le=100_000)
    sink_batch_within_s: float = Field(default=0.05, gt=0, le=60)
    sink_retry_max_backoff_s: float = Field(default=30.0, gt=0, le=3600)

    # Reason codes a rep must pick from when rejecting a lead or losing a deal.
    reject_reasons: Codes = DEFAULT_REJECT_REASONS
    lost_reasons: Codes = DEFAULT_LOST_REASONS
    sla_check_interval_s: float = Field(default=30.0, gt=0, le=3600)
    # Events recorded in the database but not confirmed by the broker are re-sent after this long.
    outbox_retry_after_s: float = Field(default=30.0, ge=0, le=86400)
    # Lead intelligence: the accounts index is reloaded from the database this often;
    # a fuzzy company-name match needs at least this similarity (0-1).
    accounts_refresh_s: float = Field(default=60.0, ge=1, le=86_400)
    account_match_min: float = Field(default=0.88, ge=0.5, le=1.0)
    # Extra enrichers, comma-separated "module:factory" (factory(settings) -> Enricher).
    enrichers: str = ""

    state_dir: Path = Path(".handoff")
    web_enabled: bool = False
    web_port: int = Field(default=6066, ge=0, le=65535)
    log_level: str = "info"
    # "json": one JSON object per line (PII masked either way); "text" for reading by eye.
    log_format: Literal["json", "text"] = "json"
    # /metrics, /health and /ready of each worker process; 0 turns them off.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    lag_interval_s: float = Field(default=5.0, gt=0, le=3600)

    # HTTP lead intake (POST /v1/leads). Form credentials and CORS origins live in the
    # forms file (YAML or JSON); without one every form is unknown and refused.
    forms_file: Path | None = None
    intake_rate_per_s: float = Field(default=1.0, gt=0, le=100_000)
    intake_rate_burst: int = Field(default=20, ge=1, le=100_000)
    intake_trust_forwarded_for: bool = False
    intake_dedupe_window_s: float = Field(default=900.0, ge=0, le=86_400)
    intake_signature_window_s: int = Field(default=300, ge=1, le=3600)
    intake_send_timeout_s: float = Field(default=5.0, gt=0, le=120)

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _servers_have_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port…], got {value!r}")
        return value

    @field_validator("reject_reasons", "lost_reasons", mode="before")
    @classmethod
    def _codes(cls, value: object) -> object:
        if isinstance(value, str):
            # Also reads a list printed by Python or JSON (how the supervisor hands settings down).
            value = tuple(v.strip().strip("'\"") for v in value.strip("[]() ").split(",") if v.strip())
        if isinstance(value, list | tuple):
            bad = [v for v in value if not (isinstance(v, str) and v.replace("_", "").isalnum())]
            if bad or not value:
                raise ValueError(f"expected comma-separated codes like not_a_fit,spam, got {value!r}")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("use sqlite:///FILE or postgresql+psycopg://USER@HOST/DB")
        return value

    @model_validator(mode="after")
    def _heartbeat_below_session(self) -> Settings:
        if self.heartbeat_interval_s * 3 > self.session_timeout_s:
            raise ValueError("heartbeat_interval_s must be at most a third of session_timeout_s")
        return self

    @property
    def kafka_servers(self) -> list[str]:
        """Bootstrap servers as a list."""
        return [s.strip() for s in self.kafka_bootstrap_servers.split(",")]

    @property
    def feedback_group_id(self) -> str:
        """Consumer group of the feedback consumer inside the stream workers."""
        return self.feedback_group or f"{self.worker_group}-feedback"

    @property
    def output_topics(self) -> tuple[str, ...]:
        """Every topic the pipeline creates."""
        return (
            self.topic_submitted, self.topic_routing, self.topic_handoff, self.topic_nurture,
            self.topic_dlq, self.topic_feedback, self.topic_sla, self.topic_erasure,
        )


def load_settings(**overrides: object) -> Settings:
    """Read settings, failing fast with a readable message on a bad value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [
            f"  HANDOFF_{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None
