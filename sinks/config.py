"""The sinks file (``HANDOFF_SINKS_FILE``): which targets get which events, secrets by variable name."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from schemas.errors import ConfigError
from sinks.contract import EventKind
from sinks.crm_feedback import FeedbackMapping
from sinks.mapping import unknown_sources
from sinks.sample import sample_handoff

Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Locale = Literal["en", "ja"]
HANDOFF_ONLY: tuple[EventKind, ...] = ("handoff",)


class _Sink(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: Name
    events: list[EventKind] = Field(default_factory=lambda: list(HANDOFF_ONLY), min_length=1)
    # Only events of these queues (a breach: the queue it went to); none: every queue.
    queues: list[str] | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=300)

    @field_validator("name")
    @classmethod
    def _not_sales_queue(cls, value: str) -> str:
        if value == "sales-queue":
            raise ValueError("'sales-queue' is the built-in SQL sink; pick another name")
        return value

    @property
    def group(self) -> str:
        """The sink's own consumer group."""
        return f"handoff-sink-{self.name}"

    def secret_vars(self) -> list[str]:
        """Names of the environment variables this sink reads its secrets from."""
        return [str(v) for k, v in self if k.endswith("_env") and v]


class WebhookSink(_Sink):
    """A signed JSON POST of the event as published."""

    type: Literal["webhook"]
    url: Annotated[str, Field(pattern=r"^https?://")]
    secret_env: EnvName


class SlackSink(_Sink):
    """A Slack incoming webhook, Block Kit with a text fallback."""

    type: Literal["slack"]
    webhook_url_env: EnvName
    locale: Locale = "en"


class TeamsSink(_Sink):
    """A Teams Workflows (or incoming webhook) URL taking an Adaptive Card."""

    type: Literal["teams"]
    webhook_url_env: EnvName
    locale: Locale = "en"


class EmailSink(_Sink):
    """Mail to the owner's address, else the queue's, over SMTP."""

    type: Literal["email"]
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    user: str | None = None
    password_env: EnvName | None = None
    sender: str = Field(alias="from")
    queue_addresses: dict[str, str] = Field(default_factory=dict)
    default_to: str | None = None
    locale: Locale = "ja"


class _RecordSink(_Sink):
    """A CRM that stores leads: it takes handoffs, nothing else."""

    @field_validator("events")
    @classmethod
    def _handoffs_only(cls, value: list[EventKind]) -> list[EventKind]:
        if value != ["handoff"]:
            raise ValueError("a CRM sink takes handoff events only: use events: [handoff]")
        return value


class SalesforceSink(_RecordSink):
    """Lead upsert by an external-id field with sObject Collections."""

    type: Literal["salesforce"]
    instance_url: Annotated[str, Field(pattern=r"^https?://")]
    client_id_env: EnvName
    client_secret_env: EnvName
    api_version: Annotated[str, Field(pattern=r"^v\d+\.\d$")] = "v62.0"
    external_id_field: str = "Handoff_Id__c"
    # Salesforce field -> where its value comes from (see the README); replaces defaults by key.
    fields: dict[str, str] = Field(default_factory=dict)
    batch_size: int = Field(default=200, ge=1, le=200)


class HubspotSink(_RecordSink):
    """Contact batch upsert by email with a private-app token."""

    type: Literal["hubspot"]
    token_env: EnvName
    base_url: Annotated[str, Field(pattern=r"^https?://")] = "https://api.hubapi.com"
    properties: dict[str, str] = Field(default_factory=dict)
    batch_size: int = Field(default=100, ge=1, le=100)


class KintoneSink(_RecordSink):
    """Record upsert into a kintone app keyed by a unique text field holding the handoff id."""

    type: Literal["kintone"]
    base_url: Annotated[str, Field(pattern=r"^https?://")]
    app: int = Field(ge=1)
    token_env: EnvName
    update_key: str
    # kintone field code (Japanese works) -> where its value comes from.
    fields: dict[str, str] = Field(min_length=1)
    batch_size: int = Field(default=100, ge=1, le=100)


SinkBase = _Sink
SinkConfig = Annotated[
    WebhookSink | SlackSink | TeamsSink | EmailSink | SalesforceSink | HubspotSink | KintoneSink,
    Field(discriminator="type"),
]


class SinksFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sinks: list[SinkConfig] = Field(default_factory=list)
    feedback: list[FeedbackMapping] = Field(default_factory=list)


_FILE = TypeAdapter(SinksFile)


def _lines(node: yaml.Node | None, path: tuple[str, ...], out: dict[tuple[str, ...], int]) -> None:
    if node is None:
        return
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[(*path, str(key.value))] = key.start_mark.line + 1
            _lines(value, (*path, str(key.value)), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, str(index)), out)


def _line(loc: tuple[int | str, ...], lines: Mapping[tuple[str, ...], int]) -> int:
    found: tuple[str, ...] = ()
    for step in loc:
        if (*found, str(step)) in lines:
            found = (*found, str(step))
    return lines.get(found, 1)


def parse_sinks(text: str, where: str) -> list[Any]:
    """Parse a sinks file; a ConfigError lists every error as ``WHERE:LINE: field: message``."""
    return list(parse_sinks_file(text, where).sinks)


def parse_sinks_file(text: str, where: str) -> SinksFile:
    """Parse the whole file (sinks and feedback mappings), every error with its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(f"{where}:{mark.line + 1 if mark else 1}: {exc.problem or exc}") from None
    lines: dict[tuple[str, ...], int] = {}
    _lines(node, (), lines)
    try:
        parsed = _FILE.validate_python(data if data is not None else {})
    except ValidationError as exc:
        errors = []
        for err in exc.errors(include_url=False):
            # Drop the discriminator's step ("webhook") so the path reads like the file.
            loc = tuple(s for s in err["loc"] if not (isinstance(s, str) and s in _TYPES))
            if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
                loc = (*loc, "type")  # point at the type line, not the item
            field = ".".join(str(s) for s in loc) or "file"
            errors.append(
                f"{where}:{_line(loc, lines)}: {field}: {str(err['msg']).removeprefix('Value error, ')}"
            )
        raise ConfigError("\n".join(errors)) from None
    seen: dict[str, int] = {}
    errors = _mapping_errors(parsed, where, lines)
    for index, sink in enumerate(parsed.sinks):
        if sink.name in seen:
            errors.append(
                f"{where}:{_line(('sinks', index, 'name'), lines)}: sinks.{index}.name: "
                f"{sink.name!r} is already the name of sinks.{seen[sink.name]}"
            )
        seen.setdefault(sink.name, index)
    if errors:
        raise ConfigError("\n".join(errors))
    return parsed


def _mapping_errors(parsed: SinksFile, where: str, lines: Mapping[tuple[str, ...], int]) -> list[str]:
    """Every field mapping whose source names nothing a handoff has, under its line."""
    example = sample_handoff()
    errors = []
    for index, sink in enumerate(parsed.sinks):
        for key in ("fields", "properties"):
            mapping = getattr(sink, key, None)
            if not isinstance(mapping, dict):
                continue
            for field in unknown_sources(mapping, example):
                loc = ("sinks", index, key, field)
                errors.append(
                    f"{where}:{_line(loc, lines)}: sinks.{index}.{key}.{field}: no handoff has "
                    f"{mapping[field]!r}; use a path like contact.email, a name like company, or =text"
                )
    return errors


_TYPES = ("webhook", "slack", "teams", "email", "salesforce", "hubspot", "kintone")


def load_sinks_file(path: Path | None) -> SinksFile:
    """Read the whole sinks file; no file configured is an empty one."""
    if path is None:
        return SinksFile()
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"HANDOFF_SINKS_FILE: cannot read {path}: {exc.strerror}") from None
    return parse_sinks_file(text, str(path))


def load_sinks(path: Path | None) -> list[Any]:
    """Read the sinks; no file configured means no sinks besides the SQL sales queue."""
    return list(load_sinks_file(path).sinks)


def secret(name: str | None, env: Mapping[str, str] | None = None) -> str:
    """The value of a secret's environment variable, or a ConfigError naming it."""
    if not name:
        return ""
    value = (env if env is not None else os.environ).get(name)
    if not value:
        raise ConfigError(f"{name} is not set: the sinks file names it for a secret; export it")
    return value
