"""What decide() skips for speed changes nothing: assembled events, folded rules, ids, lead copies."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import (
    Account,
    Contact,
    DeadLetter,
    ErrorCode,
    HandoffEvent,
    LeadSubmitted,
    NurtureEvent,
    Reason,
    Source,
    SourcePosition,
    Utm,
)
from streams.demo.samples import sample_messages
from streams.logic.assign import Ledger
from streams.logic.decode import decode_lead
from streams.logic.lead import Lead, handoff_id_for, normalise_lead, with_facts
from streams.logic.normalise import InvalidEmail
from streams.logic.pipeline import assign_owner, decide
from streams.logic.policy_file import load_policy, parse_policy
from streams.logic.qualify import plan_for
from tests.unit.leads import POS, raw

pytestmark = pytest.mark.unit

POLICY = load_policy()
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
MESSAGES = sample_messages(400, seed=5, now=NOW)


def _outcomes() -> list[HandoffEvent | NurtureEvent]:
    ledgers: dict[str, Ledger] = {}
    out: list[HandoffEvent | NurtureEvent] = []
    for message in MESSAGES:
        event = decide(message, POS, POLICY, NOW)
        if isinstance(event, HandoffEvent):
            out += [event, assign_owner(event, POLICY, ledgers.setdefault(event.queue, Ledger()))]
        elif isinstance(event, NurtureEvent):
            out.append(event)
    return out


def test_assembled_events_equal_validated_ones() -> None:
    outcomes = _outcomes()
    assert {type(e) for e in outcomes} == {HandoffEvent, NurtureEvent}
    for event in outcomes:
        validated = type(event).model_validate(event.model_dump())
        assert validated == event
        assert validated.model_dump_json() == event.model_dump_json()
        # Every field but the schema version was given, as when built with validation.
        assert event.model_fields_set == set(type(event).model_fields) - {"schema_version"}


def test_normalised_parts_equal_validated_ones() -> None:
    for message in MESSAGES[:100]:
        decoded = decode_lead(message)
        if not isinstance(decoded, LeadSubmitted):
            continue
        try:
            lead = normalise_lead(decoded)
        except InvalidEmail:
            continue
        for part in (lead.contact, lead.account, lead.source):
            assert type(part).model_validate(part.model_dump()) == part


def test_assemble_refuses_missing_and_unknown_fields() -> None:
    with pytest.raises(TypeError, match="missing"):
        Contact.assemble(full_name="Hanako")
    with pytest.raises(TypeError, match="unknown"):
        Account.assemble(nmae="Acme")


def test_assemble_fills_defaults_and_fresh_factories() -> None:
    source = Source.assemble(form_id="pricing")
    assert source == Source(form_id="pricing")
    assert source.utm == Utm()
    letters = [
        DeadLetter.assemble(
            error=ErrorCode.NOT_JSON,
            detail="x",
            payload="{",
            source=POS,
            failed_at=NOW,
        )
        for _ in range(2)
    ]
    assert letters[0] == DeadLetter(
        error=ErrorCode.NOT_JSON, detail="x", payload="{", source=POS, failed_at=NOW
    )
    assert letters[0].fields is not letters[1].fields


def test_evolve_is_model_copy() -> None:
    event = next(e for e in _outcomes() if isinstance(e, HandoffEvent))
    changes = {"owner": "tanaka.hiro", "reasons": [*event.reasons, Reason(rule="x")], "sla_due_at": NOW}
    evolved, copied = event.evolve(**changes), event.model_copy(update=changes)
    assert evolved == copied
    assert evolved.model_fields_set == copied.model_fields_set
    assert evolved.model_dump_json() == copied.model_dump_json()
    with pytest.raises(TypeError):
        event.evolve(ownr="x")


def test_a_time_without_zone_is_still_refused() -> None:
    naive = datetime(2026, 11, 25, 10, 0)  # noqa: DTZ001 - the point of the test
    for fields in ({"form_id": "demo-request"}, {"form_id": "newsletter", "email": "a@gmail.com"}):
        out = decide(raw(**fields), POS, POLICY, naive)
        assert isinstance(out, DeadLetter)
        assert out.error is ErrorCode.PROCESSING_FAILED


@given(st.text(max_size=200))
def test_handoff_ids_are_uuid5(event_id: str) -> None:
    namespace = uuid.UUID("6f1c1b7e-8f5e-4d0b-9b1e-5a7c2d0e4f10")
    assert handoff_id_for(event_id) == str(uuid.uuid5(namespace, event_id))


def test_lead_copies_are_dataclass_replace() -> None:
    decoded = decode_lead(raw(company="Acme Robotics", phone="03-1234-5678", country="JP"))
    lead = normalise_lead(decoded)  # type: ignore[arg-type]
    note = Reason(rule="enrich.x")
    assert with_facts(lead, notes=(note,), employees=5) == dataclasses.replace(
        lead, notes=(note,), employees=5
    )
    assert lead.notes == ()
    with pytest.raises(TypeError):
        with_facts(lead, no_such_field=1)
    assert isinstance(with_facts(lead), Lead)


_FOLDED = """
name: folded
rules:
  - {rule: early.form, score: intent, group: form, points: 3, when: {form: [whitepaper, webinar]}}
  - {rule: form.pricing, score: intent, group: form, points: 20, when: {form: pricing}}
  - {rule: form.pricing.again, score: intent, group: form, points: 7, when: {form: pricing}}
  - {rule: form.webinar, score: intent, group: form, points: 10, when: {form: webinar}}
  - {rule: form.demo, score: intent, group: form, points: 30, when: {form: demo-request}}
  - {rule: country.jp, score: fit, points: 5, when: {country: JP}}
  - {rule: form.newsletter, score: intent, group: form, points: 1, when: {form: newsletter}}
  - {rule: title.ceo, score: fit, group: title, points: 9, when: {job_title: CEO}}
  - {rule: title.cto, score: fit, group: title, points: 8, when: {job_title: cto}}
stages:
  - {rule: stage.mql, stage: MQL, threshold: true}
routing:
  - {rule: route.all, queue: q}
queues:
  q: {reps: [r]}
reps:
  r: {timezone: Asia/Tokyo}
"""


@pytest.mark.parametrize(
    ("fields", "rules"),
    [
        ({"form_id": "pricing"}, ["form.pricing"]),  # the first of two rules for one value
        ({"form_id": "webinar"}, ["early.form"]),  # an earlier rule of the group held
        ({"form_id": "demo-request", "country": "JP"}, ["form.demo", "country.jp"]),
        ({"form_id": "newsletter", "country": "JP"}, ["country.jp", "form.newsletter"]),
        ({"form_id": "pricing", "job_title": "Ceo"}, ["form.pricing", "title.ceo"]),  # text is casefolded
        ({"form_id": "pricing", "job_title": "CTO"}, ["form.pricing", "title.cto"]),
        ({"form_id": "contact-sales"}, []),
    ],
)
def test_one_value_rules_of_a_group_score_as_written(fields: dict[str, str], rules: list[str]) -> None:
    policy = parse_policy(_FOLDED)
    assert any(step.choices for step in plan_for(policy).rules)  # the runs were folded into lookups
    out = decide(raw(**fields), POS, policy, NOW)
    assert isinstance(out, HandoffEvent | NurtureEvent)
    scored = [r.rule for r in out.reasons if not r.rule.startswith(("stage.", "route."))]
    assert scored == rules


def test_positions_do_not_leak_into_decisions() -> None:
    other = SourcePosition(topic="leads.bulk", partition=7, offset=99)
    for message in MESSAGES[:50]:
        a, b = decide(message, POS, POLICY, NOW), decide(message, other, POLICY, NOW)
        if not isinstance(a, DeadLetter):
            assert a == b
