"""Configuration: frozen settings in sections, read from ``HANDOFF_…`` variables (``.env`` honoured).

Each section reads its own variables; every field names the one variable it comes from,
so error messages, child processes and the README speak of the same names::

    settings = load_settings()
    settings.kafka.servers, settings.topics.submitted, settings.database.url

``load_settings(database_url=…)`` takes overrides under the variable's name without the
prefix, lower-cased (what a command-line option sets).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from schemas.errors import ConfigError as ConfigError
from streams.core.sections import (
    DatabaseSettings,
    DeskSettings,
    IntakeSettings,
    KafkaSettings,
    LogSettings,
    OpsSettings,
    PolicySettings,
    Section,
    SinkSettings,
    SlaSettings,
    StreamWorkerSettings,
    TopicSettings,
)

__all__ = ["ConfigError", "Settings", "load_settings"]


class Settings(BaseModel):
    """Everything a Handoff process reads from its environment, one section per concern."""

    model_config = ConfigDict(frozen=True)

    kafka: KafkaSettings
    topics: TopicSettings
    database: DatabaseSettings
    worker: StreamWorkerSettings
    policy: PolicySettings
    sink: SinkSettings
    intake: IntakeSettings
    desk: DeskSettings
    sla: SlaSettings
    log: LogSettings
    ops: OpsSettings

    @classmethod
    def variables(cls) -> set[str]:
        """Every ``HANDOFF_…`` variable the settings read."""
        return {section.variable(field) for section in _sections().values() for field in section.model_fields}

    def replace(self, **values: Any) -> Settings:
        """A copy with some values changed, named like ``load_settings`` overrides."""
        by_section = _split(values)
        return self.model_copy(
            update={
                name: getattr(self, name).model_copy(update=fields) for name, fields in by_section.items()
            }
        )

    def to_env(self) -> dict[str, str]:
        """The ``HANDOFF_…`` variables that hand exactly these settings to a child process."""
        env: dict[str, str] = {}
        for name in Settings.model_fields:
            section: Section = getattr(self, name)
            for field, value in section.model_dump(mode="json").items():
                if value is None:
                    continue
                if isinstance(value, bool):
                    text = "true" if value else "false"
                elif isinstance(value, list | tuple):
                    text = ",".join(str(v) for v in value)
                else:
                    text = str(value)
                env[section.variable(field)] = text
        return env


def _sections() -> dict[str, type[Section]]:
    return {name: info.annotation for name, info in Settings.model_fields.items()}  # type: ignore[misc]


def _split(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Sort flat overrides (``database_url``) into their sections (``database.url``)."""
    owners = {
        cls.variable(field).removeprefix("HANDOFF_").lower(): (name, field)
        for name, cls in _sections().items()
        for field in cls.model_fields
    }
    by_section: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        if key not in owners:
            raise ConfigError(f"unknown setting {key!r} (no variable HANDOFF_{key.upper()})")
        name, field = owners[key]
        by_section.setdefault(name, {})[field] = value
    return by_section


def load_settings(**overrides: Any) -> Settings:
    """Read every section, failing fast with one line per bad variable and how to fix it."""
    by_section = _split(overrides)
    built: dict[str, Section] = {}
    problems: list[str] = []
    for name, cls in _sections().items():
        try:
            built[name] = cls(**by_section.get(name, {}))
        except ValidationError as exc:
            problems.extend(cls.describe(exc))
    if len(problems) == 1:
        raise ConfigError(f"invalid configuration: {problems[0]}")
    if problems:
        raise ConfigError("invalid configuration:\n" + "\n".join(f"  {p}" for p in problems))
    return Settings(**built)
