"""Enrichers: a failing or slow enricher never loses or blocks a lead."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from schemas import Account, DeadLetter, HandoffEvent
from streams.logic.enrich import CallableEnricher
from streams.logic.lead import Lead
from streams.logic.pipeline import decide
from streams.logic.policy_file import load_policy
from tests.unit.leads import POS, raw

pytestmark = pytest.mark.unit
POLICY = load_policy()


def _boom(lead: Lead) -> Lead:
    raise ConnectionError("enrichment API down")


def test_failing_enricher_is_noted_and_the_lead_goes_on() -> None:
    event = decide(raw(form_id="demo-request"), POS, POLICY, enrichers=[CallableEnricher("clearbit", _boom)])
    assert isinstance(event, HandoffEvent)
    assert any(r.rule == "enrich.clearbit.failed" and "ConnectionError" in r.detail for r in event.reasons)


def test_slow_enricher_times_out_and_the_lead_goes_on() -> None:
    release = threading.Event()

    def slow(lead: Lead) -> Lead:
        release.wait(5)
        return lead

    try:
        event = decide(
            raw(form_id="demo-request"),
            POS,
            POLICY,
            enrichers=[CallableEnricher("slow", slow, timeout_s=0.05)],
        )
    finally:
        release.set()
    assert isinstance(event, HandoffEvent)
    assert "enrich.slow.timeout" in [r.rule for r in event.reasons]


def test_working_enricher_changes_the_decision() -> None:
    def big(lead: Lead) -> Lead:
        return dataclasses.replace(lead, employees=5000, account=Account(name="Big", employees=5000))

    plain = decide(raw(form_id="demo-request"), POS, POLICY)
    enriched = decide(raw(form_id="demo-request"), POS, POLICY, enrichers=[CallableEnricher("size", big)])
    assert isinstance(plain, HandoffEvent) and isinstance(enriched, HandoffEvent)
    assert (plain.queue, enriched.queue) == ("inside-sales", "enterprise")


def test_a_qualification_failure_becomes_a_dead_letter_not_a_lost_lead() -> None:
    def bad_employees(lead: Lead) -> Lead:
        # An enricher that breaks the lead's types: qualification then fails.
        return dataclasses.replace(lead, employees="many")  # type: ignore[arg-type]

    event = decide(
        raw(form_id="demo-request"),
        POS,
        POLICY,
        enrichers=[CallableEnricher("broken", bad_employees, timeout_s=None)],
    )
    assert isinstance(event, DeadLetter)
    assert event.error.value == "processing_failed" and event.event_id == "ev-1"
    assert '"event_id":"ev-1"' in event.payload.replace(" ", "")


def create(settings: object) -> CallableEnricher:
    """A factory as named in HANDOFF_ENRICHERS (used by the test below)."""
    return CallableEnricher("noop", lambda lead: lead)


def test_extra_enrichers_are_named_in_settings() -> None:
    from streams.agents.intake import plugin_enrichers
    from streams.core.settings import load_settings

    found = plugin_enrichers(load_settings(enrichers="tests.unit.test_enrich:create"))
    assert [e.name for e in found] == ["noop"]
