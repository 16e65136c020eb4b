"""What every way into the pipeline shares: building a lead from form fields, field errors
without values, the request-signing scheme and the message key of a raw lead."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, get_args

import orjson
from pydantic import BaseModel, ValidationError

from schemas import Activity, Consent, LeadSubmitted, Utm
from schemas.errors import IntakeError

KEY_HEADER = "X-Handoff-Key"
SIGNATURE_HEADER = "X-Handoff-Signature"
TIMESTAMP_HEADER = "X-Handoff-Timestamp"

NESTED: dict[str, type[BaseModel]] = {"utm": Utm, "activity": Activity, "consent": Consent}


class InvalidLead(IntakeError, ValueError):
    """Fields failed the LeadSubmitted schema; ``fields`` names paths and codes, never values."""

    def __init__(self, fields: list[dict[str, str]]) -> None:
        self.fields = fields
        super().__init__("invalid lead: " + ", ".join(f"{f['path']} ({f['code']})" for f in fields))


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, directly or inside Optional/list/dict."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def schema_path(model: type[BaseModel], loc: Iterable[int | str]) -> str:
    """A dotted path of the schema's own field names (and list indices) for an error location.

    Pydantic's locations also hold union members' tags (``employees.int``,
    ``employees.constrained-str``) and the keys of free-form maps, which may be the
    sender's data; both are left out.
    """
    parts: list[str] = []
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            parts.append(str(part))
        elif current is not None and part in current.model_fields:
            parts.append(part)
            current = _model_in(current.model_fields[part].annotation)
    return ".".join(parts) or "(body)"


def field_errors(exc: ValidationError, model: type[BaseModel] = LeadSubmitted) -> list[dict[str, str]]:
    """Paths and error codes of a validation failure, leaving out the (personal) input values."""
    seen: dict[str, dict[str, str]] = {}
    for err in exc.errors(include_input=False, include_url=False):
        path = schema_path(model, err["loc"])
        seen.setdefault(path, {"path": path, "code": err["type"]})  # one entry per field
    return list(seen.values())


def nest_form_fields(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn flat form fields into a lead dict: ``utm_source`` and ``utm[source]`` become utm.source."""
    lead: dict[str, Any] = {}
    for name, value in items:
        target, key = lead, name
        for group, model in NESTED.items():
            sub = None
            if name.startswith(f"{group}[") and name.endswith("]"):
                sub = name[len(group) + 1 : -1]
            elif name.startswith(f"{group}_"):
                sub = name[len(group) + 1 :]
            if sub in model.model_fields:
                target, key = lead.setdefault(group, {}), sub
                break
        target[key] = value  # a repeated field keeps its last value, as most web frameworks do
    return lead


def build_lead(fields: Mapping[str, Any]) -> LeadSubmitted:
    """Validate form fields into a LeadSubmitted, filling event_id and submitted_at if absent."""
    data = dict(fields)
    if not data.get("event_id"):
        data["event_id"] = str(uuid.uuid4())
    if not data.get("submitted_at"):
        data["submitted_at"] = datetime.now(UTC).isoformat()
    try:
        return LeadSubmitted.model_validate(data)
    except ValidationError as exc:
        raise InvalidLead(field_errors(exc)) from None


def signature_of(secret: bytes, body: bytes, timestamp: int) -> str:
    """HMAC-SHA256 (hex) of ``"<timestamp>." + body``, as ``X-Handoff-Signature`` carries it."""
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(secret: bytes, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """Headers that sign ``body`` for a server-to-server ``POST /v1/leads``."""
    stamp = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: "sha256=" + signature_of(secret, body, stamp)}


def key_of(line: bytes) -> bytes | None:
    """The event_id of a raw lead as a message key, when it can be read."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    event_id = data.get("event_id") if isinstance(data, dict) else None
    return event_id.encode() if isinstance(event_id, str) and event_id else None
