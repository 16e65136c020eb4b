"""The sections of the settings; each field names its ``HANDOFF_…`` variable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sinks.transitions import DEFAULT_LOST_REASONS, DEFAULT_REJECT_REASONS

# Comma-separated in the environment: HANDOFF_REJECT_REASONS=not_a_fit,spam,other
Codes = Annotated[tuple[str, ...], NoDecode]
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def var(name: str, default: Any, **limits: Any) -> Any:
    """A field read from ``HANDOFF_<name>`` (also settable by its field name in code)."""
    return Field(default, validation_alias=AliasChoices(f"HANDOFF_{name}"), **limits)


class Section(BaseSettings):
    """One section of the settings, read from the environment and ``.env``."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, populate_by_name=True)

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable a field is read from."""
        alias = cls.model_fields[field].validation_alias
        assert isinstance(alias, AliasChoices)  # noqa: S101 - every field is made by var()
        return str(alias.choices[0])

    @classmethod
    def describe(cls, exc: ValidationError) -> list[str]:
        """One line per error, under the variable's name."""
        by_alias = {cls.variable(f).lower(): f for f in cls.model_fields}
        lines = []
        for err in exc.errors(include_url=False):
            key = str(err["loc"][0]) if err["loc"] else ""
            field = key if key in cls.model_fields else by_alias.get(key.lower())
            message = str(err["msg"]).removeprefix("Value error, ")
            if field is None:  # a check across fields: its message names the variables
                lines.append(message)
                continue
            given = err.get("input")
            plain = isinstance(given, str | int | float) and repr(given) not in message
            shown = f" (got {given!r})" if plain else ""
            lines.append(f"{cls.variable(field)}: {message}{shown}")
        return lines


class KafkaSettings(Section):
    """Where Kafka is and how the clients talk to it."""

    bootstrap_servers: str = var("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    partitions: int = var("PARTITIONS", 4, ge=1, le=1024)
    replication_factor: int = var("REPLICATION_FACTOR", 1, ge=1, le=16)
    # Production Kafka values; the embedded broker answers JoinGroup only after
    # half the session timeout, so `handoff up`/`demo` and tests use fast ones.
    session_timeout_s: float = var("SESSION_TIMEOUT_S", 30.0, gt=0.5, le=600)
    heartbeat_interval_s: float = var("HEARTBEAT_INTERVAL_S", 3.0, gt=0.05, le=60)
    fetch_max_wait_ms: int = var("FETCH_MAX_WAIT_MS", 10, ge=0, le=5000)
    # After a second with no records a consumer's fetches wait 250 ms, doubling every 10 quiet
    # seconds up to this, so an idle system does not poll (on the embedded broker the first
    # lead after a quiet spell may wait up to half of it per hop; see streams.kafka.fetch_wait).
    fetch_idle_wait_ms: int = var("FETCH_IDLE_WAIT_MS", 1000, ge=0, le=30_000)
    # Consumers no lead waits on (rep feedback, stored nurture and dead letters) always
    # fetch at this pace or slower when idle.
    fetch_side_wait_ms: int = var("FETCH_SIDE_WAIT_MS", 1500, ge=0, le=30_000)
    # Lets the Faust app's own producer (the routing tables' changelog) pack a few ms of
    # writes into one request; intake and routing produce their outputs a batch at a time.
    producer_linger_s: float = var("PRODUCER_LINGER_S", 0.005, ge=0, le=1)

    @field_validator("bootstrap_servers")
    @classmethod
    def _servers_have_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError("expected host:port[,host:port…]")
        return value

    @model_validator(mode="after")
    def _heartbeat_below_session(self) -> KafkaSettings:
        if self.heartbeat_interval_s * 3 > self.session_timeout_s:
            raise ValueError(
                "HANDOFF_HEARTBEAT_INTERVAL_S must be at most a third of HANDOFF_SESSION_TIMEOUT_S"
            )
        return self

    @property
    def servers(self) -> list[str]:
        """Bootstrap servers as a list."""
        return [s.strip() for s in self.bootstrap_servers.split(",")]


class TopicSettings(Section):
    """Topic names."""

    submitted: str = var("TOPIC_SUBMITTED", "leads.submitted")
    handoff: str = var("TOPIC_HANDOFF", "leads.handoff")
    nurture: str = var("TOPIC_NURTURE", "leads.nurture")
    dlq: str = var("TOPIC_DLQ", "leads.dlq")
    feedback: str = var("TOPIC_FEEDBACK", "leads.feedback")
    sla: str = var("TOPIC_SLA", "leads.sla")
    routing: str = var("TOPIC_ROUTING", "leads.routing")
    erasure: str = var("TOPIC_ERASURE", "leads.erasure")
    # Imports and list uploads: decided like live leads, but only while no live lead waits.
    bulk: str = var("TOPIC_BULK", "leads.bulk")
    # Decided bulk leads on their way to routing, so a live lead's routing never queues
    # behind an import's (the route agent reads both topics in turn).
    routing_bulk: str = var("TOPIC_ROUTING_BULK", "leads.routing.bulk")

    @property
    def all(self) -> tuple[str, ...]:
        """Every topic the pipeline creates."""
        return (
            self.submitted,
            self.routing,
            self.handoff,
            self.nurture,
            self.dlq,
            self.feedback,
            self.sla,
            self.erasure,
            self.bulk,
            self.routing_bulk,
        )


class DatabaseSettings(Section):
    """The sales queue store."""

    url: str = var("DATABASE_URL", "sqlite:///handoff.db")

    @field_validator("url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("use sqlite:///FILE or postgresql+psycopg://USER@HOST/DB")
        return value


class StreamWorkerSettings(Section):
    """The stream workers (Faust): their group, commits and local state."""

    group: str = var("WORKER_GROUP", "handoff-worker")
    # Default: the worker group's name + "-feedback".
    feedback_group: str | None = var("FEEDBACK_GROUP", None)
    commit_interval_s: float = var("COMMIT_INTERVAL_S", 1.0, gt=0, le=60)
    state_dir: Path = var("STATE_DIR", Path(".handoff"))
    web_enabled: bool = var("WEB_ENABLED", False)
    web_port: int = var("WEB_PORT", 6066, ge=0, le=65535)
    # Leads decided per batch and produced in one go; a bulk batch is smaller, because a
    # live lead that arrives meanwhile waits for it to finish.
    intake_batch_size: int = var("INTAKE_BATCH_SIZE", 500, ge=1, le=10_000)
    bulk_batch_size: int = var("BULK_BATCH_SIZE", 100, ge=1, le=10_000)
    # The routing stage assigns owners in batches of what is already fetched, at most this many.
    route_batch_size: int = var("ROUTE_BATCH_SIZE", 500, ge=1, le=10_000)

    @property
    def feedback_group_id(self) -> str:
        """Consumer group of the feedback consumer inside the stream workers."""
        return self.feedback_group or f"{self.group}-feedback"

    @property
    def route_group_id(self) -> str:
        """Faust app id (and group) of the routing stage; intake consumes as ``group`` itself."""
        return f"{self.group}-route"


class PolicySettings(Section):
    """The qualification policy and what feeds it: accounts and enrichers."""

    rules_file: Path | None = var("RULES_FILE", None)
    # Extra enrichers, comma-separated "module:factory" (factory(settings) -> Enricher).
    enrichers: str = var("ENRICHERS", "")
    # The accounts index is reloaded from the database this often; a fuzzy company-name
    # match needs at least this similarity (0-1).
    accounts_refresh_s: float = var("ACCOUNTS_REFRESH_S", 60.0, ge=1, le=86_400)
    account_match_min: float = var("ACCOUNT_MATCH_MIN", 0.88, ge=0.5, le=1.0)


class SinkSettings(Section):
    """The sink workers that write handoffs into the sales queue store."""

    group: str = var("SINK_GROUP", "handoff-sink")
    batch_size: int = var("SINK_BATCH_SIZE", 500, ge=1, le=100_000)
    batch_within_s: float = var("SINK_BATCH_WITHIN_S", 0.05, gt=0, le=60)
    retry_max_backoff_s: float = var("SINK_RETRY_MAX_BACKOFF_S", 30.0, gt=0, le=3600)
    # Sinks beyond the SQL sales queue (CRMs, chat, mail, webhooks), each its own group.
    file: Path | None = var("SINKS_FILE", None)


class IntakeSettings(Section):
    """HTTP lead intake (POST /v1/leads); credentials and CORS origins live in the forms file."""

    forms_file: Path | None = var("FORMS_FILE", None)
    rate_per_s: float = var("INTAKE_RATE_PER_S", 1.0, gt=0, le=100_000)
    rate_burst: int = var("INTAKE_RATE_BURST", 20, ge=1, le=100_000)
    trust_forwarded_for: bool = var("INTAKE_TRUST_FORWARDED_FOR", False)
    dedupe_window_s: float = var("INTAKE_DEDUPE_WINDOW_S", 900.0, ge=0, le=86_400)
    signature_window_s: int = var("INTAKE_SIGNATURE_WINDOW_S", 300, ge=1, le=3600)
    send_timeout_s: float = var("INTAKE_SEND_TIMEOUT_S", 5.0, gt=0, le=120)


class DeskSettings(Section):
    """The sales desk: reason codes and the feedback outbox."""

    # Reason codes a rep must pick from when rejecting a lead or losing a deal.
    reject_reasons: Codes = var("REJECT_REASONS", DEFAULT_REJECT_REASONS)
    lost_reasons: Codes = var("LOST_REASONS", DEFAULT_LOST_REASONS)
    # Events recorded in the database but not confirmed by the broker are re-sent after this long.
    outbox_retry_after_s: float = var("OUTBOX_RETRY_AFTER_S", 30.0, ge=0, le=86400)
    # Who may use the desk listener: "token" (users in the database), "proxy" (an SSO
    # proxy's header, trusted only from HANDOFF_DESK_TRUSTED_PROXIES), "none" (loopback only).
    auth: Literal["token", "proxy", "none"] = var("DESK_AUTH", "token")
    proxy_header: str = var("DESK_PROXY_HEADER", "X-Forwarded-Email", min_length=1)
    trusted_proxies: Codes = var("DESK_TRUSTED_PROXIES", ())
    session_ttl_s: float = var("DESK_SESSION_TTL_S", 12 * 3600.0, ge=60, le=30 * 86400)
    signin_rate_per_s: float = var("DESK_SIGNIN_RATE_PER_S", 0.1, gt=0, le=1000)
    signin_burst: int = var("DESK_SIGNIN_BURST", 5, ge=1, le=1000)
    page_size: int = var("DESK_PAGE_SIZE", 50, ge=5, le=500)
    # Deadlines are shown in the rep's policy time zone; this is for everyone else.
    timezone: str = var("DESK_TIMEZONE", "UTC")
    # Where reps open the desk; notifications link each lead there (empty: no link).
    url: str = var("DESK_URL", "")

    @field_validator("reject_reasons", "lost_reasons", mode="before")
    @classmethod
    def _codes(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(v.strip() for v in value.split(",") if v.strip())
        if isinstance(value, list | tuple):
            bad = [v for v in value if not (isinstance(v, str) and v.replace("_", "").isalnum())]
            if bad or not value:
                raise ValueError("expected comma-separated codes like not_a_fit,spam")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        import ipaddress

        if isinstance(value, str):
            value = tuple(v.strip() for v in value.split(",") if v.strip())
        for net in value if isinstance(value, list | tuple) else ():
            try:
                ipaddress.ip_network(str(net), strict=False)
            except ValueError:
                raise ValueError(f"{net!r} is not an address or CIDR like 10.0.0.0/8") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except (ValueError, KeyError):
            raise ValueError(f"{value!r} is not an IANA time zone like Asia/Tokyo") from None
        return value


class SlaSettings(Section):
    """Response deadlines."""

    check_interval_s: float = var("SLA_CHECK_INTERVAL_S", 30.0, gt=0, le=3600)


class LogSettings(Section):
    """Logs: level and format (PII masked either way)."""

    level: Literal["debug", "info", "warning", "error", "critical"] = var("LOG_LEVEL", "info")
    # "json": one JSON object per line; "text" for reading by eye.
    format: Literal["json", "text"] = var("LOG_FORMAT", "json")

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in LOG_LEVELS:
            return value.strip().lower()
        if isinstance(value, str):
            raise ValueError(f"{value!r} is not one of {', '.join(LOG_LEVELS)}")
        return value


class OpsSettings(Section):
    """What operators watch: each worker's /metrics, /health and /ready, and lag sampling."""

    # 0 turns the worker's metrics server off.
    metrics_port: int = var("METRICS_PORT", 0, ge=0, le=65535)
    metrics_host: str = var("METRICS_HOST", "127.0.0.1")
    lag_interval_s: float = var("LAG_INTERVAL_S", 5.0, gt=0, le=3600)
