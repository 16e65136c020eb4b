"""Reason codes and the feedback group come from the settings, with clear errors."""

from __future__ import annotations

import pytest

from schemas import FeedbackAction
from sinks.transitions import BadReason, InvalidTransition, check_transition
from streams.core.settings import ConfigError, load_settings

pytestmark = pytest.mark.unit


def test_reason_codes_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_REJECT_REASONS", " spam, not_a_fit ,other")
    settings = load_settings()
    assert settings.desk.reject_reasons == ("spam", "not_a_fit", "other")
    assert "price" in settings.desk.lost_reasons
    # A child process started by the supervisor reads the same codes back.
    monkeypatch.setenv("HANDOFF_REJECT_REASONS", settings.to_env()["HANDOFF_REJECT_REASONS"])
    assert load_settings().desk.reject_reasons == settings.desk.reject_reasons
    monkeypatch.setenv("HANDOFF_REJECT_REASONS", "not a fit")
    with pytest.raises(ConfigError, match="HANDOFF_REJECT_REASONS: .*comma-separated codes"):
        load_settings()


def test_feedback_group_follows_the_worker_group() -> None:
    assert load_settings(worker_group="w1").worker.feedback_group_id == "w1-feedback"
    assert load_settings(worker_group="w1", feedback_group="fb").worker.feedback_group_id == "fb"


def test_transitions_name_what_is_allowed() -> None:
    codes = ("spam", "other")
    ok = check_transition(
        handoff_id="h", status="claimed", action=FeedbackAction.REJECTED, reason="spam", allowed_reasons=codes
    )
    assert ok.target == "rejected"
    with pytest.raises(InvalidTransition, match="it is open .*allowed from accepted"):
        check_transition(
            handoff_id="h", status="open", action=FeedbackAction.CONTACTED, reason=None, allowed_reasons=None
        )
    with pytest.raises(BadReason, match="accepted takes no reason"):
        check_transition(
            handoff_id="h",
            status="open",
            action=FeedbackAction.ACCEPTED,
            reason="spam",
            allowed_reasons=codes,
        )
    with pytest.raises(BadReason, match="needs a reason: one of spam, other"):
        check_transition(
            handoff_id="h", status="accepted", action=FeedbackAction.LOST, reason=None, allowed_reasons=codes
        )
