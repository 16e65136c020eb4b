"""The qualification policy: a YAML file both marketing and sales can read."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas import Stage
from streams.logic.titles import Seniority


class PolicyError(ValueError):
    """The policy file is invalid; the message names the file and every bad field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    """Score needed for each stage."""

    sql: int = Field(ge=0, le=100)
    mql: int = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.mql > self.sql:
            raise ValueError("mql threshold must not exceed sql threshold")
        return self


class Disqualify(_Strict):
    """Which obvious junk never reaches sales."""

    honeypot: bool = True
    disposable_email: bool = True
    test_data: bool = True


class SizeBand(_Strict):
    """Points for a company of at least ``min`` employees."""

    min: int = Field(ge=0)
    points: int = Field(ge=0, le=100)


class PerCount(_Strict):
    """Points per occurrence, capped."""

    each: int = Field(ge=0, le=100)
    max: int = Field(ge=0, le=100)


class TargetCountries(_Strict):
    """Countries sales covers."""

    countries: list[str]
    points: int = Field(ge=0, le=100)


class Fit(_Strict):
    """Firmographic points."""

    cap: int = Field(default=50, ge=0, le=100)
    business_email: int = Field(ge=0, le=100)
    seniority: dict[str, int]
    employees: list[SizeBand]
    target_countries: TargetCountries

    @model_validator(mode="after")
    def _known_seniorities(self) -> Fit:
        unknown = set(self.seniority) - {s.name for s in Seniority}
        if unknown:
            raise ValueError(f"unknown seniority levels {sorted(unknown)}; use {[s.name for s in Seniority]}")
        return self


class Intent(_Strict):
    """Behavioural points."""

    cap: int = Field(default=50, ge=0, le=100)
    forms: dict[str, int]
    pricing_page_views: PerCount
    content_downloads: PerCount
    budget_stated: int = Field(ge=0, le=100)
    timeline_within_quarter: int = Field(ge=0, le=100)
    webinar_attended: int = Field(ge=0, le=100)


class Route(_Strict):
    """One line of the routing table; the first matching line wins."""

    queue: str
    stage: Stage | None = None
    min_employees: int | None = Field(default=None, ge=0)
    countries: list[str] | None = None


class QueueConfig(_Strict):
    """A sales queue: its reps and how fast they must respond."""

    reps: list[str] = Field(default_factory=list)
    strategy: str = "round_robin"
    sla_hours: dict[Stage, float]


class Policy(_Strict):
    """A complete, versioned qualification policy."""

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    thresholds: Thresholds
    sales_ready_forms: list[str]
    disqualify: Disqualify = Field(default_factory=Disqualify)
    fit: Fit
    intent: Intent
    routing: list[Route] = Field(min_length=1)
    queues: dict[str, QueueConfig]
    # What to do when a handoff breaches its SLA; validated by the SLA module.
    sla: dict[str, Any] | None = None
    version: str = ""

    @model_validator(mode="after")
    def _routes_name_queues(self) -> Policy:
        missing = sorted({r.queue for r in self.routing} - set(self.queues))
        if missing:
            raise ValueError(f"routing names queues with no entry under 'queues': {missing}")
        last = self.routing[-1]
        if last.stage or last.min_employees is not None or last.countries:
            raise ValueError("the last routing line must have no conditions (the catch-all queue)")
        return self


DEFAULT_POLICY = "default_policy.yaml"


def _content_hash(data: dict[str, Any]) -> str:
    canonical = yaml.safe_dump(data, sort_keys=True, allow_unicode=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def parse_policy(text: str, *, origin: str = "<policy>") -> Policy:
    """Validate policy YAML; the version is the name plus a hash of the content."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{origin}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{origin}: expected a mapping at the top level")
    data.pop("version", None)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{origin}: {'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        ]
        raise PolicyError("\n".join(lines)) from None
    return policy.model_copy(update={"version": f"{policy.name}@{_content_hash(data)}"})


def load_policy(path: Path | None = None) -> Policy:
    """Load the policy from a file, or the default policy shipped in the package."""
    if path is None:
        text = resources.files("streams.data").joinpath(DEFAULT_POLICY).read_text("utf-8")
        return parse_policy(text, origin=DEFAULT_POLICY)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_policy(text, origin=str(path))
