"""One input message to exactly one outcome: a qualified lead, a nurture event or a dead letter."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas import DeadLetter, ErrorCode, HandoffEvent, NurtureEvent, SourcePosition
from streams.logic.assign import round_robin, sla_due
from streams.logic.decode import DecodeFailure, decode_lead, payload_text
from streams.logic.lead import handoff_id_for, normalise_lead
from streams.logic.normalise import InvalidEmail
from streams.logic.policy import Policy
from streams.logic.qualify import qualify

Outcome = HandoffEvent | NurtureEvent | DeadLetter


def dead_letter(
    raw: bytes | None, failure: DecodeFailure, position: SourcePosition, now: datetime
) -> DeadLetter:
    """Wrap an unprocessable message, keeping its payload whole."""
    text, encoding = payload_text(raw or b"")
    return DeadLetter(
        error=failure.error, detail=failure.detail, fields=failure.fields,
        event_id=failure.event_id, payload=text, payload_encoding=encoding,  # type: ignore[arg-type]
        source=position, failed_at=now,
    )


def decide(
    raw: bytes | None, position: SourcePosition, policy: Policy, now: datetime | None = None
) -> Outcome:
    """Decode, normalise, enrich and qualify one message.

    A lead for sales comes back as a HandoffEvent without an owner: owners are
    assigned per queue by the routing stage.
    """
    now = now or datetime.now(UTC)
    decoded = decode_lead(raw)
    if isinstance(decoded, DecodeFailure):
        return dead_letter(raw, decoded, position, now)
    try:
        lead = normalise_lead(decoded)
    except InvalidEmail:
        failure = DecodeFailure(ErrorCode.SCHEMA_INVALID, "email: value_error", ["email"],
                                decoded.event_id)
        return dead_letter(raw, failure, position, now)
    decision = qualify(lead, policy)
    if decision.disposition is not None or decision.queue is None or decision.stage is None:
        return NurtureEvent(
            event_id=lead.event_id, lead_id=lead.lead_id,
            disposition=decision.disposition or "nurture",  # type: ignore[arg-type]
            reasons=decision.reasons, score=decision.score, fit=decision.fit,
            intent=decision.intent, rules_version=policy.version, contact=lead.contact,
            source=lead.source, submitted_at=lead.submitted_at, decided_at=now,
        )
    queue = policy.queues[decision.queue]
    return HandoffEvent(
        handoff_id=handoff_id_for(lead.event_id), event_id=lead.event_id, lead_id=lead.lead_id,
        account=lead.account, queue=decision.queue, owner=None, stage=decision.stage,
        score=decision.score, fit=decision.fit, intent=decision.intent, reasons=decision.reasons,
        rules_version=policy.version, contact=lead.contact, source=lead.source,
        submitted_at=lead.submitted_at, qualified_at=now,
        sla_due_at=sla_due(queue, decision.stage, now),
    )


def assign_owner(event: HandoffEvent, policy: Policy, assigned_so_far: int) -> HandoffEvent:
    """Give a qualified lead its owner and the deadline that owner must meet."""
    queue = policy.queues.get(event.queue)
    if queue is None:
        # The policy changed between qualification and routing: keep the lead, unassigned.
        return event
    owner = round_robin(queue.reps, assigned_so_far)
    return event.model_copy(
        update={"owner": owner, "sla_due_at": sla_due(queue, event.stage, event.qualified_at)}
    )
