"""Turn raw message bytes into a LeadSubmitted, or say exactly why not."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from schemas import MAX_MESSAGE_BYTES, ErrorCode, LeadSubmitted


@dataclass(frozen=True)
class DecodeFailure:
    """Why a message cannot become a lead; never carries PII values in ``detail``."""

    error: ErrorCode
    detail: str
    fields: list[str] = field(default_factory=list)
    event_id: str | None = None


def payload_text(raw: bytes) -> tuple[str, str]:
    """Return the payload as text and its encoding ("utf-8" or "base64")."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), "base64"


# Validator messages for these fields may quote parts of the value.
_PII_FIELDS = frozenset({"email", "first_name", "last_name", "full_name", "phone", "message"})


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "$"


def _describe(err: ErrorDetails) -> str:
    path = _field_path(err["loc"])
    if err["loc"] and err["loc"][0] in _PII_FIELDS:
        return f"{path}: {err['type']}"
    return f"{path}: {err['type']}: {err['msg']}"


def _json_value(raw: bytes) -> Any:
    """Return the JSON value of a message, or a DecodeFailure saying why it has none."""
    try:
        # orjson checks the UTF-8 itself, and reads bytes faster than a decoded str.
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        # Refused: read it again as text, for the reason as the text path words it.
        return json_via_text(raw)


def json_via_text(raw: bytes) -> Any:
    """The plain reading of a message: UTF-8 text first, then JSON (or a DecodeFailure)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return DecodeFailure(ErrorCode.NOT_UTF8, f"invalid UTF-8 at byte {exc.start}")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return DecodeFailure(ErrorCode.NOT_JSON, f"not JSON: {exc.msg} at char {exc.pos}")


def decode_lead(raw: bytes | None) -> LeadSubmitted | DecodeFailure:
    """Decode and validate one form submission."""
    if raw is None:
        return DecodeFailure(ErrorCode.NOT_JSON, "message has no value")
    if len(raw) > MAX_MESSAGE_BYTES:
        return DecodeFailure(ErrorCode.TOO_LARGE, f"message is {len(raw)} bytes; at most {MAX_MESSAGE_BYTES}")
    data = _json_value(raw)
    if isinstance(data, DecodeFailure):
        return data
    if not isinstance(data, dict):
        return DecodeFailure(ErrorCode.NOT_OBJECT, f"expected a JSON object, got {type(data).__name__}")
    event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
    try:
        return LeadSubmitted.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        fields = [_field_path(e["loc"]) for e in errors]
        detail = "; ".join(_describe(e) for e in errors)
        return DecodeFailure(ErrorCode.SCHEMA_INVALID, detail, fields, event_id[:128] if event_id else None)
