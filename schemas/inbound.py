"""What a website form sends: LeadSubmitted v1."""

from __future__ import annotations

import json
import unicodedata
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.networks import validate_email as pretty_email

from schemas.emails import valid_email

#: Largest message the pipeline accepts; larger ones are dead-lettered.
MAX_MESSAGE_BYTES = 64 * 1024
#: Largest serialised size of the unknown fields kept in ``extra``.
MAX_EXTRA_BYTES = 16 * 1024

OptStr = str | None


def _email(value: str) -> str:
    """Validate an address as pydantic's EmailStr does, with the domain check memoised."""
    if len(value) <= 2048 and "<" not in value and "\r" not in value and "\n" not in value:
        return valid_email(value)
    # "Name <address>" forms, oversized and folded values: pydantic's own rules.
    return pretty_email(value)[1]


#: An email address; the JSON Schema is EmailStr's.
Email = Annotated[str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})]


def nfkc_deep(value: Any) -> Any:
    """Apply Unicode NFKC to every string inside a JSON value."""
    if isinstance(value, str):
        return _nfkc_text(value)
    if isinstance(value, dict):
        return _nfkc_object(value)
    if isinstance(value, list):
        return [nfkc_deep(v) for v in value]
    return value


def _nfkc_text(value: str) -> str:
    # NFKC leaves ASCII as it is; most payloads are ASCII apart from names.
    return value.strip() if value.isascii() else unicodedata.normalize("NFKC", value).strip()


def _nfkc_object(value: dict[Any, Any]) -> dict[Any, Any]:
    """``nfkc_deep`` of a JSON object, with the kinds a decoder gives handled inline.

    A call per item was most of the cost of a form payload (a flat object with three
    small nested ones); other kinds, such as subclasses, go through ``nfkc_deep``.
    """
    out = {}
    for k, v in value.items():
        key = k.strip() if type(k) is str and k.isascii() else nfkc_deep(k)
        kind = type(v)
        if kind is str:
            out[key] = v.strip() if v.isascii() else unicodedata.normalize("NFKC", v).strip()
        elif kind is dict:
            out[key] = _nfkc_object(v)
        elif kind is int or kind is bool or v is None:
            out[key] = v
        else:
            out[key] = nfkc_deep(v)
    return out


class Utm(BaseModel):
    """Campaign attribution parameters."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    source: OptStr = Field(default=None, max_length=256)
    medium: OptStr = Field(default=None, max_length=256)
    campaign: OptStr = Field(default=None, max_length=256)
    term: OptStr = Field(default=None, max_length=256)
    content: OptStr = Field(default=None, max_length=256)


class Activity(BaseModel):
    """Behaviour the website saw before the form was sent."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    page_views: NonNegativeInt = 0
    pricing_page_views: NonNegativeInt = 0
    content_downloads: NonNegativeInt = 0
    webinar_attended: bool = False
    email_clicks: NonNegativeInt = 0


class Consent(BaseModel):
    """What the person agreed to."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    marketing: bool | None = None
    processing: bool | None = None


class LeadSubmitted(BaseModel):
    """A form submission, version 1 (flat JSON; unknown fields kept in ``extra``)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    event_id: str = Field(min_length=1, max_length=128)
    submitted_at: AwareDatetime
    form_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
    email: Email
    first_name: OptStr = Field(default=None, max_length=200)
    last_name: OptStr = Field(default=None, max_length=200)
    full_name: OptStr = Field(default=None, max_length=400)
    company: OptStr = Field(default=None, max_length=400)
    job_title: OptStr = Field(default=None, max_length=200)
    phone: OptStr = Field(default=None, max_length=64)
    country: OptStr = Field(default=None, max_length=100)
    region: OptStr = Field(default=None, max_length=100)
    employees: int | str | None = None
    budget: OptStr = Field(default=None, max_length=200)
    timeline: OptStr = Field(default=None, max_length=200)
    message: OptStr = Field(default=None, max_length=10_000)
    page_url: OptStr = Field(default=None, max_length=2048)
    referrer: OptStr = Field(default=None, max_length=2048)
    honeypot: OptStr = Field(default=None, max_length=2048)
    utm: Utm = Field(default_factory=Utm)
    activity: Activity = Field(default_factory=Activity)
    consent: Consent = Field(default_factory=Consent)
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _normalise_and_collect_extra(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = nfkc_deep(data)  # a new dict, ours to change
        for name in _BLANK_IS_NONE:
            # Strings are stripped already; the empty ones mean "not given".
            if data.get(name) == "":
                data[name] = None
        extra = {k: v for k, v in data.items() if k not in _KNOWN}
        if not extra:
            return data
        kept = {k: v for k, v in data.items() if k in _KNOWN}
        given = kept.get("extra")
        kept["extra"] = {**(given if isinstance(given, dict) else {}), **extra}
        return kept

    @field_validator("extra")
    @classmethod
    def _cap_extra(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            return value
        size = len(json.dumps(value, ensure_ascii=False, default=str).encode())
        if size > MAX_EXTRA_BYTES:
            raise ValueError(f"unknown fields take {size} bytes; at most {MAX_EXTRA_BYTES}")
        return value

    @field_validator("employees", mode="after")
    @classmethod
    def _employees_not_negative(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int) and value < 0:
            raise ValueError("employees cannot be negative")
        return value


_KNOWN = frozenset(LeadSubmitted.model_fields)
# Optional fields where an empty value is the same as none.
_BLANK_IS_NONE = (
    "first_name",
    "last_name",
    "full_name",
    "company",
    "job_title",
    "phone",
    "country",
    "region",
    "employees",
    "budget",
    "timeline",
    "message",
    "page_url",
    "referrer",
    "honeypot",
)
