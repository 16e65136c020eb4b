"""One input message to exactly one outcome: a qualified lead, a nurture event or a dead letter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from schemas import DeadLetter, Disposition, ErrorCode, HandoffEvent, NurtureEvent, SourcePosition
from schemas.outbound import MESSAGE_MAX
from streams.logic.assign import Ledger, choose_owner, sla_due
from streams.logic.decode import DecodeFailure, decode_lead, payload_text
from streams.logic.enrich import Enricher, run_enrichers
from streams.logic.lead import Lead, handoff_id_for, normalise_lead
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
        error=failure.error,
        detail=failure.detail,
        fields=failure.fields,
        event_id=failure.event_id,
        payload=text,
        payload_encoding=encoding,  # type: ignore[arg-type,unused-ignore]
        source=position,
        failed_at=now,
    )


def prepare(
    raw: bytes | None,
    position: SourcePosition,
    now: datetime,
    enrichers: Sequence[Enricher] = (),
) -> Lead | DeadLetter:
    """Decode, validate, normalise and enrich one message (independent of the policy)."""
    decoded = decode_lead(raw)
    if isinstance(decoded, DecodeFailure):
        return dead_letter(raw, decoded, position, now)
    try:
        lead = normalise_lead(decoded)
    except InvalidEmail:
        failure = DecodeFailure(ErrorCode.SCHEMA_INVALID, "email: value_error", ["email"], decoded.event_id)
        return dead_letter(raw, failure, position, now)
    return run_enrichers(lead, enrichers)


def judge(lead: Lead, policy: Policy, now: datetime, *, deadline: bool = True) -> HandoffEvent | NurtureEvent:
    """Qualify a prepared lead: a handoff for sales (owner only if pre-assigned) or a nurture event.

    ``deadline=False`` leaves ``sla_due_at`` at ``now`` for a caller that assigns the
    owner next (``assign_owner`` always sets the deadline).
    """
    decision = qualify(lead, policy)
    # The lead's parts are validated and the decision is in range, so only a time from the
    # caller needs pydantic's check (it must carry a zone).
    checked = now.utcoffset() is not None
    if decision.disposition is not None or decision.queue is None or decision.stage is None:
        return (NurtureEvent.assemble if checked else NurtureEvent)(
            event_id=lead.event_id,
            lead_id=lead.lead_id,
            disposition=decision.disposition or Disposition.NURTURE,
            reasons=decision.reasons,
            score=decision.score,
            fit=decision.fit,
            intent=decision.intent,
            rules_version=policy.version,
            contact=lead.contact,
            source=lead.source,
            submitted_at=lead.submitted_at,
            decided_at=now,
        )
    queue = policy.queues[decision.queue]
    return (HandoffEvent.assemble if checked else HandoffEvent)(
        handoff_id=handoff_id_for(lead.event_id),
        event_id=lead.event_id,
        lead_id=lead.lead_id,
        account=lead.account,
        queue=decision.queue,
        owner=decision.owner,
        stage=decision.stage,
        score=decision.score,
        fit=decision.fit,
        intent=decision.intent,
        reasons=decision.reasons,
        rules_version=policy.version,
        contact=lead.contact,
        source=lead.source,
        submitted_at=lead.submitted_at,
        qualified_at=now,
        sla_due_at=sla_due(policy, queue, decision.stage, decision.owner, now) if deadline else now,
        message=lead.message[:MESSAGE_MAX] if lead.message else None,
    )


def decide(
    raw: bytes | None,
    position: SourcePosition,
    policy: Policy,
    now: datetime | None = None,
    *,
    enrichers: Sequence[Enricher] = (),
    at_submission: bool = False,
) -> Outcome:
    """Decode, normalise, enrich and qualify one message.

    A lead for sales comes back as a HandoffEvent whose owner is only set when the
    routing table pre-assigned the account owner: owners are assigned per queue by the
    routing stage (``assign_owner``). ``at_submission`` decides as of the lead's own
    submission time (replays and simulations), instead of now.
    """
    now = now or datetime.now(UTC)
    lead = prepare(raw, position, now, enrichers)
    if isinstance(lead, DeadLetter):
        return lead
    try:
        return judge(lead, policy, lead.submitted_at if at_submission else now)
    except Exception as exc:  # noqa: BLE001 - a policy bug must not lose the lead
        failure = DecodeFailure(
            ErrorCode.PROCESSING_FAILED, f"qualification failed: {type(exc).__name__}", [], lead.event_id
        )
        return dead_letter(raw, failure, position, now)


def account_key(event: HandoffEvent) -> str | None:
    """Return the key that identifies the lead's company for sticky assignment."""
    account = event.account
    return (account.domain or account.name or "").lower() or None


def assign_owner(
    event: HandoffEvent,
    policy: Policy,
    ledger: Ledger | int,
    open_counts: Mapping[str, int] | None = None,
) -> HandoffEvent:
    """Give a qualified lead its owner and the deadline that owner must meet; record it in the ledger.

    An int instead of a ledger is the number of leads the queue had so far (a fresh rotation).
    """
    if isinstance(ledger, int):
        ledger = Ledger(cursor=ledger)
    queue = policy.queues.get(event.queue)
    if queue is None:
        # The policy changed between qualification and routing: keep the lead, unassigned.
        return event
    key = account_key(event)
    choice = choose_owner(
        queue,
        policy.reps,
        ledger,
        now=event.qualified_at,
        account_key=key,
        preassigned=event.owner,
        open_counts=open_counts,
    )
    if choice.owner is not None:
        sticky = key if queue.strategy == "sticky_account" else None
        ledger.record(choice.owner, cursor=choice.cursor, account_key=sticky)
    return event.evolve(
        owner=choice.owner,
        reasons=[*event.reasons, choice.reason],
        sla_due_at=sla_due(policy, queue, event.stage, choice.owner, event.qualified_at),
    )
