"""Back from the CRM: map what Salesforce, HubSpot and kintone send into Feedback, by status name.

The sinks file says, per CRM, which field holds the handoff id, which holds the status,
and which status names mean which feedback action::

    feedback:
      - source: kintone
        id_field: handoff_id
        statuses: {商談中: contacted, 受注: won, 失注: lost}

Pure functions: a payload in, a Feedback (or None for a status nobody mapped) out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas import Feedback, FeedbackAction
from schemas.errors import IntakeError

Source = Literal["salesforce", "hubspot", "kintone"]
_DEFAULT_STATUS_FIELD = {"salesforce": "Status", "hubspot": "hs_lead_status", "kintone": "ステータス"}


class FeedbackMapping(BaseModel):
    """How one CRM tells what a rep did."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source
    id_field: str
    status_field: str | None = None
    by_field: str | None = None
    reason_field: str | None = None
    statuses: dict[str, FeedbackAction] = Field(min_length=1)

    @property
    def status_key(self) -> str:
        """The status field, or the CRM's usual one."""
        return self.status_field or _DEFAULT_STATUS_FIELD[self.source]


def _flat(payload: Any, source: Source) -> dict[str, Any]:
    """The record's fields as plain values, whatever wrapping the CRM uses."""
    if not isinstance(payload, dict):
        raise IntakeError(f"{source} feedback: expected a JSON object")
    if source == "kintone":
        # A kintone webhook: {"type": "UPDATE_STATUS", "record": {code: {"value": …}}, "nextStatus": {…}}
        record = payload.get("record") or {}
        flat = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in record.items()}
        next_status = payload.get("nextStatus")
        if isinstance(next_status, dict) and next_status.get("value"):
            flat["__next_status__"] = next_status["value"]
        return flat
    if source == "hubspot":
        # A workflow webhook sends the chosen properties flat, or the object with "properties".
        props = payload.get("properties", payload)
        return {k: (v.get("value") if isinstance(v, dict) else v) for k, v in props.items()}
    # A Flow HTTP callout posts the Lead's fields as JSON, flat or under "new" / "record".
    return dict(payload.get("new") or payload.get("record") or payload)


def feedback_from(payload: Any, mapping: FeedbackMapping, now: datetime | None = None) -> Feedback | None:
    """The feedback a CRM payload means; None when its status is not one the mapping names."""
    fields = _flat(payload, mapping.source)
    handoff_id = fields.get(mapping.id_field)
    if not isinstance(handoff_id, str) or not handoff_id:
        raise IntakeError(f"{mapping.source} feedback: no {mapping.id_field!r} field with the handoff id")
    status = fields.get("__next_status__") if mapping.source == "kintone" else None
    status = status or fields.get(mapping.status_key)
    action = mapping.statuses.get(str(status)) if status is not None else None
    if action is None:
        return None
    by = fields.get(mapping.by_field) if mapping.by_field else None
    reason = fields.get(mapping.reason_field) if mapping.reason_field else None
    return Feedback(
        handoff_id=handoff_id,
        action=action,
        reason=str(reason) if reason else None,
        by=f"{mapping.source}:{by}" if by else mapping.source,
        at=now or datetime.now(UTC),
    )
