"""What every way into the pipeline shares: building a lead from form fields, field errors
without values, the request-signing scheme and the message key of a raw lead."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

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


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Paths and error codes of a validation failure, leaving out the (personal) input values."""
    return [
        {"path": ".".join(str(p) for p in err["loc"]) or "(body)", "code": err["type"]}
        for err in exc.errors(include_input=False, include_url=False)
    ]


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
