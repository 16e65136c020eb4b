"""JSON Schema documents for every event, for the teams that produce or consume them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from schemas.inbound import LeadSubmitted
from schemas.outbound import DeadLetter, Erasure, Feedback, HandoffEvent, NurtureEvent, SlaBreach

EXPORTED: dict[str, type[BaseModel]] = {
    "lead-submitted.v1": LeadSubmitted,
    "handoff.v1": HandoffEvent,
    "nurture.v1": NurtureEvent,
    "dead-letter.v1": DeadLetter,
    "feedback.v1": Feedback,
    "sla-breach.v1": SlaBreach,
    "erasure.v1": Erasure,
}


def json_schemas() -> dict[str, dict[str, Any]]:
    """Return each event's JSON Schema, keyed by file stem."""
    out: dict[str, dict[str, Any]] = {}
    for name, model in EXPORTED.items():
        mode: Literal["validation", "serialization"] = (
            "validation" if model is LeadSubmitted else "serialization"
        )
        schema = model.model_json_schema(mode=mode)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"urn:handoff:schema:{name}"
        out[name] = schema
    return out
